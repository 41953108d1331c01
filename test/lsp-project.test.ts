/**
 * Issue 6 in the language server, over real JSON-RPC (test/lsp-harness.ts; needs `npm run build`): dependency
 * manifests analysed open and on disk (diagnostics, hover, the SAI702 fix, suppression), model files scanned by the
 * workspace scan and the file watchers with their SAI210 findings on the model file's URI, and the project's facts
 * reaching Python analyses (open, from disk, in the analysis thread, in notebooks) and changing with the files.
 *
 * The checkpoints are written here by hand (test/artifacts/build.ts): a PyTorch zip whose `data.pkl` calls
 * `os.system`. Nothing is ever unpickled.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CodeAction, Diagnostic, Hover, MarkupContent } from 'vscode-languageserver-protocol/node';
import { scanWorkspaceRequest, type DiagnosticData, type ScanWorkspaceResult } from '../server/src/shared/protocol';
import { callPickle, makeZip } from './artifacts/build';
import { LspClient, SERVER, cellUri, fileUri, rangeOf, workspaceEditFor } from './lsp-harness';

const NOTEBOOK_CAPS = { notebookDocument: { synchronization: { dynamicRegistration: false, executionSummarySupport: false } } };
const has = (id: string, severity?: number) => (ds: Diagnostic[]) => ds.some((d) => d.code === id && (severity === undefined || d.severity === severity));
const hasNot = (id: string) => (ds: Diagnostic[]) => !ds.some((d) => d.code === id);
const msgOf = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);
const ERROR = 1;
const WARNING = 2;
const INFORMATION = 3;
const HINT = 4;
const CREATED = 1;
const CHANGED = 2;
const DELETED = 3;

/** A PyTorch zip checkpoint (`torch.save` since 1.6) whose pickle runs `os.system` when loaded. */
const evilCheckpoint = () =>
  makeZip([
    { name: 'archive/data.pkl', data: callPickle('os', 'system', 'echo pwned') },
    { name: 'archive/version', data: Buffer.from('3\n') },
  ]);
/** The same layout with a pickle that imports only what PyTorch's allowlist holds. */
const cleanCheckpoint = () => makeZip([{ name: 'archive/data.pkl', data: callPickle('collections', 'OrderedDict', 'x') }]);

const TRAIN = 'import torch\n\nstate = torch.load("models/evil.pt")\n';

function workspace(files: Record<string, string | Uint8Array>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sai-lsp-project-')));
  for (const [rel, content] of Object.entries(files)) write(dir, rel, content);
  return dir;
}

function write(dir: string, rel: string, content: string | Uint8Array): string {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

async function actionsFor(client: LspClient, uri: string, diagnostics: Diagnostic[]): Promise<CodeAction[]> {
  return client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: diagnostics[0].range, context: { diagnostics } });
}

const watched = (client: LspClient, changes: Array<{ file: string; type: number }>) =>
  client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: changes.map((c) => ({ uri: fileUri(c.file), type: c.type })) });

/** Waits for the first scan to end (its progress `end`). */
const scanEnded = (client: LspClient) =>
  client.waitUntil(() => client.progress.some((p) => (p as { value: { kind: string } }).value.kind === 'end'), 'the workspace scan to end');

before(() => {
  assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run npm run build`);
});

describe('workspace scan with manifests, model files and lock files', () => {
  let client: LspClient;
  let dir: string;
  const uri = (rel: string) => fileUri(path.join(dir, rel));
  const diags = (rel: string) => client.diagnostics.get(uri(rel))?.diagnostics ?? [];

  before(async () => {
    dir = workspace({
      'requirements.txt': 'transformers>=4\n',
      'models/evil.pt': evilCheckpoint(),
      'models/clean.pt': cleanCheckpoint(),
      // An extension-less model file: found by its first bytes.
      'weights/pytorch_model': evilCheckpoint(),
      'train.py': TRAIN,
      // Over 64 KB: analysed from disk in the analysis thread, which must get the facts too.
      'big_train.py': Array.from({ length: 4000 }, (_, i) => `value_${i} = ${i}  # padding`).join('\n') + '\n' + TRAIN,
      '.gitignore': 'ignored/\n',
      'ignored/requirements.txt': 'torch\n',
      'ignored/evil.pt': evilCheckpoint(),
      'README': 'not a model\n',
    });
    client = await LspClient.start({ folders: [dir], initializationOptions: { scanOnStartup: true } });
    await scanEnded(client);
  });
  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the server watches manifests, lock files and model files, not every file', () => {
    const reg = client.registrations.map((r) => JSON.stringify(r)).find((r) => r.includes('workspace/didChangeWatchedFiles'));
    assert.ok(reg, 'a watcher registration');
    const globs = (JSON.parse(reg!) as { registrations: Array<{ registerOptions: { watchers: Array<{ globPattern: string }> } }> }).registrations[0].registerOptions.watchers.map((w) => w.globPattern);
    for (const g of ['**/*.py', '**/.gitignore', '**/pyproject.toml', '**/setup.cfg', '**/*requirements*.{txt,in}']) assert.ok(globs.includes(g), g);
    assert.ok(globs.some((g) => g.includes('poetry.lock') && g.includes('uv.lock')), 'lock files');
    assert.ok(globs.some((g) => g.includes('pt,') && g.includes('safetensors')), 'model files');
    assert.ok(!globs.includes('**/*') && !globs.includes('**'), 'not every file');
  });

  test('after the scan: SAI210 on the checkpoint (an error, on its own URI), on the load in train.py, SAI701 on requirements.txt', async () => {
    const [onModel] = diags('models/evil.pt');
    assert.equal(onModel?.code, 'SAI210');
    assert.equal(onModel.severity, ERROR);
    assert.match(msgOf(onModel), /os\.system/);
    assert.deepEqual(onModel.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
    assert.deepEqual(diags('models/clean.pt'), [], 'a clean checkpoint has no findings');
    assert.ok(has('SAI210', ERROR)(diags('weights/pytorch_model')), 'the extension-less checkpoint, sniffed');

    const train = diags('train.py');
    const sai210 = train.find((d) => d.code === 'SAI210');
    assert.ok(sai210, JSON.stringify(train));
    assert.equal(sai210.severity, ERROR);
    assert.deepEqual(sai210.range, rangeOf(TRAIN, '"models/evil.pt"'));
    assert.ok(has('SAI202', WARNING)(train));
    assert.ok(has('SAI210', ERROR)(diags('big_train.py')), 'the analysis thread got the facts');

    const [req] = diags('requirements.txt');
    assert.equal(req?.code, 'SAI701');
    assert.equal(req.severity, WARNING);
    assert.match(msgOf(req), /transformers>=4/);

    // .gitignore is honoured for every kind, and nothing else is read as a model file.
    assert.deepEqual(diags('ignored/requirements.txt'), []);
    assert.deepEqual(diags('ignored/evil.pt'), []);
    assert.equal(client.diagnostics.has(uri('README')), false);
  });

  test('the scanWorkspace request counts the model files and manifests too', async () => {
    const r: ScanWorkspaceResult = await client.connection.sendRequest(scanWorkspaceRequest.method, null);
    // train.py, big_train.py, requirements.txt; evil.pt, clean.pt, pytorch_model
    assert.equal(r.files, 6);
    assert.equal(r.findings, 2 + 2 + 1 + 1 + 1);
    assert.equal(r.skipped, 0);
  });

  test('an open train.py gets the facts; torch>=2.6 saved in requirements.txt turns its SAI202 into a hint', async () => {
    const trainUri = uri('train.py');
    await client.open(trainUri, TRAIN);
    const open = await client.diagnosticsFor(trainUri, has('SAI202', WARNING));
    assert.ok(has('SAI210', ERROR)(open));

    const req = write(dir, 'requirements.txt', 'transformers>=4\ntorch>=2.6\n');
    await watched(client, [{ file: req, type: CHANGED }]);
    const after = await client.diagnosticsFor(trainUri, has('SAI202', HINT));
    const hint = after.find((d) => d.code === 'SAI202')!;
    assert.match(msgOf(hint), /requirements\.txt:2/);
    assert.ok(has('SAI210', ERROR)(after), 'the flagged checkpoint is still flagged');
    // The manifest itself was analysed again from disk: torch>=2.6 only sets a lower bound.
    await client.waitUntil(() => diags('requirements.txt').filter((d) => d.code === 'SAI701').length === 2, 'SAI701 on both lines');

    write(dir, 'requirements.txt', 'transformers>=4\n');
    await watched(client, [{ file: req, type: CHANGED }]);
    await client.diagnosticsFor(trainUri, has('SAI202', WARNING));
    await client.close(trainUri);
  });

  test('a manifest created on disk is analysed; a lock file created beside it turns its SAI701 into information; deleted, back', async () => {
    const toml = write(dir, 'svc/pyproject.toml', '[project]\nname = "svc"\ndependencies = ["transformers>=4"]\n');
    await watched(client, [{ file: toml, type: CREATED }]);
    await client.waitUntil(() => has('SAI701', WARNING)(diags('svc/pyproject.toml')), 'the new manifest analysed');
    // uv.lock pins the pyproject.toml in its folder (engine/analyze-manifest.ts `lockFileFor`).
    const lock = write(dir, 'svc/uv.lock', 'version = 1\n');
    await watched(client, [{ file: lock, type: CREATED }]);
    await client.waitUntil(() => has('SAI701', INFORMATION)(diags('svc/pyproject.toml')), 'SAI701 as information');
    assert.match(msgOf(diags('svc/pyproject.toml')[0]), /uv\.lock/);
    fs.rmSync(lock);
    await watched(client, [{ file: lock, type: DELETED }]);
    await client.waitUntil(() => has('SAI701', WARNING)(diags('svc/pyproject.toml')), 'SAI701 as a warning again');
    fs.rmSync(toml);
    await watched(client, [{ file: toml, type: DELETED }]);
    await client.waitUntil(() => diags('svc/pyproject.toml').length === 0, 'the deleted manifest cleared');
  });

  test('a model file created (flagged), rewritten clean (cleared) and deleted is scanned each time', async () => {
    const file = write(dir, 'models/new.pkl', callPickle('subprocess', 'Popen', 'sh'));
    await watched(client, [{ file, type: CREATED }]);
    await client.waitUntil(() => has('SAI210', ERROR)(diags('models/new.pkl')), 'the new model file flagged');
    assert.match(msgOf(diags('models/new.pkl')[0]), /subprocess/);
    write(dir, 'models/new.pkl', callPickle('collections', 'OrderedDict', 'x'));
    await watched(client, [{ file, type: CHANGED }]);
    await client.waitUntil(() => diags('models/new.pkl').length === 0, 'the cleaned model file cleared');
    fs.rmSync(file);
    await watched(client, [{ file, type: DELETED }]);
  });

  test('deleting the evil checkpoint clears its diagnostics and the SAI210 on train.py (from disk and open)', async () => {
    const trainUri = uri('train.py');
    await client.open(trainUri, TRAIN);
    await client.diagnosticsFor(trainUri, has('SAI210'));
    const evil = path.join(dir, 'models', 'evil.pt');
    fs.rmSync(evil);
    await watched(client, [{ file: evil, type: DELETED }]);
    await client.waitUntil(() => diags('models/evil.pt').length === 0, 'the checkpoint cleared');
    await client.diagnosticsFor(trainUri, hasNot('SAI210'));
    await client.waitUntil(() => hasNot('SAI210')(diags('big_train.py')) && has('SAI202')(diags('big_train.py')), 'big_train.py from disk re-analysed');
    // Back: created again, the load is flagged again.
    write(dir, 'models/evil.pt', evilCheckpoint());
    await watched(client, [{ file: evil, type: CREATED }]);
    await client.diagnosticsFor(trainUri, has('SAI210', ERROR));
    await client.close(trainUri);
    await client.waitUntil(() => has('SAI210')(diags('train.py')) && client.diagnostics.get(trainUri)?.version === undefined, 'the disk findings back');
  });
});

describe('open manifests', () => {
  let client: LspClient;
  let dir: string;
  before(async () => {
    dir = workspace({});
    client = await LspClient.start({ folders: [dir] });
  });
  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('an open requirements file is analysed as it is edited, whatever its language id', async () => {
    const uri = fileUri(path.join(dir, 'requirements.txt'));
    const text = 'numpy==2.0.0\ntransformers>=4\n';
    await client.open(uri, text, 'pip-requirements');
    const [d] = await client.diagnosticsFor(uri, has('SAI701'));
    assert.deepEqual(d.range.start.line, 1);
    assert.equal((d.data as DiagnosticData).version, 1);

    // Pin it: the finding goes; add an unpinned one: it comes back on its line.
    await client.change(uri, [{ range: rangeOf(text, '>=4'), text: '==4.46.3' }]);
    assert.deepEqual(await client.diagnosticsFor(uri), []);
    await client.change(uri, [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: 'torch\n' }]);
    const [torch] = await client.diagnosticsFor(uri, has('SAI701'));
    assert.equal(torch.range.start.line, 2);
    assert.match(msgOf(torch), /`torch` has no version constraint/);
  });

  test('hover on a manifest finding shows the rule docs', async () => {
    const uri = fileUri(path.join(dir, 'requirements-dev.txt'));
    await client.open(uri, 'langchain\n', 'plaintext');
    const [d] = await client.diagnosticsFor(uri, has('SAI701'));
    const hover: Hover | null = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: d.range.start });
    const value = (hover?.contents as MarkupContent).value;
    assert.match(value, /\*\*SAI701\*\*/);
    assert.match(value, /NCSC 2\.1/);
  });

  test('the SAI702 quick fix turns http into https; pyproject.toml and environment.yml are analysed too', async () => {
    const uri = fileUri(path.join(dir, 'reqs', 'requirements.txt'));
    const text = '--index-url http://mirror.example.com/simple\nnumpy==2.0.0\n';
    await client.open(uri, text);
    const ds = await client.diagnosticsFor(uri, has('SAI702', ERROR));
    const actions = await actionsFor(client, uri, ds.filter((d) => d.code === 'SAI702'));
    const fix = actions.find((a) => a.edit && /https/i.test(a.title));
    assert.ok(fix, JSON.stringify(actions.map((a) => a.title)));
    const edits = workspaceEditFor(uri, fix.edit!);
    assert.ok(edits.some((e) => e.newText.includes('https')), JSON.stringify(edits));
    const fixed = await client.applyWorkspaceEdit(uri, fix.edit!);
    assert.match(fixed, /^--index-url https:\/\/mirror\.example\.com\/simple\n/);
    await client.diagnosticsFor(uri, hasNot('SAI702'));
    assert.ok(actions.some((a) => a.title === 'Show documentation for SAI702'));

    const toml = fileUri(path.join(dir, 'pyproject.toml'));
    await client.open(toml, '[project]\nname = "x"\ndependencies = ["torch>=2.6"]\n', 'toml');
    await client.diagnosticsFor(toml, has('SAI701'));
    const yml = fileUri(path.join(dir, 'environment.yml'));
    await client.open(yml, 'name: x\ndependencies:\n  - pip:\n      - transformers\n', 'yaml');
    await client.diagnosticsFor(yml, has('SAI701'));
  });

  test('"Suppress" puts a # comment on its own line above the finding, which then suppresses it; a second rule merges in', async () => {
    const uri = fileUri(path.join(dir, 'setup.cfg'));
    const text = '[options]\ninstall_requires =\n    torch\n    numpy==2.0.0\n';
    await client.open(uri, text, 'ini');
    const [d] = await client.diagnosticsFor(uri, has('SAI701'));
    const suppress = (await actionsFor(client, uri, [d])).find((a) => a.title === 'Suppress SAI701 on this line');
    assert.ok(suppress);
    const after = await client.applyWorkspaceEdit(uri, suppress.edit!);
    assert.equal(after, '[options]\ninstall_requires =\n    # secure-ai: ignore[SAI701] reason\n    torch\n    numpy==2.0.0\n');
    assert.deepEqual(await client.diagnosticsFor(uri), []);

    const req = fileUri(path.join(dir, 'requirements-gpu.txt'));
    await client.open(req, '# secure-ai: ignore[SAI702] internal mirror\n--extra-index-url https://download.pytorch.org/whl/cu121\n');
    await client.diagnosticsFor(req, (ds) => ds.length === 0);
    await client.change(req, [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: 'torch\n' }]);
    const [t] = await client.diagnosticsFor(req, has('SAI701'));
    const s2 = (await actionsFor(client, req, [t])).find((a) => a.title === 'Suppress SAI701 on this line');
    const merged = await client.applyWorkspaceEdit(req, s2!.edit!);
    assert.equal(merged, '# secure-ai: ignore[SAI702] internal mirror\n--extra-index-url https://download.pytorch.org/whl/cu121\n# secure-ai: ignore[SAI701] reason\ntorch\n');
    assert.deepEqual(await client.diagnosticsFor(req), []);
  });

  test('closing an open manifest outside the workspace folders clears it', async () => {
    const outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sai-lsp-outside-')));
    try {
      const uri = fileUri(path.join(outside, 'requirements.txt'));
      await client.open(uri, 'torch\n');
      await client.diagnosticsFor(uri, has('SAI701'));
      await client.close(uri);
      await client.waitUntil(() => client.diagnostics.get(uri)?.diagnostics.length === 0, 'cleared');
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  test('a .txt file that is not a manifest, opened, is not analysed', async () => {
    const uri = fileUri(path.join(dir, 'notes.txt'));
    await client.open(uri, 'torch\n', 'plaintext');
    const probe = fileUri(path.join(dir, 'probe.py'));
    await client.open(probe, 'x = 1\n');
    await client.diagnosticsFor(probe);
    assert.equal(client.diagnostics.has(uri), false);
  });
});

describe('-c constraint files and -r includes (SAI701)', () => {
  let client: LspClient;
  let dir: string;
  const uri = (rel: string) => fileUri(path.join(dir, rel));
  const diags = (rel: string) => client.diagnostics.get(uri(rel))?.diagnostics ?? [];
  const sai701Lines = (ds: Diagnostic[]) => ds.filter((d) => d.code === 'SAI701').map((d) => d.range.start.line);
  before(async () => {
    dir = workspace({
      'requirements.txt': '-c constraints.txt\ntorch\ntransformers>=4\n',
      'constraints.txt': 'torch==2.6.0\ntransformers==4.46.3\n',
    });
    client = await LspClient.start({ folders: [dir], initializationOptions: { scanOnStartup: true } });
    await scanEnded(client);
  });
  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('quiet after the scan; a pin dropped from the constraints file on disk, an unsaved edit and a deleted file bring the findings back', async () => {
    assert.deepEqual(diags('requirements.txt'), []);
    // On disk: constraints.txt loses transformers; requirements.txt (not open) is analysed again.
    const constraints = write(dir, 'constraints.txt', 'torch==2.6.0\n');
    await watched(client, [{ file: constraints, type: CHANGED }]);
    await client.waitUntil(() => JSON.stringify(sai701Lines(diags('requirements.txt'))) === '[2]', 'SAI701 on transformers only');

    // Open, and the -c line deleted in the editor (not saved): the constraints no longer apply.
    const req = uri('requirements.txt');
    const text = '-c constraints.txt\ntorch\ntransformers>=4\n';
    await client.open(req, text, 'pip-requirements');
    assert.deepEqual(sai701Lines(await client.diagnosticsFor(req)), [2]);
    await client.change(req, [{ range: rangeOf(text, '-c constraints.txt\n'), text: '' }]);
    assert.deepEqual(sai701Lines(await client.diagnosticsFor(req, (ds) => sai701Lines(ds).length === 2)), [0, 1]);
    await client.change(req, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '-c constraints.txt\n' }]);
    assert.deepEqual(sai701Lines(await client.diagnosticsFor(req, (ds) => sai701Lines(ds).length === 1)), [2]);

    // The constraints file deleted: both are reported, and the open file says why.
    fs.rmSync(constraints);
    await watched(client, [{ file: constraints, type: DELETED }]);
    const ds = await client.diagnosticsFor(req, (d) => sai701Lines(d).length === 2);
    assert.deepEqual(sai701Lines(ds), [1, 2]);
    assert.ok(ds.some((d) => d.code === undefined && /`-c constraints\.txt` could not be read: no such file/.test(msgOf(d))), JSON.stringify(ds));
    await client.close(req);
  });
});

describe('facts in notebooks and open documents in the analysis thread', () => {
  let client: LspClient;
  let dir: string;
  before(async () => {
    dir = workspace({ 'models/evil.pt': evilCheckpoint(), 'requirements.txt': 'torch>=2.6\n' });
    client = await LspClient.start({ folders: [dir], capabilities: NOTEBOOK_CAPS });
    await client.connection.sendRequest(scanWorkspaceRequest.method, null);
  });
  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a notebook cell that loads the flagged checkpoint gets SAI210; SAI202 is a hint', async () => {
    const nb = fileUri(path.join(dir, 'explore.ipynb'));
    const cell = cellUri(nb, 0);
    await client.openNotebook(nb, [{ uri: cell, text: 'import torch\nm = torch.load("models/evil.pt")\n' }]);
    const ds = await client.diagnosticsFor(cell, has('SAI210', ERROR));
    assert.ok(has('SAI202', HINT)(ds), JSON.stringify(ds));
  });

  test('a large open document, analysed in the analysis thread, gets the facts', async () => {
    const uri = fileUri(path.join(dir, 'large.py'));
    const text = Array.from({ length: 4000 }, (_, i) => `value_${i} = ${i}  # padding`).join('\n') + '\n' + TRAIN;
    await client.open(uri, text);
    const ds = await client.diagnosticsFor(uri, has('SAI210', ERROR));
    assert.ok(has('SAI202', HINT)(ds));
  });

  test('a notebook open when the checkpoint is deleted loses its SAI210', async () => {
    const cell = cellUri(fileUri(path.join(dir, 'explore.ipynb')), 0);
    const evil = path.join(dir, 'models', 'evil.pt');
    fs.rmSync(evil);
    await watched(client, [{ file: evil, type: DELETED }]);
    await client.diagnosticsFor(cell, hasNot('SAI210'));
  });
});

describe('nothing runs', () => {
  test('scanning model files and manifests, watching and re-scanning them: no process, network or workspace module (audited)', async () => {
    // The audit of test/fuzz/audit.ts, preloaded into the server and its analysis thread: it records and blocks
    // every way to start a process, reach the network or load a module from the workspace.
    const audit = path.join(__dirname, 'fuzz', 'audit.js');
    const dir = workspace({
      'models/evil.pt': evilCheckpoint(),
      // A pickle that names a module of the workspace itself: loading it would import evilmod.py.
      'models/local.pkl': callPickle('evilmod', 'run', 'x'),
      'evilmod.py': 'import os\nos.system("echo pwned")\ndef run(x):\n    pass\n',
      'weights/pytorch_model': evilCheckpoint(),
      'requirements.txt': '--index-url http://mirror.example.com/simple\ntorch\n',
      'pyproject.toml': '[project]\nname = "x"\ndependencies = ["transformers>=4"]\n',
      'train.py': 'import pickle, torch\nm = torch.load("models/evil.pt")\nn = pickle.load(open("models/local.pkl", "rb"))\n',
    });
    const log = path.join(dir, '..', `${path.basename(dir)}-audit.log`);
    const client = await LspClient.start({
      folders: [dir],
      env: { NODE_OPTIONS: `--require ${JSON.stringify(audit)}`, SAI_AUDIT_LOG: log, SAI_AUDIT_ROOTS: dir },
    });
    try {
      await client.connection.sendRequest(scanWorkspaceRequest.method, null);
      const models = ['models/evil.pt', 'models/local.pkl', 'weights/pytorch_model'];
      for (const rel of models) assert.ok(has('SAI210')(client.diagnostics.get(fileUri(path.join(dir, rel)))?.diagnostics ?? []), rel);
      const train = fileUri(path.join(dir, 'train.py'));
      assert.ok(has('SAI210')(client.diagnostics.get(train)?.diagnostics ?? []), 'the load of the flagged checkpoint');
      // A watcher event rescans; an open manifest gets its code actions and hover.
      write(dir, 'models/evil.pt', evilCheckpoint());
      await watched(client, [{ file: path.join(dir, 'models/evil.pt'), type: CHANGED }]);
      const req = fileUri(path.join(dir, 'requirements.txt'));
      await client.open(req, fs.readFileSync(path.join(dir, 'requirements.txt'), 'utf8'));
      const ds = await client.diagnosticsFor(req, has('SAI702'));
      await actionsFor(client, req, ds);
      await client.connection.sendRequest('textDocument/hover', { textDocument: { uri: req }, position: ds[0].range.start });
      await client.connection.sendRequest(scanWorkspaceRequest.method, null);
      if (fs.existsSync(`/proc/${client.proc.pid}/task`)) {
        const children = fs
          .readdirSync(`/proc/${client.proc.pid}/task`)
          .flatMap((t) => fs.readFileSync(`/proc/${client.proc.pid}/task/${t}/children`, 'utf8').split(/\s+/).filter(Boolean));
        assert.deepEqual(children, [], 'the server has no child processes');
      }
    } finally {
      await client.stop();
    }
    const lines = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
    assert.ok(lines.some((l) => l.startsWith('loaded ')), 'the audit ran in the server');
    assert.deepEqual(lines.filter((l) => l.startsWith('event ')), []);
    fs.rmSync(log, { force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
