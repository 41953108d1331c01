/**
 * The engine under hostile and broken input: random bytes, invalid UTF-8, UTF-16 with a byte-order mark, NUL bytes,
 * random tokens, Python-like code, a syntax error at every position of a rule fixture, mutated copies of every rule
 * fixture, a 10 MB single line, 10,000-deep nesting and 100,000-statement files.
 *
 * Every input must come back, within the CPU bound of test/fuzz/harness.ts (`cpuBoundMs`: 2 s per MB, at least 1 s),
 * with findings or a single notice (never both, never an exception), and every finding and fix must lie inside the
 * text. Inputs run in a separate thread (engine-worker.ts) so that one that hangs the engine is stopped and written
 * out. See harness.ts for the seeds, `FUZZ_SCALE`, `FUZZ_LONG` and replaying a failure.
 *
 * Notebooks and model files have their own suites: test/fuzz/notebooks.test.ts and test/fuzz/artifacts.test.ts.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanFiles } from '../../server/src/cli/scan';
import { DEFAULT_SETTINGS, type Settings } from '../../server/src/shared/settings';
import { byteLength, checkBound, checkResult, EngineHost, type Outcome } from './engine-host';
import {
  breakAt,
  invalidUtf8,
  manyStatements,
  mutateTokens,
  nested,
  nulBytes,
  pythonish,
  randomBytes,
  ruleFixtures,
  tokenSoup,
  utf16,
} from './generators';
import { BASE_SEED, LONG, REPLAY, recordFailure, Rng, seedsFor, Stats, iterations } from './harness';

const SUITE = 'engine';
const host = new EngineHost();
const stats = new Stats();
const MB = 1024 * 1024;

after(async () => {
  await host.dispose();
  stats.save(SUITE);
  console.log(`# engine fuzz (base seed ${BASE_SEED}): ${stats.line()}`);
});

/** Analyse one input, check it, count it; on failure write the seed and input out and fail with how to replay. */
async function tryInput(name: string, iteration: number, seed: number, input: Uint8Array | string, settings: Settings = DEFAULT_SETTINGS): Promise<Outcome> {
  try {
    const outcome = await host.analyze(input, settings);
    checkResult(input, outcome.result);
    checkBound(input, outcome);
    stats.add(name, byteLength(input), outcome.cpuMs);
    return outcome;
  } catch (err) {
    const file = recordFailure(SUITE, name, iteration, seed, input, err);
    throw new Error(`${name} input #${iteration} (seed ${seed}) failed; written to ${file}\n${(err as Error).message}`);
  }
}

/** A case of `count` (times FUZZ_SCALE) generated inputs. */
function fuzz(name: string, count: number, generate: (r: Rng, iteration: number) => Uint8Array | string, settings?: Settings): void {
  test(`${name}: ${REPLAY ? 'replay' : `${iterations(count)} inputs`}`, async () => {
    for (const { iteration, seed } of seedsFor(SUITE, name, count)) {
      await tryInput(name, iteration, seed, generate(new Rng(seed), iteration), settings);
    }
  });
}

/** One fixed input (its generator may still draw from the seed). */
function single(name: string, generate: (r: Rng) => Uint8Array | string, settings: Settings = DEFAULT_SETTINGS, expect?: (o: Outcome) => void): void {
  test(name, async () => {
    for (const { iteration, seed } of seedsFor(SUITE, name, 1, false)) {
      const input = generate(new Rng(seed));
      const outcome = await tryInput(name, iteration, seed, input, settings);
      if (expect) {
        try {
          expect(outcome);
        } catch (err) {
          recordFailure(SUITE, name, iteration, seed, input, err);
          throw err;
        }
      }
    }
  });
}

const raised = (mb: number): Settings => ({ ...DEFAULT_SETTINGS, maxFileSizeKb: Math.ceil(mb * 1024) + 64 });
const notice = (kind: string) => (o: Outcome) => {
  assert.equal(o.result.findings.length, 0);
  assert.deepEqual(
    o.result.notices.map((n) => n.kind),
    [kind],
  );
};
const finds = (ruleId: string) => (o: Outcome) => {
  assert.deepEqual(o.result.notices, []);
  assert.ok(
    o.result.findings.some((f) => f.ruleId === ruleId),
    `expected a ${ruleId} finding`,
  );
};

describe('random and undecodable input', () => {
  fuzz('random-bytes', 300, (r) => randomBytes(r));
  fuzz('invalid-utf8', 200, (r) => invalidUtf8(r));
  fuzz('utf16-bom', 200, (r) => utf16(r));
  fuzz('nul-bytes', 200, (r) => nulBytes(r));
  fuzz('token-soup', 300, (r) => tokenSoup(r));
  fuzz('pythonish', 300, (r) => pythonish(r));

  test('decoding: invalid UTF-8 gets the not-decodable notice; UTF-16 with a BOM is analysed', async () => {
    const invalid = await host.analyze(Uint8Array.from([...Buffer.from('import torch\ntorch.load(p)\n'), 0xc3, 0x28]));
    notice('not-decodable')(invalid);
    for (const [bom, enc] of [
      [[0xff, 0xfe], 'le'],
      [[0xfe, 0xff], 'be'],
    ] as const) {
      const body = Buffer.from('import torch\nx = torch.load(p)\n', 'utf16le');
      if (enc === 'be') body.swap16();
      finds('SAI202')(await host.analyze(Uint8Array.from([...bom, ...body])));
    }
    // NUL bytes are text: the code around them is still analysed.
    finds('SAI202')(await host.analyze(Buffer.from('import torch\n\0\0x = torch.load(p)\0\n')));
  });
});

describe('rule fixtures, broken', () => {
  const fixtures = ruleFixtures();

  test(`mutated copies of the ${fixtures.length} rule fixtures (delete, duplicate, swap, replace tokens)`, async () => {
    for (const f of fixtures) {
      const name = `mutate:${f.name}`;
      for (const { iteration, seed } of seedsFor(SUITE, name, 12)) {
        await tryInput(name, iteration, seed, mutateTokens(new Rng(seed), f.text).text);
      }
    }
  });

  // A syntax error at every position of one fixture (chosen by the base seed; every fixture under FUZZ_LONG).
  const chosen = LONG ? fixtures : [fixtures[BASE_SEED % fixtures.length]];
  for (const f of chosen) {
    const name = `syntax-error:${f.name}`;
    test(`a syntax error at every one of the ${f.text.length + 1} positions of ${f.name}`, async () => {
      for (const { iteration, seed } of seedsFor(SUITE, name, f.text.length + 1, false)) {
        await tryInput(name, iteration, seed, breakAt(new Rng(seed), f.text, iteration));
      }
    });
  }
});

describe('large and deep input', () => {
  const tenMb = (body: string) => {
    let line = 'import torch; x = torch.load(p); s = ';
    while (line.length < 10 * MB) line += body;
    return line;
  };

  single('a 10 MB single line, default settings: one too-large notice', () => tenMb('"aaaaaaaaaaaaaaaa" + '), DEFAULT_SETTINGS, notice('too-large'));
  single('a 10 MB single-line string literal, size limit raised: analysed', () => `import torch; x = torch.load(p); s = "${'a'.repeat(10 * MB)}"`, raised(10.1), finds('SAI202'));
  single('a 10 MB single-line comment, size limit raised: analysed', () => `import torch; x = torch.load(p)  # ${'é'.repeat(5 * MB)}`, raised(10.1), finds('SAI202'));
  // tree-sitter's error recovery is quadratic on this: the engine's time limit turns it into a notice.
  single('1 MB of `.`: a too-complex notice, not a hang', () => `import torch; x = torch.load(p)\n${'.'.repeat(MB)}`, DEFAULT_SETTINGS, notice('too-complex'));

  const deep: Array<[string, string, string, boolean]> = [
    ['parentheses', '(', ')', true],
    ['brackets', '[', ']', true],
    ['braces', '{', '}', true],
    ['calls', 'f(', ')', true],
    ['flagged calls', 'torch.load(', ')', true],
    ['subscripts', 'a[', ']', true],
    ['lambdas', 'lambda: ', '', true],
    ['comprehensions', '[torch.load(p) for a in ', ']', true],
    ['dictionaries', '{"k": ', '}', true],
    ['unclosed parentheses', '(', '', false],
    ['unclosed brackets', '[', '', false],
    ['unclosed mixed brackets', '([{', '', false],
    ['unmatched closers', '', ')]}', true],
  ];
  for (const [what, open, close, closed] of deep) {
    single(`10,000-deep nested ${what}`, () => nested(open, close, 10_000, closed));
  }
  single('1,000-deep indented blocks', () => {
    let s = 'import torch\n';
    for (let i = 0; i < 1000; i++) s += `${' '.repeat(i)}if x${i}:\n`;
    return `${s}${' '.repeat(1000)}torch.load(p)\n`;
  });

  single('100,000 statements, a flagged call in every 50', (r) => manyStatements(r, 100_000, 50), raised(4), (o) => {
    assert.deepEqual(o.result.notices, []);
    assert.ok(o.result.findings.length >= 1500, `${o.result.findings.length} findings`);
  });
  // Each use looks the name up among the bindings before it: once quadratic (and, conditional, far worse).
  single('100,000 statements rebinding one name, each followed by a use', () => {
    let s = 'import torch\n';
    for (let i = 0; i < 40_000; i++) s += i % 2 ? 't = torch\nt.load(p, weights_only=True)\n' : 'if c:\n    t = torch\nt.load(p, weights_only=True)\n';
    return s;
  }, raised(4));
  // `global x` at module level once sent the name lookup round in circles for ever.
  single('`global` at module level, and in a function, before a use of the name', () => 'import torch\nglobal torch\ntorch.load(p)\ndef f():\n    global torch\n    return torch.load(q)\n', DEFAULT_SETTINGS, (o) => {
    assert.equal(o.result.findings.filter((f) => f.ruleId === 'SAI202').length, 2);
  });
  single('a name bound 30 times conditionally at each of 20 levels', () => {
    let s = 'import torch\nx0 = torch\n';
    for (let level = 1; level <= 20; level++) for (let k = 0; k < 30; k++) s += `if c${k}:\n    x${level} = x${level - 1}\n`;
    return `${s}x20.load(p)\n`;
  });

  if (LONG) {
    // Too slow for `npm test`; part of `npm run fuzz`.
    // A flagged call first: a file without any rule's trigger word is never parsed.
    const dense = (piece: string, head = '', tail = '') => () => {
      let line = `import torch; x = torch.load(p); ${head}`;
      while (line.length < 10 * MB) line += piece;
      return line + tail;
    };
    single('a 10 MB single line of flagged calls, size limit raised', dense('torch.load(p); '), raised(10.1));
    single('a 10 MB single line of assignments, size limit raised', dense('x = y; '), raised(10.1));
    single('a 10 MB single-line list literal, size limit raised', dense('1, 2.5, "s", ', 'v = [', ']'), raised(10.1));
    single('2 MB of flagged calls, one per line (the default size limit)', () => 'import torch\n' + 'x = torch.load(p)\n'.repeat(Math.floor((2 * MB - 20) / 18)));
    // A rule that does something once per call site over the whole file fails here. `node out/test/fuzz/rule-cost.js`
    // times each rule on these inputs; rule-scaling.test.ts guards the growth of each rule's work in `npm test`.
    for (const f of ruleFixtures()) {
      single(`${f.name} repeated to 1 MB`, () => {
        let s = '';
        while (s.length < MB) s += `${f.text}\n`;
        return s;
      }, raised(1.2));
    }
  }
});

describe('the CLI scan over hostile files', () => {
  test('every file is reported once, in order, with findings or one notice; workers and the main thread agree', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sai-fuzz-scan-'));
    try {
      const makers: Array<(r: Rng) => Uint8Array | string> = [
        randomBytes,
        invalidUtf8,
        utf16,
        nulBytes,
        tokenSoup,
        (r) => pythonish(r),
        (r) => mutateTokens(r, r.pick(ruleFixtures()).text).text,
        () => nested('([{', '', 10_000, false),
        () => `import torch\n${'.'.repeat(100_000)}`,
      ];
      const files: string[] = [];
      for (const { iteration, seed } of seedsFor(SUITE, 'scan-files', 18)) {
        const file = path.join(dir, `f${String(iteration).padStart(3, '0')}.py`);
        fs.writeFileSync(file, makers[iteration % makers.length](new Rng(seed)));
        files.push(file);
      }
      const pooled = await scanFiles(files, { jobs: 2, minFilesForWorkers: 1 });
      const inline = await scanFiles(files, { jobs: 1 });
      assert.deepEqual(
        pooled.map((r) => r.path),
        files,
      );
      for (const report of pooled) {
        assert.ok(!report.notices.some((n) => n.kind === 'worker-crashed' || n.kind === 'internal-error'), `${report.path}: ${JSON.stringify(report.notices)}`);
        checkResult(fs.readFileSync(report.path), { findings: report.findings, notices: report.notices as Outcome['result']['notices'], parsed: report.parsed });
      }
      assert.deepEqual(pooled, inline);
      stats.inputs += files.length;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
