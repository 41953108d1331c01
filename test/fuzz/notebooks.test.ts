/**
 * Jupyter notebooks under hostile and broken input (server/src/notebook, and the language server's notebook sync):
 * invalid JSON, JSON that is not a notebook, cells whose fields are missing or of the wrong type, random bytes and
 * UTF-16, deep nesting, and cells made of random IPython lines (every magic form, strings, brackets, backslashes,
 * CRLF, non-ASCII); then random notebook edits sent to the server, whose diagnostics must match an analysis of the
 * same cells made here: text typed into cells, cells added and removed (`lsp-edits`), and cells moved, replaced under
 * the same URI (a language change), turned into markdown and back, emptied, and changed in the same event as the
 * structure (`lsp-structure`). Text edits follow LSP's positions (lines end at \r\n, \r or \n; past the end of a line
 * is its end), as the server's cells and the harness's `applyTextEdits` do.
 *
 * Every notebook must come back, within the CPU bound of harness.ts (`cpuBoundMs`: 2 s per MB, at least 1 s), with
 * findings or a single notice (never both, never an exception); every finding names a Python code cell, lies inside
 * that cell's text, and its fix applies to that text. `maskMagics` keeps every cell's line count and every line it
 * does not mask. Inputs run in a worker thread (this file, started as one) so that a hang is stopped and written out
 * with its seed; see harness.ts for `FUZZ_SEED`, `FUZZ_SCALE` and `FUZZ_REPLAY`.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initEngine } from '../../server/src/engine/analyze';
import { applyEdits } from '../../server/src/engine/edits';
import type { Finding, Range } from '../../server/src/engine/types';
import { analyzeCells, analyzeNotebook, analyzeNotebookBytes, isPythonCell, maskMagics, type NotebookAnalysis, type NotebookCell } from '../../server/src/notebook';
import { RULES_BY_ID } from '../../server/src/rules';
import { DEFAULT_SETTINGS } from '../../server/src/shared/settings';
import { LspClient, SERVER, applyTextEdits, cellUri, fileUri } from '../lsp-harness';
import { BASE_SEED, cpuBoundMs, iterations, recordFailure, REPLAY, Rng, seedsFor, Stats, wallLimitMs } from './harness';

const SUITE = 'notebooks';
const ROLE = 'notebook-fuzz-worker';

type Request = { id: number; kind: 'notebook'; input: string | Uint8Array } | { id: number; kind: 'mask'; input: string };
type Reply =
  | { id: number; ok: true; cpuMs: number; result: NotebookAnalysis | ReturnType<typeof maskMagics> }
  | { id: number; ok: false; cpuMs: number; error: string };

// ------------------------------------------------------------------ the worker side

const isWorker = !isMainThread && (workerData as { role?: string } | null)?.role === ROLE;
if (isWorker) {
  const port = parentPort!;
  void initEngine().then(() => {
    port.on('message', (m: Request) => {
      const start = process.cpuUsage();
      const cpu = () => {
        const u = process.cpuUsage(start);
        return (u.user + u.system) / 1000;
      };
      try {
        const result =
          m.kind === 'mask' ? maskMagics(m.input) : typeof m.input === 'string' ? analyzeNotebook(m.input, 'fuzz.ipynb') : analyzeNotebookBytes(m.input, 'fuzz.ipynb');
        port.postMessage({ id: m.id, ok: true, cpuMs: cpu(), result } satisfies Reply);
      } catch (err) {
        port.postMessage({ id: m.id, ok: false, cpuMs: cpu(), error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies Reply);
      }
    });
    port.postMessage({ ready: true });
  });
}

// ------------------------------------------------------------------ the test side

/** The worker, restarted after a hang. */
class Host {
  private worker: Promise<Worker> | undefined;
  private nextId = 1;

  private start(): Promise<Worker> {
    this.worker ??= new Promise<Worker>((resolve, reject) => {
      const w = new Worker(__filename, { workerData: { role: ROLE } });
      w.unref();
      w.once('message', () => resolve(w));
      w.once('error', reject);
    });
    return this.worker;
  }

  async run(request: Omit<Request, 'id'>): Promise<Extract<Reply, { ok: true }>> {
    const w = await this.start();
    const id = this.nextId++;
    const bytes = typeof request.input === 'string' ? Buffer.byteLength(request.input) : request.input.length;
    const reply = await new Promise<Reply>((resolve, reject) => {
      const limit = wallLimitMs(bytes);
      const timer = setTimeout(() => {
        w.off('message', on);
        this.worker = undefined;
        void w.terminate();
        reject(new Error(`hang: no result after ${limit} ms of wall time for ${bytes} bytes`));
      }, limit);
      const on = (m: Reply) => {
        if (m.id !== id) return;
        clearTimeout(timer);
        w.off('message', on);
        resolve(m);
      };
      w.on('message', on);
      w.postMessage({ ...request, id });
    });
    if (!reply.ok) throw new Error(`threw (after ${reply.cpuMs.toFixed(0)} ms of CPU): ${reply.error}`);
    const bound = cpuBoundMs(bytes);
    if (reply.cpuMs > bound) throw new Error(`${reply.cpuMs.toFixed(0)} ms of CPU for ${bytes} bytes, over the bound of ${bound.toFixed(0)} ms`);
    return reply;
  }

  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await (await w).terminate();
  }
}

const NOTICE_KINDS = new Set(['too-large', 'not-decodable', 'too-complex', 'invalid-format', 'internal-error']);

function within(r: Range, lines: string[], what: string): void {
  for (const p of [r.start, r.end]) {
    if (!Number.isInteger(p.line) || !Number.isInteger(p.character) || p.line < 0 || p.character < 0) throw new Error(`${what}: ${JSON.stringify(p)} is not a position`);
    if (p.line >= lines.length) throw new Error(`${what}: line ${p.line} is past the cell's last line (${lines.length - 1})`);
    if (p.character > lines[p.line].length) throw new Error(`${what}: character ${p.character} is past the end of line ${p.line} (${lines[p.line].length})`);
  }
  if (r.start.line > r.end.line || (r.start.line === r.end.line && r.start.character > r.end.character)) throw new Error(`${what}: ${JSON.stringify(r)} ends before it starts`);
}

/** What every notebook result must be, whatever the input. */
export function checkNotebookResult(result: NotebookAnalysis): void {
  if (!Array.isArray(result.findings) || !Array.isArray(result.notices) || !Array.isArray(result.cells) || !Array.isArray(result.warnings)) {
    throw new Error('the result lacks findings, notices, cells or warnings');
  }
  if (result.notices.length > 1) throw new Error(`more than one notice: ${JSON.stringify(result.notices)}`);
  for (const n of result.notices) {
    if (!NOTICE_KINDS.has(n.kind) || typeof n.message !== 'string' || !n.message) throw new Error(`a bad notice: ${JSON.stringify(n)}`);
  }
  if (result.notices.length && result.findings.length) throw new Error('findings and a "not analysed" notice together');
  for (const f of result.findings) checkFinding(f, result.cells);
}

function checkFinding(f: Finding, cells: readonly NotebookCell[]): void {
  if (!RULES_BY_ID.has(f.ruleId) && !/^SAI\d{3}$/.test(f.ruleId)) throw new Error(`finding of unknown rule ${f.ruleId}`);
  if (!Number.isInteger(f.cell) || f.cell! < 1 || f.cell! > cells.length) throw new Error(`${f.ruleId}: cell ${f.cell} is not a cell`);
  const cell = cells[f.cell! - 1];
  if (!isPythonCell(cell)) throw new Error(`${f.ruleId}: cell ${f.cell} is not a Python code cell`);
  // Columns count to the end of a line without its '\r' (LSP's view of CRLF).
  const lines = cell.source.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  within(f.range, lines, `${f.ruleId} range in cell ${f.cell}`);
  if (f.suppressed && (f.suppressed.line < 0 || f.suppressed.line >= lines.length)) throw new Error(`${f.ruleId}: suppression line ${f.suppressed.line} is not in the cell`);
  if (f.fix) {
    if (f.fix.edits.length === 0) throw new Error(`${f.ruleId}: a fix without edits`);
    for (const e of f.fix.edits) within(e.range, lines, `${f.ruleId} fix edit in cell ${f.cell}`);
    applyEdits(cell.source, f.fix.edits);
  }
}

/** `maskMagics` keeps the line count and every unmasked line; commands lie in the cell. */
function checkMask(cell: string, m: ReturnType<typeof maskMagics>): void {
  const before = cell.split('\n');
  const after = m.python.split('\n');
  if (before.length !== after.length) throw new Error(`${before.length} lines became ${after.length}`);
  const masked = new Set(m.masked.map((s) => s.line));
  before.forEach((line, i) => {
    if (!masked.has(i) && after[i] !== line) throw new Error(`line ${i} changed without being masked: ${JSON.stringify(line)} → ${JSON.stringify(after[i])}`);
  });
  for (const s of m.masked) {
    // A line masked from a column keeps what is left of it.
    if (s.from > 0 && after[s.line].slice(0, s.from) !== before[s.line].slice(0, s.from)) throw new Error(`line ${s.line}: the part before column ${s.from} changed`);
  }
  for (const c of m.commands) {
    if (c.line < 0 || c.line >= before.length || c.character < 0 || c.character > before[c.line].length) throw new Error(`command ${JSON.stringify(c)} is not in the cell`);
    if (!c.text.trim()) throw new Error(`an empty command at ${c.line}:${c.character}`);
  }
}

// ------------------------------------------------------------------ generators

const PY_LINES = [
  'import torch',
  'import torch as T',
  'import numpy as np',
  'x = torch.load(p)',
  'y = T.load(q, weights_only=True)',
  'z = np.load(f, allow_pickle=True)',
  'def f(a):',
  '    return a % 2',
  'if x:',
  '    pass',
  'for i in range(3):',
  "s = '''",
  '"""',
  "'",
  '"',
  'x = (a,',
  '     % b)',
  ']',
  '}',
  '\\',
  'w = a \\',
  '# secure-ai: ignore[SAI202] ok',
  'torch.load(p)  # secure-ai: ignore[SAI202]',
  'print("é😀?")',
  '',
  '    ',
  '\t',
  'await f()',
  'lambda a=!x: a',
];
const MAGIC_LINES = [
  '!pip install torch',
  '!!ls',
  '! wget http://h/m.bin \\',
  '%pip install -q numpy  # c',
  '%conda install x',
  '%sx curl x',
  '%system ls',
  'files = !ls',
  'a, b = %sx find .',
  'r = %pip list',
  '%time x = torch.load(p)',
  '%timeit -n 10 -r 3 f(x)',
  '%timeit -n',
  '%prun -s',
  '%time for i in x: f(i)',
  '%time',
  '%matplotlib inline',
  '%%bash',
  '%%time',
  '%%capture out',
  '%%writefile x.py',
  '%%script python3',
  '%%script',
  '%%',
  '%',
  '!',
  '?',
  '??',
  'torch.load?',
  '?torch',
  '/f a b',
  ',g x',
  'pip install requests',
  'pip',
  'conda install',
  '    !echo $x',
  '    %cd ..',
  'x = !',
  'x = %',
  '= !ls',
  '%%%bash',
  '!!!',
];

function randomCell(r: Rng): string {
  const lines: string[] = [];
  const n = r.int(12);
  if (r.chance(0.2)) lines.push(r.pick(MAGIC_LINES.filter((l) => l.startsWith('%%'))));
  for (let i = 0; i < n; i++) {
    let line = r.chance(0.5) ? r.pick(MAGIC_LINES) : r.pick(PY_LINES);
    if (r.chance(0.15)) line = ' '.repeat(r.int(8)) + line;
    if (r.chance(0.1)) line += r.pick(['\\', ' \\', '?', '??', '  # x?', '\r']);
    lines.push(line);
  }
  return lines.join(r.chance(0.1) ? '\r\n' : '\n');
}

function randomSource(r: Rng, text: string): unknown {
  switch (r.int(8)) {
    case 0:
      return text.split(/(?<=\n)/);
    case 1:
      return r.pick([42, null, true, {}, [1, 2], ['a', 3], [[text]], undefined]);
    default:
      return text;
  }
}

function randomCellJson(r: Rng): unknown {
  if (r.chance(0.05)) return r.pick([null, 1, 'cell', [], [{}]]);
  const cell: Record<string, unknown> = {
    cell_type: r.chance(0.9) ? r.pick(['code', 'code', 'code', 'markdown', 'raw']) : r.pick(['heading', 7, null, undefined, '']),
    source: randomSource(r, randomCell(r)),
    metadata: r.chance(0.9) ? {} : r.pick([null, { vscode: { languageId: r.pick(['python', 'sql', 3, '']) } }, 'x']),
    outputs: [],
  };
  if (r.chance(0.05)) delete cell.source;
  if (r.chance(0.05)) delete cell.cell_type;
  return cell;
}

function randomNotebook(r: Rng): string {
  const nb: Record<string, unknown> = {
    nbformat: r.chance(0.9) ? 4 : r.pick([3, 5, '4', null]),
    nbformat_minor: 5,
    metadata: r.chance(0.8)
      ? { kernelspec: { language: r.chance(0.9) ? 'python' : r.pick(['R', 'julia', '', 5]) } }
      : r.pick([null, [], { language_info: { name: r.pick(['python', 'scala', null]) } }, 'meta']),
    cells: Array.from({ length: r.int(10) }, () => randomCellJson(r)),
  };
  if (r.chance(0.05)) delete nb.cells;
  if (r.chance(0.03)) nb.cells = r.pick([{}, 'cells', 3]);
  if (r.chance(0.03)) nb.worksheets = [];
  return JSON.stringify(nb);
}

/** Valid-ish JSON cut, spliced or with random bytes in it. */
function brokenJson(r: Rng): string {
  const text = randomNotebook(r);
  switch (r.int(4)) {
    case 0:
      return text.slice(0, r.int(text.length + 1));
    case 1: {
      const at = r.int(text.length + 1);
      return text.slice(0, at) + r.pick(['{', '}', '[', ']', '"', ',', ':', '\\', '\u0000', 'NaN', '\ud800']) + text.slice(at);
    }
    case 2:
      return r.pick(['', ' ', 'null', 'true', '0', '"x"', '[]', '{}', '[{}]', '{"cells": null}', '{"cells": [null]}']);
    default:
      return Array.from({ length: r.int(200) }, () => String.fromCharCode(r.int(128))).join('');
  }
}

function randomBytes(r: Rng): Uint8Array {
  const base = Buffer.from(randomNotebook(r));
  switch (r.int(3)) {
    case 0:
      return Uint8Array.from([0xff, 0xfe, ...Buffer.from(base.toString(), 'utf16le')]);
    case 1: {
      const out = Uint8Array.from(base);
      for (let i = 0; i < 1 + r.int(5); i++) out[r.int(out.length)] = r.int(256);
      return out;
    }
    default:
      return r.bytes(r.int(400));
  }
}

// ------------------------------------------------------------------ the suite

function suite(): void {
  const host = new Host();
  const stats = new Stats();

  after(async () => {
    await host.dispose();
    stats.save(SUITE);
    console.log(`# notebook fuzz (base seed ${BASE_SEED}): ${stats.line()}`);
  });

  async function tryNotebook(name: string, iteration: number, seed: number, input: string | Uint8Array): Promise<NotebookAnalysis> {
    try {
      const reply = await host.run({ kind: 'notebook', input });
      const result = reply.result as NotebookAnalysis;
      checkNotebookResult(result);
      stats.add(name, typeof input === 'string' ? Buffer.byteLength(input) : input.length, reply.cpuMs);
      return result;
    } catch (err) {
      const file = recordFailure(SUITE, name, iteration, seed, input, err);
      throw new Error(`${name} input #${iteration} (seed ${seed}) failed; written to ${file}\n${(err as Error).message}`);
    }
  }

  function fuzz(name: string, count: number, generate: (r: Rng) => string | Uint8Array): void {
    test(`${name}: ${REPLAY ? 'replay' : `${iterations(count)} inputs`}`, async () => {
      for (const { iteration, seed } of seedsFor(SUITE, name, count)) await tryNotebook(name, iteration, seed, generate(new Rng(seed)));
    });
  }

  describe('notebooks: broken JSON and structure', () => {
    fuzz('invalid-json', 300, (r) => brokenJson(r));
    fuzz('random-structure', 300, (r) => randomNotebook(r));
    fuzz('random-bytes', 150, (r) => randomBytes(r));

    test('deep nesting and large cells', async () => {
      const cases: Array<[string, string]> = [
        ['nested-arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
        ['nested-objects', `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`],
        ['nested-unclosed', '['.repeat(200_000)],
        ['nested-in-metadata', `{"nbformat":4,"metadata":${'['.repeat(50_000)}${']'.repeat(50_000)},"cells":[]}`],
        ['10k-magic-lines', JSON.stringify({ nbformat: 4, metadata: {}, cells: [{ cell_type: 'code', source: '!pip install x \\\n'.repeat(10_000) + 'import torch\ntorch.load(p)' }] })],
        ['10k-cells', JSON.stringify({ nbformat: 4, metadata: {}, cells: Array.from({ length: 10_000 }, (_, i) => ({ cell_type: 'code', source: i === 0 ? 'import torch' : `x${i} = torch.load(p)` })) })],
        ['many-magic-options', JSON.stringify({ nbformat: 4, metadata: {}, cells: [{ cell_type: 'code', source: `%timeit ${'-n 1 -q '.repeat(30_000)}f()\n%pip install ${'x '.repeat(30_000)}# c` }] })],
        ['long-string-line', JSON.stringify({ nbformat: 4, metadata: {}, cells: [{ cell_type: 'code', source: `s = "${'\\\\'.repeat(200_000)}` }] })],
      ];
      for (const [name, input] of cases) {
        for (const { iteration, seed } of seedsFor(SUITE, name, 1, false)) await tryNotebook(name, iteration, seed, input);
      }
      // The notebook with 10,000 cells is analysed, its findings in the right cells.
      const many = await host.run({ kind: 'notebook', input: cases[5][1] });
      const result = many.result as NotebookAnalysis;
      assert.equal(result.findings.filter((f) => f.ruleId === 'SAI202').length, 9_999);
      assert.deepEqual(result.findings.slice(0, 2).map((f) => f.cell), [2, 3]);
    });
  });

  describe('notebooks: random IPython cells', () => {
    test(`maskMagics keeps lines and columns: ${REPLAY ? 'replay' : `${iterations(400)} cells`}`, async () => {
      const name = 'mask-cells';
      for (const { iteration, seed } of seedsFor(SUITE, name, 400)) {
        const cell = randomCell(new Rng(seed));
        try {
          const reply = await host.run({ kind: 'mask', input: cell });
          checkMask(cell, reply.result as ReturnType<typeof maskMagics>);
        } catch (err) {
          const file = recordFailure(SUITE, name, iteration, seed, cell, err);
          throw new Error(`${name} input #${iteration} (seed ${seed}) failed; written to ${file}\n${(err as Error).message}`);
        }
      }
    });

    fuzz('magic-cells', 300, (r) =>
      JSON.stringify({ nbformat: 4, metadata: {}, cells: Array.from({ length: 1 + r.int(8) }, () => ({ cell_type: r.chance(0.85) ? 'code' : 'markdown', source: randomCell(r) })) }),
    );
  });

  describe('notebooks: random edits over LSP notebook sync', () => {
    let client: LspClient;
    let dir: string;
    before(async () => {
      assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run npm run build`);
      await initEngine();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sai-nbfuzz-'));
      client = await LspClient.start({ folders: [dir], capabilities: { notebookDocument: { synchronization: {} } } });
    });
    after(async () => {
      await client.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test(`cells opened, typed into, added and removed at random: the server's diagnostics are the cells' analysis: ${REPLAY ? 'replay' : `${iterations(25)} notebooks`}`, async () => {
      const name = 'lsp-edits';
      for (const { iteration, seed } of seedsFor(SUITE, name, 25)) {
        const r = new Rng(seed);
        const nb = fileUri(path.join(dir, `n${iteration}.ipynb`));
        let next = 0;
        const cells = Array.from({ length: 1 + r.int(4) }, () => ({ uri: cellUri(nb, next++), text: randomCell(r) }));
        const log: unknown[] = [{ open: cells.map((c) => c.text) }];
        try {
          await client.openNotebook(nb, cells);
          for (let step = 0; step < 1 + r.int(12); step++) {
            if (r.chance(0.7) && cells.length) {
              const c = r.pick(cells);
              const text = client.text(c.uri);
              const lines = text.split('\n');
              const line = r.int(lines.length + 1);
              const character = r.int((lines[line]?.length ?? 0) + 2);
              const endLine = line + r.int(2);
              const range = { start: { line, character }, end: { line: endLine, character: r.int(4) } };
              // Only ranges that run forwards inside the text (other changes replace the whole text). Lines are counted
              // at '\n' here, so a position may lie past the end of a CRLF line or after a lone '\r': LSP (the server)
              // reads it as the end of the line, and so does the harness (lsp-harness.ts `lspOffset`).
              // Keep this generator as it is: a saved failing seed replays only while it makes the same edits.
              const inside = endLine < lines.length && character <= lines[line].length && range.end.character <= lines[endLine].length && (endLine > line || range.end.character >= character);
              const insert = r.pick([...MAGIC_LINES, ...PY_LINES, '\n', '(', '"""']);
              const change = inside ? { range, text: insert } : { text: randomCell(r) };
              log.push({ change: c.uri, ...change });
              await client.changeCell(nb, c.uri, [change]);
            } else {
              const start = r.int(cells.length + 1);
              const deleteCount = r.int(Math.min(2, cells.length - start) + 1);
              const added = Array.from({ length: r.int(2) + (cells.length - deleteCount === 0 ? 1 : 0) }, () => ({ uri: cellUri(nb, next++), text: randomCell(r) }));
              log.push({ splice: [start, deleteCount, added.map((c) => c.text)] });
              cells.splice(start, deleteCount, ...added);
              await client.spliceCells(nb, start, deleteCount, added);
            }
          }
          // What the server must publish: the analysis of the cells as they are now, per cell.
          const local = analyzeCells(cells.map((c) => ({ kind: 'code' as const, source: client.text(c.uri) })), path.join(dir, `n${iteration}.ipynb`), DEFAULT_SETTINGS);
          const expected = (i: number) =>
            local.notices.length
              ? null
              : local.findings
                  .filter((f) => !f.suppressed && f.cell === i + 1)
                  .map((f) => `${f.ruleId}@${f.range.start.line}:${f.range.start.character}`)
                  .join(',');
          const shown = (uri: string) => {
            const got = client.diagnostics.get(uri);
            return got && { version: got.version, diagnostics: got.diagnostics.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}`).join(',') };
          };
          for (let i = 0; i < cells.length; i++) {
            const want = expected(i);
            if (want === null) continue;
            const uri = cells[i].uri;
            await client
              .waitUntil(() => {
                const got = shown(uri);
                return !!got && got.version === client.versionOf(uri) && got.diagnostics === want;
              }, `cell ${i + 1} (version ${client.versionOf(uri)}): ${want || 'no diagnostics'}`)
              .catch((err: Error) => {
                // What the server had published when the wait gave up (not when it began).
                const [first, ...rest] = err.message.split('\n');
                throw new Error([`${first}; published ${JSON.stringify(shown(uri))}; cells ${JSON.stringify(cells.map((c) => client.text(c.uri)))}`, ...rest].join('\n'));
              });
          }
          await client.closeNotebook(nb);
        } catch (err) {
          const file = recordFailure(SUITE, name, iteration, seed, JSON.stringify(log, null, 1), err);
          throw new Error(`${name} #${iteration} (seed ${seed}) failed; written to ${file}\n${(err as Error).message}`);
        }
      }
      assert.doesNotMatch(client.logs.join('\n'), /unhandled rejection|failed:/);
    });

    test(`cells moved, replaced, re-languaged, re-kinded, emptied, and changed in the same event as the structure: the server's diagnostics are the cells' analysis: ${REPLAY ? 'replay' : `${iterations(25)} notebooks`}`, async () => {
      const name = 'lsp-structure';
      for (const { iteration, seed } of seedsFor(SUITE, name, 25)) {
        const r = new Rng(seed);
        const nbPath = path.join(dir, `s${iteration}.ipynb`);
        const nb = fileUri(nbPath);
        let next = 0;
        let nbVersion = 1;
        const newCell = (): SyncCell => {
          const code = r.chance(0.85);
          return { uri: cellUri(nb, next++), kind: code ? 2 : 1, languageId: code ? r.pick(PY_LANGUAGE_IDS) : 'markdown', text: r.chance(0.2) ? '' : randomCell(r), version: 1 };
        };
        const cells = Array.from({ length: 1 + r.int(4) }, newCell);
        /** Cells the server was told about and that left the notebook: cleared, never published again. */
        const gone = new Set<string>();
        const log: unknown[] = [];
        const send = async (method: string, params: unknown) => {
          log.push({ [method]: params });
          await client.connection.sendNotification(method, params);
        };
        const change = (c: unknown) => send('notebookDocument/didChange', { notebookDocument: { uri: nb, version: ++nbVersion }, change: c });
        try {
          await send('notebookDocument/didOpen', { notebookDocument: { uri: nb, notebookType: 'jupyter-notebook', version: nbVersion, cells: cells.map(cellRef) }, cellTextDocuments: cells.map(textItem) });
          for (let step = 0, steps = 1 + r.int(12); step < steps; step++) {
            const kind = r.int(9);
            if (kind <= 2 && cells.length) {
              // Text changes to one or two cells (maybe the same one twice), incremental or whole.
              const textContent = Array.from({ length: r.chance(0.2) ? 2 : 1 }, () => editCell(r, r.pick(cells)));
              await change({ cells: { textContent } });
            } else if (kind === 3) {
              // Cells added and removed, their text documents opened and closed; maybe a text change in the same event.
              const start = r.int(cells.length + 1);
              const removed = cells.splice(start, r.int(Math.min(2, cells.length - start) + 1));
              const added = Array.from({ length: r.int(3) }, newCell);
              cells.splice(start, 0, ...added);
              for (const c of removed) gone.add(c.uri);
              // Opened as they were added; a text change in the same event (maybe to one of them) applies after.
              const didOpen = added.map(textItem);
              const textContent = cells.length && r.chance(0.4) ? [editCell(r, r.pick(cells))] : undefined;
              await change({ cells: { structure: { array: { start, deleteCount: removed.length, cells: added.map(cellRef) }, didOpen, didClose: removed.map((c) => ({ uri: c.uri })) }, textContent } });
            } else if (kind === 4 && cells.length > 1) {
              // Cells moved, as vscode-languageclient sends it: one array change, no open or close for the moved cells;
              // maybe a text change to a moved cell in the same event.
              const before = [...cells];
              const moved = cells.splice(r.int(cells.length), 1 + r.int(2));
              cells.splice(r.int(cells.length + 1), 0, ...moved);
              const diff = arrayDiff(before, cells);
              if (!diff) continue;
              const textContent = r.chance(0.4) ? [editCell(r, r.pick(moved))] : undefined;
              await change({ cells: { structure: { array: { start: diff.start, deleteCount: diff.deleteCount, cells: diff.cells.map(cellRef) }, didOpen: [], didClose: [] }, textContent } });
            } else if (kind === 5 && cells.length) {
              // A cell's language changes: VS Code closes and reopens its text document under the same URI. The client
              // removes the cell and adds it back (two events), or does both in one event (close, then open).
              const at = r.int(cells.length);
              const c = cells[at];
              c.languageId = c.kind === 2 ? r.pick([...PY_LANGUAGE_IDS, 'sql', 'r']) : r.pick(['markdown', 'python']);
              c.version++;
              if (r.chance(0.5)) {
                await change({ cells: { structure: { array: { start: at, deleteCount: 1, cells: [cellRef(c)] }, didOpen: [textItem(c)], didClose: [{ uri: c.uri }] } } });
              } else {
                await change({ cells: { structure: { array: { start: at, deleteCount: 1 }, didClose: [{ uri: c.uri }] } } });
                if (r.chance(0.2)) {
                  // Not added back (VS Code's client leaves out a cell that no longer matches the selector).
                  cells.splice(at, 1);
                  gone.add(c.uri);
                  continue;
                }
                await change({ cells: { structure: { array: { start: at, deleteCount: 0, cells: [cellRef(c)] }, didOpen: [textItem(c)] } } });
              }
            } else if (kind === 6 && cells.length) {
              // A cell's kind (or only its metadata) changes in place: `cells.data`.
              const c = r.pick(cells);
              if (r.chance(0.6)) c.kind = c.kind === 2 ? 1 : 2;
              const textContent = r.chance(0.3) ? [editCell(r, c)] : undefined;
              await change({ cells: { data: [cellRef(c)], textContent } });
            } else if (kind === 7 && cells.length) {
              // A cell emptied, or an empty cell typed into.
              const c = r.pick(cells);
              c.version++;
              const text = c.text === '' ? randomCell(r) || 'import torch\ntorch.load(p)' : '';
              const range = { start: { line: 0, character: 0 }, end: { line: 1_000, character: 0 } };
              c.text = applyTextEdits(c.text, [{ range, newText: text }]);
              await change({ cells: { textContent: [{ document: { uri: c.uri, version: c.version }, changes: [{ range, text }] }] } });
            } else {
              await send('notebookDocument/didSave', { notebookDocument: { uri: nb } });
            }
          }
          // What the server must publish: the analysis of the cells as they are now on the Python code cells; nothing on the others.
          const local = analyzeCells(
            cells.map((c) => ({ kind: c.kind === 2 ? ('code' as const) : ('markdown' as const), source: c.text, language: c.languageId })),
            nbPath,
            DEFAULT_SETTINGS,
          );
          const shown = (uri: string) => {
            const got = client.diagnostics.get(uri);
            return got && { version: got.version, diagnostics: got.diagnostics.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}`).join(',') };
          };
          const wait = (uri: string, what: string, ok: (got: ReturnType<typeof shown>) => boolean) =>
            client.waitUntil(() => ok(shown(uri)), what).catch((err: Error) => {
              const [first, ...rest] = err.message.split('\n');
              throw new Error([`${first}; published ${JSON.stringify(shown(uri))}; cells ${JSON.stringify(cells)}`, ...rest].join('\n'));
            });
          if (!local.notices.length) {
            for (let i = 0; i < cells.length; i++) {
              const c = cells[i];
              if (!isSyncedPython(c)) continue;
              const want = local.findings
                .filter((f) => !f.suppressed && f.cell === i + 1)
                .map((f) => `${f.ruleId}@${f.range.start.line}:${f.range.start.character}`)
                .join(',');
              await wait(c.uri, `cell ${i + 1} (version ${c.version}): ${want || 'no diagnostics'}`, (got) => !!got && got.version === c.version && got.diagnostics === want);
            }
            const cleared = [...cells.filter((c) => !isSyncedPython(c)).map((c) => c.uri), ...[...gone].filter((uri) => !cells.some((c) => c.uri === uri))];
            for (const uri of cleared) await wait(uri, `${uri.replace(/.*#/, 'cell #')} cleared`, (got) => !got || got.diagnostics === '');
          }
          await send('notebookDocument/didClose', { notebookDocument: { uri: nb }, cellTextDocuments: cells.map((c) => ({ uri: c.uri })) });
        } catch (err) {
          const file = recordFailure(SUITE, name, iteration, seed, JSON.stringify(log, null, 1), err);
          throw new Error(`${name} #${iteration} (seed ${seed}) failed; written to ${file}\n${(err as Error).message}`);
        }
      }
      assert.doesNotMatch(client.logs.join('\n'), /unhandled rejection|failed:|refused|malformed/);
    });
  });
}

// ------------------------------------------------------------------ the structure fuzz's notebook model

/** A cell as the structure fuzz's client holds it: kind 2 code, 1 markup. */
interface SyncCell {
  uri: string;
  kind: 1 | 2;
  languageId: string;
  text: string;
  version: number;
}

/** Language ids of Python cells (the notebook module reads `python`, `Python`, `python3` and `ipython` alike). */
const PY_LANGUAGE_IDS = ['python', 'python', 'python', 'Python', 'python3'];

const cellRef = (c: SyncCell) => ({ kind: c.kind, document: c.uri });
const textItem = (c: SyncCell) => ({ uri: c.uri, languageId: c.languageId, version: c.version, text: c.text });
/** What the server publishes diagnostics on: code cells in Python, as the notebook module reads a cell's language. */
const isSyncedPython = (c: SyncCell) => c.kind === 2 && isPythonCell({ kind: 'code', source: '', language: c.languageId });

/** A text change to `c` (LSP positions, some past the end of a line or of the text), applied to the model as LSP says. */
function editCell(r: Rng, c: SyncCell): { document: { uri: string; version: number }; changes: Array<{ range?: Range; text: string }> } {
  const changes: Array<{ range?: Range; text: string }> = [];
  for (let k = 0, n = 1 + r.int(2); k < n; k++) {
    if (r.chance(0.1)) {
      const text = randomCell(r);
      changes.push({ text });
      c.text = text;
      continue;
    }
    const lines = c.text.split(/\r\n|\r|\n/);
    const pos = () => {
      const line = r.int(lines.length + (r.chance(0.05) ? 2 : 0));
      return { line, character: r.int((lines[line]?.length ?? 0) + 2) };
    };
    const start = pos();
    const range = r.chance(0.7) ? { start, end: start } : { start, end: pos() };
    const text = r.pick([...MAGIC_LINES, ...PY_LINES, '\n', '\r\n', '(', '"""', '']);
    changes.push({ range, text });
    c.text = applyTextEdits(c.text, [{ range, newText: text }]);
  }
  c.version++;
  return { document: { uri: c.uri, version: c.version }, changes };
}

/** The array change vscode-languageclient sends when `before` becomes `after` (its `computeDiff`, by URI); undefined when equal. */
function arrayDiff(before: SyncCell[], after: SyncCell[]): { start: number; deleteCount: number; cells: SyncCell[] } | undefined {
  let start = 0;
  while (start < before.length && start < after.length && before[start].uri === after[start].uri) start++;
  if (start === before.length && start === after.length) return undefined;
  let endBefore = before.length - 1;
  let endAfter = after.length - 1;
  while (endBefore >= start && endAfter >= start && before[endBefore].uri === after[endAfter].uri) {
    endBefore--;
    endAfter--;
  }
  return { start, deleteCount: endBefore + 1 - start, cells: after.slice(start, endAfter + 1) };
}

// The test side runs when this file is not the worker (it is defined above, so it can run now).
if (!isWorker) suite();
