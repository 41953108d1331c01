/**
 * The `secure-ai` command line, run as users run it: `node dist/cli.js ...` (the bundle `npm run build` makes) in
 * temporary projects. The worker pool is also driven through the programmatic API compiled by tsc, which checks
 * that the worker script is found beside pool.js there, and that a crashing worker costs one file, not the scan.
 *
 * Findings come from SAI202 (`torch.load` without `weights_only=True`); counting tests pass `--select SAI202` so
 * that rules added later cannot change the numbers.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import Ajv from 'ajv';
import type * as sarif from 'sarif';
import { collectFiles } from '../server/src/cli/files';
import { scanFiles, type FileReport } from '../server/src/cli/scan';
import { ROOT } from './helpers';

const CLI = path.join(ROOT, 'dist', 'cli.js');
const BIN = path.join(ROOT, 'bin', 'secure-ai.js');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** `torch.load` at line 3, column 9 (1-based). */
const TORCH = 'import torch\n\nstate = torch.load("x.pt")\n';
const CLEAN = 'print("hello")\n';

const made: string[] = [];
after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A temporary project: file path -> contents. */
function project(files: Record<string, string | Uint8Array>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sai-cli-')));
  made.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return dir;
}

function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1', SECURE_AI_DEBUG: '', ...env },
  });
  if (r.error) throw r.error;
  return r;
}

function json(cwd: string, args: string[]): { status: number | null; report: JsonReport } {
  const r = cli(cwd, [...args, '--format', 'json']);
  assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
  return { status: r.status, report: JSON.parse(r.stdout) as JsonReport };
}

interface JsonReport {
  version: string;
  findings: Array<{
    path: string;
    ruleId: string;
    line: number;
    column: number;
    endLine: number;
    endColumn: number;
    severity: string;
    confidence: string;
    message: string;
    guidelines: string[];
    fix?: { title: string; safety: string; edits: Array<{ line: number; column: number; endLine: number; endColumn: number; newText: string }> };
    suppressed?: { line: number; reason?: string };
  }>;
  notices: Array<{ path: string; kind: string; message: string }>;
  summary: { files: number; findings: number; suppressed: number; notAnalysed: number; bySeverity: Record<string, number> };
}

function sarifOf(cwd: string, args: string[]): { status: number | null; log: sarif.Log } {
  const r = cli(cwd, [...args, '--format', 'sarif']);
  assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
  return { status: r.status, log: JSON.parse(r.stdout) as sarif.Log };
}

/**
 * The SARIF 2.1.0 schema. It is draft-04, but the keywords it uses mean the same under ajv's draft-07; one of its
 * patterns is valid only without the `u` flag; ajv-formats is not installed, so formats are not checked.
 */
const validateSarif = (() => {
  const file = path.join(ROOT, 'node_modules', '@microsoft', 'jest-sarif', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');
  const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  delete schema.id;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
  return ajv.compile(schema);
})();

describe('exit codes and errors', () => {
  test('0 without findings, with a summary naming the files', () => {
    const dir = project({ 'app.py': CLEAN, 'lib/util.py': CLEAN });
    const r = cli(dir, ['scan']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^No findings in 2 files$/m);
    assert.equal(r.stderr, '');
  });

  test('1 with a finding; text report grouped by file with position, rule and guidelines', () => {
    const dir = project({ 'src/train.py': TORCH, 'src/clean.py': CLEAN });
    const r = cli(dir, ['scan', '--select', 'SAI202']);
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'src/train.py');
    assert.match(lines[1], /^ {2}3:9 {2}warning {2}SAI202 {2}`torch\.load` without `weights_only=True`.*\[NCSC 1\.3 /);
    assert.match(lines[2], /NCSC-1\.3, NCSC-2\.1, .*CWE-502$/);
    assert.ok(!r.stdout.includes('src/clean.py'), 'files without findings are not listed');
    assert.match(r.stdout, /^1 finding \(1 warning\) in 2 files$/m);
    assert.ok(!r.stdout.includes('\u001b['), 'no colours when stdout is not a terminal');
  });

  test('scan with no paths scans the current folder; a file argument is scanned', () => {
    const dir = project({ 'a.py': TORCH, 'b.py': CLEAN });
    assert.equal(cli(dir, ['scan', 'b.py']).status, 0);
    assert.equal(cli(dir, ['scan', 'a.py']).status, 1);
    assert.equal(cli(path.join(dir), ['scan', '.']).status, 1);
  });

  test('a missing path: one clear line naming it, exit 2, no stack trace', () => {
    const dir = project({ 'a.py': TORCH });
    const r = cli(dir, ['scan', 'a.py', 'missing.py']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, "secure-ai: cannot read 'missing.py': no such file or directory\n");
    assert.equal(r.stdout, '');
  });

  test('usage errors exit 2: unknown option, unknown command, bad option values', () => {
    const dir = project({ 'a.py': CLEAN });
    const cases: Array<[string[], RegExp]> = [
      [['scan', '--bogus'], /unknown option '--bogus'/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['scan', '--format', 'xml'], /Allowed choices are text, json, sarif/],
      [['scan', '--min-confidence', 'sure'], /Allowed choices are low, medium, high/],
      [['scan', '--jobs', '0'], /--jobs/],
      [['scan', '--jobs', 'two'], /--jobs/],
      [['scan', '--max-file-size-kb', '-5'], /--max-file-size-kb/],
      [[], /Usage: secure-ai/],
    ];
    for (const [args, message] of cases) {
      const r = cli(dir, args);
      assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.ok(!/\n\s+at /.test(r.stderr), `${args.join(' ')}: stack trace in ${r.stderr}`);
    }
  });

  test('a --select or --ignore id that matches no rule is a usage error', () => {
    const dir = project({ 'a.py': TORCH });
    let r = cli(dir, ['scan', '--select', 'SAI202,SAI999']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^secure-ai: --select 'SAI999' matches no rule/);
    r = cli(dir, ['scan', '--ignore', 'XYZ']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--ignore 'XYZ' matches no rule/);
  });

  test('--output writes the report to a file; an unwritable output is a clean error', () => {
    const dir = project({ 'a.py': TORCH });
    let r = cli(dir, ['scan', '--select', 'SAI202', '--format', 'json', '--output', 'report.json']);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as JsonReport;
    assert.equal(report.findings.length, 1);
    r = cli(dir, ['scan', '--output', path.join('no-such-dir', 'r.txt')]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `secure-ai: cannot write '${path.join('no-such-dir', 'r.txt')}': no such file or directory\n`);
  });

  test('--version and `rules`', () => {
    const dir = project({});
    const v = cli(dir, ['--version']);
    assert.equal(v.status, 0);
    assert.equal(v.stdout.trim(), VERSION);
    const r = cli(dir, ['rules']);
    assert.equal(r.status, 0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('SAI202 '));
    assert.ok(line, r.stdout);
    assert.match(line, /warning +`torch\.load` without `weights_only=True` +NCSC-1\.3, .*CWE-502/);
    const j = JSON.parse(cli(dir, ['rules', '--format', 'json']).stdout) as Array<{ id: string; docs: string }>;
    assert.ok(j.some((x) => x.id === 'SAI202' && x.docs.endsWith('/docs/rules/SAI202.md')));
  });

  test('bin/secure-ai.js runs the bundle, and says how to build it when dist/ is missing', () => {
    const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), VERSION);
    const dir = project({});
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.copyFileSync(BIN, path.join(dir, 'bin', 'secure-ai.js'));
    const missing = spawnSync(process.execPath, [path.join(dir, 'bin', 'secure-ai.js'), 'scan'], { encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^secure-ai: .*dist.*cli\.js is missing; run npm install \(it builds through prepare\) or npm run build\n$/);
  });
});

describe('report formats', () => {
  test('json: findings with 1-based positions, fix, guidelines; notices; summary', () => {
    const dir = project({ 'pkg/train.py': TORCH, 'pkg/ok.py': CLEAN });
    const { status, report } = json(dir, ['scan', '--select', 'SAI202']);
    assert.equal(status, 1);
    assert.equal(report.version, VERSION);
    assert.deepEqual(report.notices, []);
    assert.equal(report.findings.length, 1);
    const f = report.findings[0];
    assert.deepEqual(
      { path: f.path, ruleId: f.ruleId, line: f.line, column: f.column, endLine: f.endLine, endColumn: f.endColumn, severity: f.severity, confidence: f.confidence },
      { path: 'pkg/train.py', ruleId: 'SAI202', line: 3, column: 9, endLine: 3, endColumn: 27, severity: 'warning', confidence: 'high' },
    );
    assert.match(f.message, /^`torch\.load` without/);
    assert.ok(f.guidelines.includes('CWE-502') && f.guidelines.includes('NCSC-1.3'));
    assert.equal(f.fix?.edits[0].newText, ', weights_only=True');
    assert.equal(f.suppressed, undefined);
    assert.equal(report.summary.files, 2);
    assert.equal(report.summary.findings, 1);
    assert.equal(report.summary.bySeverity.warning, 1);
  });

  test('sarif: valid against the SARIF 2.1.0 schema and shaped for GitHub code scanning', () => {
    const dir = project({ 'src/models/train.py': TORCH, 'src/ok.py': CLEAN });
    const { status, log } = sarifOf(dir, ['scan']);
    assert.equal(status, 1);
    const valid = validateSarif(log);
    assert.ok(valid, JSON.stringify(validateSarif.errors, null, 2));
    assert.equal(log.version, '2.1.0');
    assert.equal(log.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
    const run = log.runs[0];
    assert.equal(run.tool.driver.name, 'secure-ai');
    assert.equal(run.tool.driver.version, VERSION);
    assert.equal(run.originalUriBaseIds?.['%SRCROOT%']?.uri, `${new URL(`file://${dir}`).href}/`);
    assert.equal(run.invocations?.[0].executionSuccessful, true);

    const rules = run.tool.driver.rules ?? [];
    const index = rules.findIndex((r) => r.id === 'SAI202');
    assert.ok(index >= 0, 'SAI202 is described');
    const rule = rules[index];
    assert.equal(rule.shortDescription?.text, '`torch.load` without `weights_only=True`');
    assert.ok(rule.fullDescription?.text);
    assert.ok(rule.help?.text?.includes('weights_only=True'));
    assert.ok(rule.help?.markdown?.includes('```python'));
    assert.equal(rule.helpUri, 'https://github.com/secure-ai-dev/secure-ai-dev/blob/main/docs/rules/SAI202.md');
    assert.equal(rule.defaultConfiguration?.level, 'warning');
    const tags = rule.properties?.tags ?? [];
    for (const tag of ['security', 'external/cwe/cwe-502', 'NCSC-1.3', 'NCSC-2.1']) assert.ok(tags.includes(tag), `tag ${tag} in ${tags}`);
    assert.equal(rule.properties?.['security-severity'], '5.5');
    assert.equal(rule.properties?.precision, 'high');
    // Every active rule is listed, with or without results.
    assert.ok(rules.length >= 1);
    for (const r of rules) assert.match(String(r.properties?.['security-severity']), /^\d+\.\d$/);

    const results = (run.results ?? []).filter((r) => r.ruleId === 'SAI202');
    assert.equal(results.length, 1);
    const res = results[0];
    assert.equal(res.ruleIndex, index);
    assert.equal(res.level, 'warning');
    const loc = res.locations?.[0].physicalLocation;
    assert.equal(loc?.artifactLocation?.uri, 'src/models/train.py');
    assert.equal(loc?.artifactLocation?.uriBaseId, '%SRCROOT%');
    assert.deepEqual(loc?.region, { startLine: 3, startColumn: 9, endLine: 3, endColumn: 27 });
    const line = TORCH.split('\n')[(loc?.region?.startLine ?? 0) - 1];
    assert.equal(line.slice((loc?.region?.startColumn ?? 0) - 1, (loc?.region?.endColumn ?? 0) - 1), 'torch.load("x.pt")');
    assert.equal(res.properties?.confidence, 'high');
    assert.ok((res.properties?.guidelines as string[]).includes('NCSC-2.1'));
    const fix = res.fixes?.[0];
    assert.equal(fix?.artifactChanges[0].replacements[0].insertedContent?.text, ', weights_only=True');
    assert.equal(res.suppressions, undefined);
  });

  test('sarif lists the active rules only', () => {
    const dir = project({ 'a.py': TORCH });
    const { log } = sarifOf(dir, ['scan', '--select', 'SAI202']);
    assert.deepEqual(
      log.runs[0].tool.driver.rules?.map((r) => r.id),
      ['SAI202'],
    );
    const ignored = sarifOf(dir, ['scan', '--ignore', 'SAI202']).log;
    assert.ok(!ignored.runs[0].tool.driver.rules?.some((r) => r.id === 'SAI202'));
  });
});

describe('file selection', () => {
  test('.gitignore files are honoured, root and nested; an ignored file named explicitly is scanned', () => {
    const dir = project({
      '.gitignore': 'generated/\n*_pb2.py\n',
      'src/app.py': TORCH,
      'generated/model.py': TORCH,
      'src/proto_pb2.py': TORCH,
      'src/sub/.gitignore': 'local_*.py\n!local_keep.py\n',
      'src/sub/local_x.py': TORCH,
      'src/sub/local_keep.py': TORCH,
    });
    const paths = (args: string[]) => json(dir, ['scan', '--select', 'SAI202', ...args]).report.findings.map((f) => f.path);
    assert.deepEqual(paths([]), ['src/app.py', 'src/sub/local_keep.py']);
    assert.deepEqual(paths(['generated/model.py']), ['generated/model.py']);
    assert.deepEqual(paths(['--no-gitignore']), ['generated/model.py', 'src/app.py', 'src/proto_pb2.py', 'src/sub/local_keep.py', 'src/sub/local_x.py']);
  });

  test('.gitignore of an enclosing git repository applies when scanning a subfolder', () => {
    const dir = project({ '.git/HEAD': 'ref: refs/heads/main\n', '.gitignore': 'build/\n', 'pkg/build/x.py': TORCH, 'pkg/y.py': TORCH });
    const r = json(path.join(dir, 'pkg'), ['scan', '--select', 'SAI202']);
    assert.deepEqual(
      r.report.findings.map((f) => f.path),
      ['y.py'],
    );
  });

  test('environment, dependency and cache folders are skipped, and any folder holding pyvenv.cfg', () => {
    const dir = project({
      'train.py': TORCH,
      'node_modules/pkg/a.py': TORCH,
      '.venv/lib/python3.12/site-packages/m/a.py': TORCH,
      'venv/a.py': TORCH,
      'env3/pyvenv.cfg': 'home = /usr/bin\n',
      'env3/lib/a.py': TORCH,
      'lib/site-packages/a.py': TORCH,
      'src/__pycache__/a.py': TORCH,
      '.tox/a.py': TORCH,
      '.mypy_cache/a.py': TORCH,
      '.git/a.py': TORCH,
      'notes.txt': TORCH,
      'stub.pyi': TORCH,
    });
    const { report } = json(dir, ['scan', '--select', 'SAI202', '--no-gitignore']);
    assert.deepEqual(
      report.findings.map((f) => f.path),
      ['train.py'],
    );
    assert.equal(report.summary.files, 1);
  });

  test('--exclude takes gitignore-style patterns and can be repeated', () => {
    const dir = project({ 'a/train.py': TORCH, 'b/train.py': TORCH, 'c/test_x.py': TORCH, 'c/keep.py': TORCH });
    const { report } = json(dir, ['scan', '--select', 'SAI202', '--exclude', 'a/', '--exclude', 'test_*.py']);
    assert.deepEqual(
      report.findings.map((f) => f.path),
      ['b/train.py', 'c/keep.py'],
    );
  });

  test('a symbolic link loop does not hang the walk', { skip: process.platform === 'win32' }, () => {
    const dir = project({ 'pkg/train.py': TORCH });
    fs.symlinkSync('..', path.join(dir, 'pkg', 'loop'));
    fs.symlinkSync(path.join(dir, 'pkg'), path.join(dir, 'again'));
    const r = cli(dir, ['scan', '--select', 'SAI202', '--format', 'json']);
    assert.equal(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout) as JsonReport;
    assert.deepEqual(
      report.findings.map((f) => f.path),
      ['pkg/train.py'],
    );
  });
});

describe('filters', () => {
  test('--select and --ignore take ids and prefixes, comma-separated and repeated', () => {
    const dir = project({ 'a.py': TORCH });
    assert.equal(cli(dir, ['scan', '--select', 'SAI2']).status, 1);
    assert.equal(cli(dir, ['scan', '--select', 'sai202']).status, 1);
    assert.equal(cli(dir, ['scan', '--ignore', 'SAI202']).status, 0);
    assert.equal(cli(dir, ['scan', '--ignore', 'SAI1', '--ignore', 'SAI201,SAI202']).status, 0);
    assert.equal(cli(dir, ['scan', '--select', 'SAI202', '--ignore', 'SAI20']).status, 0);
  });

  test('--min-confidence drops findings below the level', () => {
    // `**options` may carry weights_only, so the finding has low confidence.
    const dir = project({ 'a.py': 'import torch\n\nstate = torch.load("x.pt", **options)\n' });
    const low = json(dir, ['scan', '--select', 'SAI202']);
    assert.equal(low.status, 1);
    assert.equal(low.report.findings[0].confidence, 'low');
    assert.equal(json(dir, ['scan', '--select', 'SAI202', '--min-confidence', 'medium']).status, 0);
    assert.equal(cli(dir, ['scan', '--select', 'SAI202', '--min-confidence', 'high']).status, 0);
  });

  test('suppressed findings: counted, hidden, listed with their reason under --show-suppressed', () => {
    const src = 'import torch\n\n# secure-ai: ignore[SAI202] our own checkpoint\nstate = torch.load("x.pt")\n';
    const dir = project({ 'a.py': src });
    const plain = cli(dir, ['scan', '--select', 'SAI202']);
    assert.equal(plain.status, 0);
    assert.match(plain.stdout, /^No findings in 1 file; 1 suppressed$/m);

    const shown = cli(dir, ['scan', '--select', 'SAI202', '--show-suppressed']);
    assert.equal(shown.status, 0, 'suppressed findings do not fail the scan');
    assert.match(shown.stdout, /4:9 +warning +SAI202 .*\(suppressed: our own checkpoint\)/);

    const j = json(dir, ['scan', '--select', 'SAI202', '--show-suppressed']).report;
    assert.deepEqual(j.findings[0].suppressed, { line: 3, reason: 'our own checkpoint' });
    assert.equal(j.summary.suppressed, 1);
    assert.equal(j.summary.findings, 0);

    const s = sarifOf(dir, ['scan', '--select', 'SAI202', '--show-suppressed']).log;
    assert.ok(validateSarif(s), JSON.stringify(validateSarif.errors));
    assert.deepEqual(s.runs[0].results?.[0].suppressions, [{ kind: 'inSource', justification: 'our own checkpoint' }]);
    assert.deepEqual(sarifOf(dir, ['scan', '--select', 'SAI202']).log.runs[0].results, []);
  });
});

describe('notices', () => {
  const setup = () =>
    project({
      'bad.py': Uint8Array.from([0x69, 0x6d, 0x70, 0x6f, 0x72, 0x74, 0x20, 0xff, 0xfe, 0x0a, 0xc3, 0x28, 0x0a]),
      'big.py': `${TORCH}${'# padding\n'.repeat(200)}`,
      'ok.py': CLEAN,
    });

  test('an undecodable file and a too-large file get notices in every format, not a crash', () => {
    const dir = setup();
    const text = cli(dir, ['scan', '--max-file-size-kb', '1']);
    assert.equal(text.status, 0, `notices alone do not fail the scan: ${text.stderr}`);
    assert.match(text.stdout, /^bad\.py\n {2}notice: .*not valid UTF-8/m);
    assert.match(text.stdout, /^big\.py\n {2}notice: .*over the 1 KB limit/m);
    assert.match(text.stdout, /^No findings in 3 files; 2 files not analysed$/m);

    const j = json(dir, ['scan', '--max-file-size-kb', '1']).report;
    assert.deepEqual(
      j.notices.map((n) => [n.path, n.kind]),
      [
        ['bad.py', 'not-decodable'],
        ['big.py', 'too-large'],
      ],
    );
    assert.equal(j.summary.notAnalysed, 2);

    const s = sarifOf(dir, ['scan', '--max-file-size-kb', '1']).log;
    assert.ok(validateSarif(s), JSON.stringify(validateSarif.errors));
    const notes = s.runs[0].invocations?.[0].toolExecutionNotifications ?? [];
    assert.deepEqual(
      notes.map((n) => [n.locations?.[0].physicalLocation?.artifactLocation?.uri, n.level, n.descriptor?.id]),
      [
        ['bad.py', 'warning', 'not-decodable'],
        ['big.py', 'warning', 'too-large'],
      ],
    );
  });

  test('the size limit defaults high enough for ordinary files', () => {
    const dir = setup();
    const j = json(dir, ['scan', '--select', 'SAI202']).report;
    assert.deepEqual(
      j.findings.map((f) => f.path),
      ['big.py'],
    );
    assert.deepEqual(
      j.notices.map((n) => n.path),
      ['bad.py'],
    );
  });
});

describe('worker threads', () => {
  const many = () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) {
      const pkg = `pkg${i % 4}`;
      files[`${pkg}/m${String(i).padStart(2, '0')}.py`] =
        i % 3 === 0 ? CLEAN : `import torch\n${'\n'.repeat(i)}w = torch.load(f"w${i}.pt")\nv = torch.load("v.pt", weights_only=False)\n`;
    }
    return project(files);
  };

  test('--jobs 2 gives the same report as --jobs 1, and really uses workers from dist/', () => {
    const dir = many();
    fs.writeFileSync(path.join(dir, 'pkg3', 'raw.py'), Uint8Array.from([0xc3, 0x28]));
    const one = cli(dir, ['scan', '--select', 'SAI202', '--format', 'json', '--jobs', '1'], { SECURE_AI_DEBUG: '1' });
    const two = cli(dir, ['scan', '--select', 'SAI202', '--format', 'json', '--jobs', '2'], { SECURE_AI_DEBUG: '1' });
    assert.equal(one.status, 1, one.stderr);
    assert.equal(two.status, 1, two.stderr);
    assert.match(one.stderr, /files in the main thread/);
    assert.match(two.stderr, /on 2 worker threads \(.*dist[\\/]worker\.js\)/);
    assert.equal(two.stdout, one.stdout);
    const report = JSON.parse(two.stdout) as JsonReport;
    assert.equal(report.summary.files, 31);
    assert.equal(report.findings.length, 40);
    assert.deepEqual(
      report.notices.map((n) => n.path),
      ['pkg3/raw.py'],
    );
  });

  test('the programmatic API: collectFiles + scanFiles, with the worker script found beside pool.js (tsc output)', async () => {
    const dir = many();
    const collected = await collectFiles([dir]);
    assert.deepEqual(collected.errors, []);
    assert.equal(collected.files.length, 30);
    assert.ok(collected.files.every((f) => path.isAbsolute(f)));
    assert.ok(fs.existsSync(path.join(__dirname, '..', 'server', 'src', 'cli', 'worker.js')), 'tsc emits worker.js beside pool.js');
    const inline = await scanFiles(collected.files, { jobs: 1, select: ['SAI202'] });
    const pooled = await scanFiles(collected.files, { jobs: 2, select: ['SAI202'] });
    assert.deepEqual(pooled, inline);
    assert.equal(pooled.reduce((n, r) => n + r.findings.length, 0), 40);
    assert.deepEqual(
      pooled.map((r) => r.path),
      collected.files,
    );

    const missing = await collectFiles([path.join(dir, 'nope'), dir]);
    assert.deepEqual(missing.errors, [`cannot read '${path.join(dir, 'nope')}': no such file or directory`]);
  });

  test('a worker that dies costs the file it was on, once; the scan finishes', async () => {
    const dir = many();
    fs.writeFileSync(path.join(dir, 'pkg0', 'm04_crash_me.py'), TORCH);
    fs.writeFileSync(path.join(dir, 'pkg2', 'm10_trap_me.py'), TORCH);
    // A worker that exits on one file and hits a simulated WebAssembly trap on another.
    const realWorker = path.join(__dirname, '..', 'server', 'src', 'cli', 'worker.js');
    const wrapper = path.join(dir, 'crashing-worker.js');
    fs.writeFileSync(
      wrapper,
      [
        "const fs = require('node:fs');",
        'const read = fs.readFileSync;',
        'fs.readFileSync = function (file, ...rest) {',
        "  if (String(file).endsWith('crash_me.py')) process.exit(70);",
        "  if (String(file).endsWith('trap_me.py')) { const e = new Error('memory access out of bounds'); e.name = 'RuntimeError'; throw e; }",
        '  return read.call(this, file, ...rest);',
        '};',
        `require(${JSON.stringify(realWorker)});`,
      ].join('\n'),
    );
    const { files } = await collectFiles([dir]);
    const reports: FileReport[] = await scanFiles(files, { jobs: 2, select: ['SAI202'], workerScript: wrapper });
    assert.equal(reports.length, files.length);
    const byName = (name: string) => reports.filter((r) => r.path.endsWith(name));
    const crashed = byName('crash_me.py');
    assert.equal(crashed.length, 1);
    assert.deepEqual(crashed[0].findings, []);
    assert.equal(crashed[0].notices.length, 1);
    assert.equal(crashed[0].notices[0].kind, 'worker-crashed');
    assert.match(crashed[0].notices[0].message, /^could not analyse: worker crashed \(exit code 70\)$/);
    const trapped = byName('trap_me.py');
    assert.equal(trapped[0].notices[0].kind, 'internal-error');
    assert.match(trapped[0].notices[0].message, /memory access out of bounds/);
    // Everything else was analysed normally, by the replacement workers.
    const others = reports.filter((r) => !/crash_me|trap_me/.test(r.path));
    assert.equal(others.reduce((n, r) => n + r.findings.length, 0), 40);
    assert.deepEqual(
      others.filter((r) => r.notices.length).map((r) => path.basename(r.path)),
      [],
    );
  });
});
