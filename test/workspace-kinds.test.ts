/**
 * Issue 6 through the `secure-ai` command line (dist/cli.js): notebooks, dependency manifests and model files are
 * scanned next to Python code, and the facts of one kind reach the rules of another. The model files are made here:
 * by writing pickle opcodes and by the machine's `python3` with stand-in modules (see test/artifacts/python.ts).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import Ajv from 'ajv';
import { analyzeManifest, lockFileFor } from '../server/src/engine/analyze-manifest';
import { torchMinimumFor, type FollowedReference, type ProjectFacts } from '../server/src/engine/project';
import { compareVersions, parseManifest } from '../server/src/manifests';
import { buildFacts, followReferences, readManifests, torchFact } from '../server/src/workspace/project-facts';
import { pythonArtifacts } from './artifacts/python';
import { ROOT } from './helpers';

const CLI = path.join(ROOT, 'dist', 'cli.js');
const made: string[] = [];
after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, string | Uint8Array>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sai-kinds-')));
  made.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return dir;
}

interface Finding {
  path: string;
  cell?: number;
  ruleId: string;
  line: number;
  column: number;
  severity: string;
  message: string;
}

function scan(cwd: string, args: string[] = []): { status: number | null; findings: Finding[]; notices: unknown[]; stdout: string } {
  const r = spawnSync(process.execPath, [CLI, 'scan', ...args, '--format', 'json'], { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { findings: Finding[]; notices: unknown[] };
  return { status: r.status, findings: report.findings, notices: report.notices, stdout: r.stdout };
}

function notebook(cells: Array<{ type?: 'code' | 'markdown'; source: string | string[] }>): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', language: 'python', display_name: 'Python 3' } },
    cells: cells.map((c) => ({ cell_type: c.type ?? 'code', metadata: {}, source: c.source, ...(c.type === 'markdown' ? {} : { outputs: [], execution_count: null }) })),
  });
}

const NOTEBOOK = notebook([
  { source: ['import torch\n', 'from pathlib import Path\n'] },
  { type: 'markdown', source: '## Load the checkpoint' },
  { source: '%%time\nckpt = Path("ckpt.pt")\nstate = torch.load(ckpt)\n' },
]);

describe('done when (issue 6)', () => {
  test('a notebook with `import torch` in one cell and `torch.load` in another gets the finding, with its cell', () => {
    const dir = project({ 'explore.ipynb': NOTEBOOK });
    const { findings } = scan(dir, ['--select', 'SAI202']);
    assert.deepEqual(
      findings.map((f) => [f.path, f.cell, f.ruleId, f.line, f.column]),
      [['explore.ipynb', 3, 'SAI202', 3, 9]],
    );
    const text = spawnSync(process.execPath, [CLI, 'scan', '--select', 'SAI202'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.match(text.stdout, /cell 3:3:9\s+warning\s+SAI202/);
  });

  test('the SARIF region of a notebook finding is the JSON line of the cell line, names the cell, and validates', () => {
    // Jupyter's own layout: indented JSON, `source` as one string per line.
    const text = JSON.stringify(JSON.parse(notebook([{ source: ['import torch\n'] }, { source: ['x = 1\n', 'state = torch.load(p)\n'] }])), null, 1);
    const dir = project({ 'explore.ipynb': text });
    const jsonLine = text.split('\n').findIndex((l) => l.includes('state = torch.load(p)')) + 1;
    assert.ok(jsonLine > 1);
    const r = spawnSync(process.execPath, [CLI, 'scan', '--select', 'SAI202', '--format', 'sarif'], { cwd: dir, encoding: 'utf8' });
    const log = JSON.parse(r.stdout);
    const result = log.runs[0].results[0];
    assert.equal(result.locations[0].physicalLocation.artifactLocation.uri, 'explore.ipynb');
    assert.deepEqual(result.locations[0].physicalLocation.region, { startLine: jsonLine, endLine: jsonLine, properties: { cell: 2, cellLine: 2, cellColumn: 9 } });
    assert.equal(result.fixes, undefined, 'a cell edit cannot be a replacement over the JSON file');
    const file = path.join(ROOT, 'node_modules', '@microsoft', 'jest-sarif', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');
    const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    delete schema.$schema;
    delete schema.id;
    const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false }).compile(schema);
    assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
  });

  test('a requirements.txt with `transformers>=4` is flagged; a pinned one is not', () => {
    const dir = project({ 'requirements.txt': 'numpy\ntransformers>=4\ntorch==2.6.0\n' });
    const { findings, status } = scan(dir);
    assert.equal(status, 1);
    assert.deepEqual(
      findings.map((f) => [f.path, f.ruleId, f.line, f.severity]),
      [['requirements.txt', 'SAI701', 2, 'warning']],
    );
    assert.match(findings[0].message, /`transformers>=4` only sets a lower bound/);
  });

  test('a lock file of the right kind lowers SAI701 to info and says which; pip never reads poetry.lock', () => {
    const dir = project({
      'pyproject.toml': '[project]\nname = "x"\ndependencies = ["transformers>=4"]\n',
      'poetry.lock': '# lock\n',
      'requirements.txt': 'transformers>=4\n',
    });
    const { findings } = scan(dir);
    assert.deepEqual(findings.map((f) => [f.path, f.ruleId, f.severity]), [
      ['pyproject.toml', 'SAI701', 'info'],
      ['requirements.txt', 'SAI701', 'warning'],
    ]);
    assert.match(findings[0].message, /`poetry\.lock` pins the installed versions/);
  });

  test('a crafted .pt whose pickle imports os.system is an error on the file and on the line that loads it; a clean checkpoint is not', () => {
    const a = pythonArtifacts();
    const dir = project({
      'models/evil.pt': a.torch_zip_evil,
      'models/clean.pt': a.torch_zip_clean,
      'train.py': 'import torch\n\nbad = torch.load("models/evil.pt", weights_only=False)\ngood = torch.load("models/clean.pt", weights_only=True)\n',
    });
    const { findings } = scan(dir, ['--select', 'SAI210']);
    const onFile = findings.filter((f) => f.path === 'models/evil.pt');
    assert.ok(onFile.length >= 1, JSON.stringify(findings));
    assert.ok(onFile.every((f) => f.severity === 'error'));
    assert.match(onFile[0].message, /system/);
    const onCode = findings.filter((f) => f.path === 'train.py');
    assert.deepEqual(onCode.map((f) => [f.line, f.column, f.severity]), [[3, 18, 'error']]);
    assert.match(onCode[0].message, /`torch\.load` loads `models\/evil\.pt`: .*system/);
    assert.equal(findings.filter((f) => f.path === 'models/clean.pt').length, 0);
  });

  test('a model file without an extension is found by its magic bytes', () => {
    const a = pythonArtifacts();
    const dir = project({ 'weights/pytorch_model': a.evil_p2, 'notes/README': 'plain text\n' });
    const { findings } = scan(dir, ['--select', 'SAI210']);
    assert.deepEqual([...new Set(findings.map((f) => f.path))], ['weights/pytorch_model']);
  });
});

describe('facts across kinds', () => {
  test('torch >= 2.6 in the manifests turns SAI202 into a hint that names the manifest line', () => {
    const dir = project({ 'requirements.txt': 'torch>=2.6\n', 'app.py': 'import torch\nm = torch.load("m.pt")\n' });
    const { findings } = scan(dir, ['--select', 'SAI202']);
    assert.deepEqual(findings.map((f) => [f.path, f.severity]), [['app.py', 'hint']]);
    assert.match(findings[0].message, /`requirements\.txt:1` requires torch 2\.6 or later/);
  });

  test('one manifest that leaves torch unbounded keeps SAI202 a warning', () => {
    const dir = project({ 'requirements.txt': 'torch>=2.6\n', 'pyproject.toml': '[project]\nname="x"\ndependencies=["torch"]\n', 'app.py': 'import torch\nm = torch.load("m.pt")\n' });
    const { findings } = scan(dir, ['--select', 'SAI202']);
    assert.deepEqual(findings.map((f) => f.severity), ['warning']);
  });

  test('torchMinimumFor: the manifests in the folder of the file and above, the lowest bound, none when one is unbounded', () => {
    const root = path.resolve('/w');
    const m = (rel: string, text: string) => ({ file: path.join(root, rel), display: rel, parsed: parseManifest(rel, text) });
    const facts = (...ms: ReturnType<typeof m>[]) => ({ torch: torchFact(ms) });
    const file = path.join(root, 'svc', 'train.py');
    assert.deepEqual(torchMinimumFor(file, facts(m('svc/requirements.txt', 'torch==2.7.1\n'), m('requirements.txt', 'x\ntorch>=2.6\n')), compareVersions), {
      minimum: '2.6',
      where: 'requirements.txt:2',
    });
    // A sibling service's manifest does not govern this file.
    assert.equal(torchMinimumFor(file, facts(m('other/requirements.txt', 'torch==2.7.1\n')), compareVersions), undefined);
    assert.equal(torchMinimumFor(file, facts(m('requirements.txt', 'numpy\n')), compareVersions), undefined);
    assert.equal(torchMinimumFor(file, facts(m('requirements.txt', 'torch<3\n'), m('svc/requirements.txt', 'torch==2.7.1\n')), compareVersions), undefined);
  });

  test('lockFileFor: a lock of the right kind in the folder or above; a hashed requirements file covers itself and its .in', () => {
    const root = path.resolve('/w');
    const pyproject = parseManifest('pyproject.toml', '[project]\nname="x"\ndependencies=["torch"]\n');
    const requirements = parseManifest('requirements.txt', 'torch\n');
    const uv = path.join(root, 'uv.lock');
    assert.equal(lockFileFor(path.join(root, 'svc', 'pyproject.toml'), pyproject, { lockFiles: [uv] }), uv);
    assert.equal(lockFileFor(path.join(root, 'svc', 'pyproject.toml'), pyproject, { lockFiles: [path.join(root, 'other', 'uv.lock')] }), undefined);
    assert.equal(lockFileFor(path.join(root, 'requirements.txt'), requirements, { lockFiles: [uv] }), undefined);
    const hashedTxt = path.join(root, 'requirements.txt');
    assert.equal(lockFileFor(path.join(root, 'requirements.in'), requirements, { lockFiles: [hashedTxt] }), hashedTxt);
    assert.equal(lockFileFor(path.join(root, 'svc', 'requirements.txt'), requirements, { lockFiles: [hashedTxt] }), undefined);
    const hashed = parseManifest('requirements.txt', 'torch==2.6.0 --hash=sha256:' + 'a'.repeat(64) + '\n');
    assert.equal(lockFileFor(hashedTxt, hashed, {}), hashedTxt);
  });

  test('notebook shell lines: `!pip install` goes through SAI701/SAI702, `!wget` of a model through SAI104', () => {
    const dir = project({
      'nb.ipynb': notebook([
        { source: '!pip install "transformers>=4" --extra-index-url http://pypi.example.com/simple\n' },
        { source: '%pip install torch==2.6.0\n!wget https://example.com/files/model.safetensors\n' },
      ]),
    });
    const { findings } = scan(dir);
    assert.deepEqual(
      findings.map((f) => [f.cell, f.line, f.ruleId, f.severity]),
      [
        [1, 1, 'SAI701', 'warning'],
        [1, 1, 'SAI702', 'error'],
        [2, 2, 'SAI104', 'warning'],
      ],
    );
  });

  test('a model file over --max-model-file-size-mb gets a notice, not a scan', () => {
    const dir = project({ 'models/big.pkl': new Uint8Array(2 * 1024 * 1024 + 1), 'models/small.pkl': pythonArtifacts().evil_p2 });
    const { findings, notices } = scan(dir, ['--max-model-file-size-mb', '2']);
    assert.deepEqual([...new Set(findings.map((f) => f.path))], ['models/small.pkl']);
    assert.equal(notices.length, 1);
    assert.match(JSON.stringify(notices[0]), /big\.pkl.*3 MB, over the 2 MB limit \(setting maxModelFileSizeMb\)/);
  });

  test('a notebook that is not JSON gets one clear notice and no crash', () => {
    const dir = project({ 'broken.ipynb': '{"cells": [' });
    const { notices, status } = scan(dir);
    assert.equal(status, 0);
    assert.equal(notices.length, 1);
    assert.match(JSON.stringify(notices[0]), /broken\.ipynb/);
  });
});

describe('the scan cannot be turned against its user', () => {
  test('a link to a file outside the scanned folder is not read, and its contents never reach the report', () => {
    const outside = project({ 'creds': 'client_secret=SUPERSECRET123\n' });
    const dir = project({ 'train.py': 'print(1)\n' });
    fs.symlinkSync(path.join(outside, 'creds'), path.join(dir, 'model.pkl'));
    fs.symlinkSync(path.join(outside, 'creds'), path.join(dir, 'requirements.txt'));
    const r = spawnSync(process.execPath, [CLI, 'scan', '--format', 'json'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stdout.includes('SUPERSECRET') && !r.stderr.includes('SUPERSECRET'));
    assert.match(r.stderr, /skipping 'model\.pkl': a link to a file outside the scanned folder/);
    assert.match(r.stderr, /skipping 'requirements\.txt': a link to a file outside the scanned folder/);
  });

  test('a named pipe (as a manifest, or behind an extension-less link) does not hang the scan', () => {
    const dir = project({ 'train.py': 'print(1)\n' });
    const fifo = path.join(dir, 'requirements.txt');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.status !== 0) return; // no mkfifo on this system
    fs.symlinkSync(fifo, path.join(dir, 'weights'));
    const r = spawnSync(process.execPath, [CLI, 'scan', '--format', 'json'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.error, undefined, 'the scan timed out');
    assert.equal(r.status, 0, r.stderr);
    const named = spawnSync(process.execPath, [CLI, 'scan', 'requirements.txt'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(named.status, 2);
    assert.match(named.stderr, /cannot read 'requirements\.txt': not a regular file/);
  });

  test('credentials and tokens in index URLs are masked; plain HTTP to this machine is not reported', () => {
    const dir = project({
      'requirements.txt': '--index-url http://deploy:s3cr3tT0ken@pypi.internal.example.com/simple?token=abc\n--extra-index-url http://localhost:3141/root/dev\ntorch==2.6.0\n',
    });
    const { findings, stdout } = scan(dir);
    assert.ok(!stdout.includes('s3cr3tT0ken') && !stdout.includes('token=abc'));
    assert.deepEqual(findings.map((f) => [f.line, f.ruleId, f.severity]), [
      [1, 'SAI702', 'error'],
      [2, 'SAI702', 'warning'],
    ]);
    assert.match(findings[0].message, /`http:\/\/\*\*\*@pypi\.internal\.example\.com\/simple\?…` is read over plain HTTP/);
  });
});

describe('-c constraint files and -r includes (SAI701)', () => {
  /** The facts stage as the CLI runs it: the manifests among `files`, read with `root` as the scan's root. */
  function followed(root: string, files: string[], maxBytes = 2048 * 1024, roots = [root]): Record<string, FollowedReference[]> {
    const manifests = readManifests(files.map((f) => path.join(root, f)), root, maxBytes);
    return followReferences(manifests, roots);
  }
  const entry = (refs: FollowedReference[] | undefined, p: string) => refs?.find((r) => r.path === p);

  test('followed relative to the referencing file, recursively (a -r inside a constraints file), cycles end', () => {
    const dir = project({
      'requirements.txt': '-c constraints.txt\n-r requirements/base.txt\ntorch\ntransformers>=4\n',
      'constraints.txt': 'torch==2.6.0\ntransformers==4.46.3\n-r more-pins.txt\nnumpy>=2\n',
      // not a manifest by its name: read only because a -r names it; it points back (a cycle)
      'more-pins.txt': 'accelerate==1.1.0\n-r constraints.txt\n-c more-pins.txt\n',
      // relative to requirements/, not to the folder of requirements.txt
      'requirements/base.txt': '-c ../constraints.txt\nlangchain==0.3.7\n-r base.txt\n',
    });
    const facts = followed(dir, ['requirements.txt', 'constraints.txt', 'requirements/base.txt']);
    const top = facts[path.join(dir, 'requirements.txt')];
    assert.deepEqual(top, [
      {
        option: 'constraint',
        path: 'constraints.txt',
        pinned: { torch: 'constraints.txt:1', transformers: 'constraints.txt:2', accelerate: 'more-pins.txt:1' },
      },
      {
        option: 'requirement',
        path: 'requirements/base.txt',
        pinned: { torch: 'constraints.txt:1', transformers: 'constraints.txt:2', accelerate: 'more-pins.txt:1', langchain: 'requirements/base.txt:2' },
      },
    ]);
    assert.deepEqual(entry(facts[path.join(dir, 'requirements/base.txt')], '../constraints.txt')?.pinned.torch, 'constraints.txt:1');
    // constraints.txt's own -r: more-pins.txt, which comes back to it (nothing from itself, no problem)
    assert.deepEqual(facts[path.join(dir, 'constraints.txt')], [{ option: 'requirement', path: 'more-pins.txt', pinned: { accelerate: 'more-pins.txt:1' } }]);
    // Files without -c/-r are not listed; the result is plain JSON (it goes to worker threads).
    assert.deepEqual(Object.keys(facts).sort(), ['constraints.txt', 'requirements.txt', 'requirements/base.txt'].map((f) => path.join(dir, f)).sort());
    assert.deepEqual(JSON.parse(JSON.stringify(facts)), facts);
  });

  test(`at most 5 levels deep; a deeper file is named in a problem and its pins do not count`, () => {
    const files: Record<string, string> = { 'requirements.txt': '-r d1.txt\n' };
    for (let i = 1; i <= 7; i++) files[`d${i}.txt`] = `pkg${i}==1.0\n-r d${i + 1}.txt\n`;
    files['d8.txt'] = 'pkg8==1.0\n';
    const dir = project(files);
    const [ref] = followed(dir, ['requirements.txt'])[path.join(dir, 'requirements.txt')];
    assert.deepEqual(Object.keys(ref.pinned), ['pkg1', 'pkg2', 'pkg3', 'pkg4', 'pkg5']);
    assert.deepEqual(ref.problems, ['`-r d6.txt` in `d5.txt` was not followed: more than 5 levels of `-r`/`-c`']);
  });

  test('an option written twice is followed once; past 10,000 options in all, the rest are not followed', () => {
    const many = Array.from({ length: 10_003 }, (_, i) => `-c m${i}.txt`).join('\n');
    const dir = project({ 'requirements.txt': `-c pins.txt\n-c pins.txt\n${many}\n`, 'pins.txt': 'torch==2.6.0\n' });
    const refs = followed(dir, ['requirements.txt'])[path.join(dir, 'requirements.txt')];
    assert.equal(refs.length, 10_004);
    assert.deepEqual(refs[0], { option: 'constraint', path: 'pins.txt', pinned: { torch: 'pins.txt:1' } });
    assert.deepEqual(refs[9_999].problems, ['`-c m9998.txt` could not be read: no such file']);
    assert.deepEqual(refs[10_000].problems, ['`-r`/`-c` options past the first 10000 were not followed']);
    const notices = analyzeManifest(fs.readFileSync(path.join(dir, 'requirements.txt'), 'utf8'), path.join(dir, 'requirements.txt'), undefined, {
      project: { roots: [dir], constrained: followed(dir, ['requirements.txt']) },
    }).notices;
    assert.equal(notices.length, 10_000, 'one notice per missing file, and one for the rest');
  });

  test('never read: a missing file, a link out of the roots (file or folder), a path outside them, a FIFO, a large file, a URL, ${VAR}', () => {
    const outside = project({ 'creds.txt': 'torch==6.6.6\nSUPERSECRET==1\n', 'dir/c.txt': 'torch==6.6.6\n' });
    const dir = project({
      'svc/requirements.txt': [
        '-c missing.txt',
        '-c linked.txt',
        '-c linkdir/c.txt',
        '-c ../../outside.txt',
        '-c fifo.txt',
        '-c large.txt',
        '-r https://example.com/requirements.txt',
        '-r ${REQS}/gpu.txt',
        '-c inside-link.txt',
        'torch',
        '',
      ].join('\n'),
      'svc/large.txt': 'torch==2.6.0\n' + '# padding\n'.repeat(200),
      'svc/real-pins.txt': 'torch==2.6.0\n',
    });
    fs.symlinkSync(path.join(outside, 'creds.txt'), path.join(dir, 'svc', 'linked.txt'));
    fs.symlinkSync(path.join(outside, 'dir'), path.join(dir, 'svc', 'linkdir'));
    // a link that stays inside the roots is read like any file
    fs.symlinkSync(path.join(dir, 'svc', 'real-pins.txt'), path.join(dir, 'svc', 'inside-link.txt'));
    const fifo = spawnSync('mkfifo', [path.join(dir, 'svc', 'fifo.txt')]).status === 0;
    const facts = followed(dir, ['svc/requirements.txt'], 1024);
    const refs = facts[path.join(dir, 'svc', 'requirements.txt')];
    const problem = (p: string) => entry(refs, p)?.problems;
    assert.deepEqual(problem('missing.txt'), ['`-c missing.txt` could not be read: no such file']);
    assert.deepEqual(problem('linked.txt'), ['`-c linked.txt` could not be read: it is a link to a file outside the scanned folders']);
    assert.deepEqual(problem('linkdir/c.txt'), ['`-c linkdir/c.txt` could not be read: it is outside the scanned folders']);
    assert.deepEqual(problem('../../outside.txt'), ['`-c ../../outside.txt` could not be read: it is outside the scanned folders']);
    if (fifo) assert.deepEqual(problem('fifo.txt'), ['`-c fifo.txt` could not be read: it is not a regular file']);
    assert.deepEqual(problem('large.txt'), ['`-c large.txt` could not be read: it is over the 1 KB limit (setting maxFileSizeKb)']);
    assert.deepEqual(problem('https://example.com/requirements.txt'), ['`-r https://example.com/requirements.txt` could not be read: it is a URL, which the scan does not fetch']);
    assert.deepEqual(problem('${REQS}/gpu.txt'), ['`-r ${REQS}/gpu.txt` could not be read: its path holds an environment variable, whose value is not known here']);
    assert.deepEqual(entry(refs, 'inside-link.txt'), { option: 'constraint', path: 'inside-link.txt', pinned: { torch: 'svc/inside-link.txt:1' } });
    for (const p of ['missing.txt', 'linked.txt', 'linkdir/c.txt', 'large.txt']) assert.deepEqual(entry(refs, p)?.pinned, {}, p);
    assert.ok(!JSON.stringify(facts).includes('SUPERSECRET') && !JSON.stringify(facts).includes('6.6.6'));
    // Only inside the roots given: the same files with the svc folder as the only root.
    const narrow = followed(path.join(dir, 'svc'), ['requirements.txt'], 1024);
    assert.deepEqual(entry(narrow[path.join(dir, 'svc', 'requirements.txt')], 'inside-link.txt')?.pinned, { torch: 'inside-link.txt:1' });
    const none = followReferences(readManifests([path.join(dir, 'svc', 'requirements.txt')], dir, 1024), []);
    assert.match(entry(none[path.join(dir, 'svc', 'requirements.txt')], 'inside-link.txt')?.problems?.[0] ?? '', /outside the scanned folders/);
  });

  test('a nested file that cannot be read is a problem of the top option, named with the file that references it', () => {
    const dir = project({ 'requirements.txt': '-c constraints.txt\ntorch\n', 'constraints.txt': 'torch==2.6.0\n-r gone.txt\n' });
    const [ref] = followed(dir, ['requirements.txt'])[path.join(dir, 'requirements.txt')];
    assert.deepEqual(ref, { option: 'constraint', path: 'constraints.txt', pinned: { torch: 'constraints.txt:1' }, problems: ['`-r gone.txt` in `constraints.txt` could not be read: no such file'] });
  });

  test('buildFacts records them as `constrained`; analyzeManifest applies only the options the text holds now', () => {
    const dir = project({ 'requirements.txt': '-c constraints.txt\ntorch\n-c missing.txt\n', 'constraints.txt': 'torch==2.6.0\n' });
    const req = path.join(dir, 'requirements.txt');
    const facts: ProjectFacts = buildFacts([dir], readManifests([req], dir, 2048 * 1024), [], []);
    assert.deepEqual(Object.keys(facts.constrained ?? {}), [req]);
    const text = fs.readFileSync(req, 'utf8');
    const run = (t: string, project?: ProjectFacts) => analyzeManifest(t, req, undefined, { select: ['SAI701'], project });
    const withFacts = run(text, facts);
    assert.deepEqual(withFacts.findings, []);
    assert.deepEqual(withFacts.notices, [{ kind: 'not-scanned', message: '`-c missing.txt` could not be read: no such file' }]);
    // Without facts (a file analysed alone): reported, and nothing said about the options.
    const alone = run(text);
    assert.deepEqual(alone.findings.map((f) => f.range.start.line), [1]);
    assert.deepEqual(alone.notices, []);
    // An editor's text without the -c line (not saved yet): the constraints no longer apply, nor the notice.
    const edited = run('torch\n', facts);
    assert.deepEqual(edited.findings.map((f) => f.range.start.line), [0]);
    assert.deepEqual(edited.notices, []);
  });

  test('through the CLI: the layout of the brief is quiet; -r pins count; an unreadable file keeps the finding and adds one notice', () => {
    const dir = project({
      'requirements.txt': '-c constraints.txt\ntorch\ntransformers>=4\n',
      'constraints.txt': 'torch==2.6.0\ntransformers==4.46.3\n',
      'svc/requirements-dev.txt': '-r ../requirements.txt\n-r requirements-base.txt\ntorch\nlangchain\ndatasets\n',
      'svc/requirements-base.txt': 'langchain==0.3.7\n',
      'jobs/requirements.txt': '-c pins/constraints.txt\n-r missing.txt\ntorch\n',
    });
    const { findings, notices, status } = scan(dir);
    assert.equal(status, 1);
    assert.deepEqual(
      findings.map((f) => [f.path, f.ruleId, f.line, f.severity]),
      [
        ['jobs/requirements.txt', 'SAI701', 3, 'warning'],
        ['svc/requirements-dev.txt', 'SAI701', 5, 'warning'],
      ],
    );
    assert.match(findings[1].message, /`datasets` has no version constraint/);
    assert.deepEqual(notices, [
      { path: 'jobs/requirements.txt', kind: 'not-scanned', message: '`-c pins/constraints.txt` could not be read: no such file' },
      { path: 'jobs/requirements.txt', kind: 'not-scanned', message: '`-r missing.txt` could not be read: no such file' },
    ]);
    // A file named on the command line is followed too (the current folder is a root).
    const one = scan(dir, ['requirements.txt']);
    assert.deepEqual(one.findings, []);
    assert.deepEqual(one.notices, []);
  });

  test('through the CLI: a constraints file linked from outside the scanned folder is not read', () => {
    const outside = project({ 'constraints.txt': 'torch==2.6.0\n' });
    const dir = project({ 'requirements.txt': '-c constraints.txt\ntorch\n' });
    fs.symlinkSync(path.join(outside, 'constraints.txt'), path.join(dir, 'constraints.txt'));
    const r = spawnSync(process.execPath, [CLI, 'scan', '--format', 'json'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    const report = JSON.parse(r.stdout) as { findings: Finding[]; notices: Array<{ path: string; message: string }> };
    assert.deepEqual(report.findings.map((f) => [f.path, f.ruleId, f.line]), [['requirements.txt', 'SAI701', 2]]);
    assert.deepEqual(report.notices.map((n) => [n.path, n.message]), [['requirements.txt', '`-c constraints.txt` could not be read: it is a link to a file outside the scanned folders']]);
  });
});
