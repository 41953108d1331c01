/**
 * The language server's open documents under hostile `didChange` content: ranges given end first, positions past
 * the end of a line or of the document, negative or huge numbers, and changes that are not changes at all. The text
 * must follow what LSP says (the reference below: lines end at \r\n, \r or \n; a line past the end means the end of
 * the text, a character past the end of a line the end of that line), a malformed batch must be refused whole, and
 * the incrementally re-parsed tree must always equal a fresh parse of the text.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../server/src/engine/analyze';
import { getParser, type Tree } from '../../server/src/engine/parser';
import { OpenDocument } from '../../server/src/lsp/documents';
import { iterations, recordFailure, Rng, seedsFor } from './harness';

const SUITE = 'documents';
const START = 'import torch\n\nx = torch.load(p)\r\n\ndef f(a):\n    return "é😀"\n';
const PIECES = ['', 'x', '(', ')', '[', '\n', '\r\n', '\r', 'torch.load(q)\n', 'é😀', '"""', '    ', 'def g():\n    pass\n'];
const ODD_NUMBERS: unknown[] = [-1, -1000, 1e6, 2 ** 31, 2 ** 53, 0.5, NaN, Infinity, '3', null, undefined];

before(async () => {
  await initEngine();
});

interface Change {
  range?: { start: { line: number; character: number }; end: { line: number; character: number } };
  text: string;
}

/** The offset LSP means by `pos` in `text`, written independently of the server's code. */
function lspOffset(text: string, pos: { line: number; character: number }): number {
  const starts = [0];
  const ends: number[] = [];
  const re = /\r\n|\r|\n/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    ends.push(m.index);
    starts.push(m.index + m[0].length);
  }
  ends.push(text.length);
  if (pos.line >= starts.length) return text.length;
  if (pos.line < 0) return 0;
  return starts[pos.line] + Math.min(Math.max(pos.character, 0), ends[pos.line] - starts[pos.line]);
}

function applyLsp(text: string, changes: Change[]): string {
  for (const c of changes) {
    if (!c.range) {
      text = c.text;
      continue;
    }
    const a = lspOffset(text, c.range.start);
    const b = lspOffset(text, c.range.end);
    text = text.slice(0, Math.min(a, b)) + c.text + text.slice(Math.max(a, b));
  }
  return text;
}

/** Every node with its type, offsets and positions: the S-expression alone would not show a shifted position. */
function shape(tree: Tree): string {
  const out: string[] = [];
  const cursor = tree.walk();
  try {
    for (;;) {
      const n = cursor.currentNode;
      out.push(`${n.type}:${n.startIndex}-${n.endIndex}:${n.startPosition.row},${n.startPosition.column}-${n.endPosition.row},${n.endPosition.column}`);
      if (cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) if (!cursor.gotoParent()) return out.join('\n');
    }
  } finally {
    cursor.delete();
  }
}

function hostileChange(r: Rng): unknown {
  if (r.chance(0.08)) return r.pick<unknown>([{ text: 5 }, { range: null, text: 'x' }, {}, null, { range: { start: {} }, text: '' }, { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'x', rangeLength: 'x' }]);
  const num = () => (r.chance(0.85) ? r.int(10) : r.pick(ODD_NUMBERS));
  const pos = () => ({ line: num(), character: num() });
  return r.chance(0.05) ? { text: r.pick(PIECES) + START } : { range: { start: pos(), end: pos() }, text: r.pick(PIECES) };
}

test(`hostile content changes: ${iterations(150)} documents of 30 batches each, tree equal to a fresh parse`, () => {
  let refused = 0;
  let applied = 0;
  for (const { iteration, seed } of seedsFor(SUITE, 'hostile-changes', 150)) {
    const r = new Rng(seed);
    const doc = new OpenDocument('file:///fuzz.py', 'python', 1, START);
    let reference = START;
    const log: unknown[] = [];
    try {
      doc.parse();
      for (let step = 0; step < 30; step++) {
        const changes = Array.from({ length: 1 + r.int(3) }, () => hostileChange(r));
        log.push(changes);
        let ok = true;
        try {
          doc.update(changes as never, step + 2);
        } catch {
          ok = false;
        }
        if (ok) {
          applied++;
          reference = applyLsp(reference, changes as Change[]);
        } else {
          refused++;
        }
        assert.equal(doc.text, reference, `step ${step}: the text differs from what LSP says`);
        if (r.chance(0.5) || step === 29) {
          const incremental = doc.parse();
          assert.ok(incremental, 'no tree');
          const fresh = getParser().parse(doc.text)!;
          try {
            assert.equal(incremental.rootNode.toString(), fresh.rootNode.toString(), `step ${step}: the incremental tree differs from a fresh parse`);
            assert.equal(shape(incremental), shape(fresh), `step ${step}: the incremental tree's positions differ from a fresh parse`);
          } finally {
            fresh.delete();
          }
        }
      }
    } catch (err) {
      const file = recordFailure(SUITE, 'hostile-changes', iteration, seed, JSON.stringify({ start: START, batches: log }, null, 1), err);
      throw new Error(`document #${iteration} (seed ${seed}) failed; written to ${file}\n${(err as Error).message}`);
    } finally {
      doc.dispose();
    }
  }
  assert.ok(refused > 0 && applied > 0, `${refused} refused, ${applied} applied`);
});
