/**
 * The language server over real JSON-RPC: `node dist/server.js --stdio` in a separate process, spoken to with
 * vscode-languageserver-protocol (test/lsp-harness.ts). Needs `npm run build` first (npm test does it).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CodeAction, Diagnostic, Hover, MarkupContent } from 'vscode-languageserver-protocol/node';
import { ruleDocsUrl } from '../server/src/rules/docs';
import { RULES_BY_ID } from '../server/src/rules';
import { DIAGNOSTIC_SOURCE, FIX_ALL_KIND, scanWorkspaceRequest, type DiagnosticData, type ScanWorkspaceResult } from '../server/src/shared/protocol';
import { pyCompileError } from './helpers';
import { LspClient, SERVER, fileUri, rangeOf, workspaceEditFor, applyTextEdits } from './lsp-harness';

const TORCH = 'import torch\n\nstate = torch.load("checkpoint.pt")\n';
const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `sai-lsp-${name}-`));
const ids = (ds: Diagnostic[]) => ds.map((d) => d.code);
const msgOf = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);
const has = (id: string) => (ds: Diagnostic[]) => ds.some((d) => d.code === id);
const hasNot = (id: string) => (ds: Diagnostic[]) => !ds.some((d) => d.code === id);

async function actionsAt(client: LspClient, uri: string, diagnostics: Diagnostic[], only?: string[]): Promise<CodeAction[]> {
  const range = diagnostics[0]?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return client.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range,
    context: { diagnostics, ...(only ? { only } : {}) },
  });
}

before(() => {
  assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run npm run build`);
});

describe('diagnostics', () => {
  let client: LspClient;
  let dir: string;
  before(async () => {
    dir = tmp('diag');
    client = await LspClient.start({ folders: [dir] });
  });
  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('initialize declares incremental sync, code actions (with fix-all) and hover', () => {
    const caps = (client.initializeResult as { capabilities: Record<string, unknown> }).capabilities;
    assert.equal((caps.textDocumentSync as { change: number }).change, 2);
    assert.deepEqual((caps.codeActionProvider as { codeActionKinds: string[] }).codeActionKinds, ['quickfix', FIX_ALL_KIND]);
    assert.equal(caps.hoverProvider, true);
  });

  test('didOpen publishes a finding with code, docs href, guideline text and data', async () => {
    const uri = fileUri(path.join(dir, 'open.py'));
    await client.open(uri, TORCH);
    const [d, ...rest] = await client.diagnosticsFor(uri, has('SAI202'));
    assert.equal(rest.length, 0, JSON.stringify(rest));
    assert.equal(d.source, DIAGNOSTIC_SOURCE);
    assert.equal(d.code, 'SAI202');
    assert.equal(d.codeDescription?.href, ruleDocsUrl('SAI202'));
    assert.match(msgOf(d), /weights_only/);
    assert.match(msgOf(d), /\[NCSC 1\.3 Design for security as well as functionality and performance\]$/);
    assert.equal(d.severity, 2);
    assert.deepEqual(d.range, rangeOf(TORCH, 'torch.load("checkpoint.pt")'));
    const data = d.data as DiagnosticData;
    assert.equal(data.ruleId, 'SAI202');
    assert.equal(data.confidence, 'high');
    assert.equal(data.version, 1);
    assert.equal(data.fix?.title, 'Add `weights_only=True`');
    assert.ok(data.fix && data.fix.edits.length > 0);
  });

  test('incremental didChange makes a finding appear, then disappear', async () => {
    // Non-ASCII text before the edit: positions are UTF-16 code units on both sides.
    const text = 'import torch\n\nlabel = "é😀"\nx = 1\n';
    const uri = fileUri(path.join(dir, 'typing.py'));
    await client.open(uri, text);
    assert.deepEqual(await client.diagnosticsFor(uri), []);

    // Type `torch.load(p)` a few characters at a time, as an editor sends keystrokes.
    const at = rangeOf(text, '1\n').start;
    const range = (ch: number) => ({ start: { line: at.line, character: ch }, end: { line: at.line, character: ch } });
    await client.change(uri, [{ range: { start: at, end: { line: at.line, character: at.character + 1 } }, text: '' }]);
    let col = at.character;
    for (const piece of ['tor', 'ch.', 'lo', 'ad(', 'p)']) {
      await client.change(uri, [{ range: range(col), text: piece }]);
      col += piece.length;
    }
    assert.equal(client.text(uri), 'import torch\n\nlabel = "é😀"\nx = torch.load(p)\n');
    const appeared = await client.diagnosticsFor(uri, has('SAI202'));
    assert.deepEqual(appeared[0].range, rangeOf(client.text(uri), 'torch.load(p)'));

    // Two changes in one notification: a new line above (shifting everything), then `weights_only=True` added.
    await client.change(uri, [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# header ✓\n' },
      { range: { start: { line: at.line + 1, character: col - 1 }, end: { line: at.line + 1, character: col - 1 } }, text: ', weights_only=True' },
    ]);
    assert.equal(client.text(uri), '# header ✓\nimport torch\n\nlabel = "é😀"\nx = torch.load(p, weights_only=True)\n');
    assert.deepEqual(await client.diagnosticsFor(uri), []);

    // Delete the keyword again (a range deletion): the finding is back; delete the call: gone for good.
    const t = client.text(uri);
    await client.change(uri, [{ range: rangeOf(t, ', weights_only=True'), text: '' }]);
    await client.diagnosticsFor(uri, has('SAI202'));
    await client.change(uri, [{ range: rangeOf(client.text(uri), 'torch.load(p)'), text: 'None' }]);
    assert.deepEqual(await client.diagnosticsFor(uri), []);
  });

  test('a burst of edits is debounced and analysed at the final version', async () => {
    const uri = fileUri(path.join(dir, 'burst.py'));
    await client.open(uri, 'import torch\n');
    await client.diagnosticsFor(uri);
    const before = client.published.filter((p) => p.uri === uri).length;
    const line = (n: number) => ({ start: { line: n, character: 0 }, end: { line: n, character: 0 } });
    for (let i = 0; i < 20; i++) await client.change(uri, [{ range: line(1 + i), text: `a${i} = torch.load(p${i})\n` }]);
    const ds = await client.diagnosticsFor(uri, (d) => d.length === 20);
    assert.equal(ds.length, 20);
    // Far fewer publications than edits (the debounce collapses the burst), and none for an older version after it.
    const runs = client.published.filter((p) => p.uri === uri).slice(before);
    assert.ok(runs.length < 20, `${runs.length} publications for 20 edits`);
    assert.equal(runs[runs.length - 1].version, 21);
  });

  test('suppressed findings are not published; closing a file outside the scan clears it', async () => {
    const uri = fileUri(path.join(os.tmpdir(), `sai-outside-${process.pid}.py`));
    await client.open(uri, 'import torch\nx = torch.load(p)  # secure-ai: ignore[SAI202] trusted local file\ny = torch.load(q)\n');
    const ds = await client.diagnosticsFor(uri, has('SAI202'));
    assert.deepEqual(
      ds.map((d) => d.range.start.line),
      [2],
    );
    await client.close(uri);
    await client.waitUntil(() => client.diagnostics.get(uri)?.diagnostics.length === 0, 'cleared diagnostics');
  });

  test('a file over maxFileSizeKb gets one Information diagnostic at line 0 and no findings', async () => {
    const uri = fileUri(path.join(dir, 'big.py'));
    client.config.set(uri, { maxFileSizeKb: 1 });
    await client.open(uri, TORCH + '#'.repeat(2000) + '\n');
    const ds = await client.diagnosticsFor(uri);
    assert.equal(ds.length, 1);
    assert.equal(ds[0].severity, 3);
    assert.equal(ds[0].code, undefined);
    assert.deepEqual(ds[0].range.start, { line: 0, character: 0 });
    assert.match(msgOf(ds[0]), /not analyse.*over the 1 KB limit/);
  });

  test('hover over a flagged range shows the rule docs and the NCSC item text', async () => {
    const uri = fileUri(path.join(dir, 'hover.py'));
    await client.open(uri, TORCH);
    await client.diagnosticsFor(uri, has('SAI202'));
    const pos = rangeOf(TORCH, 'load').start;
    const hover: Hover | null = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: pos });
    assert.ok(hover);
    const value = (hover.contents as MarkupContent).value;
    assert.equal((hover.contents as MarkupContent).kind, 'markdown');
    assert.match(value, /# SAI202: /);
    assert.match(value, /NCSC 1\.3 Design for security as well as functionality and performance\*\* \(Secure design\): treat third-party models/);
    assert.match(value, /## Why it is dangerous/);
    assert.doesNotMatch(value, /\]\(\.\.\/\.\.\/server/, 'no repository-relative links in a hover');
    const nothing = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    assert.equal(nothing, null);
  });

  test('a malformed request gets an error response and the server keeps answering', async () => {
    await assert.rejects(client.connection.sendRequest('textDocument/hover', {}), (err: { code?: number }) => err.code === -32602);
    await assert.rejects(client.connection.sendRequest('textDocument/codeAction', { textDocument: {} }), (err: { code?: number }) => err.code === -32602);
    await assert.rejects(client.connection.sendRequest('secureAi/noSuchRequest', {}), (err: { code?: number }) => err.code === -32601);
    await assert.rejects(client.connection.sendRequest('secureAi/ruleDocumentation', { ruleId: 42 }), (err: { code?: number }) => err.code === -32602);
    // A malformed notification is logged, not fatal.
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: 'file:///nowhere.py' } });
    const uri = fileUri(path.join(dir, 'alive.py'));
    await client.open(uri, TORCH);
    assert.deepEqual(ids(await client.diagnosticsFor(uri, has('SAI202'))), ['SAI202']);
    const docs = await client.connection.sendRequest('secureAi/ruleDocumentation', { ruleId: 'sai202' });
    assert.match((docs as { markdown: string }).markdown, /^# SAI202: /);
    assert.equal(await client.connection.sendRequest('secureAi/ruleDocumentation', { ruleId: 'SAI999' }), null);
    assert.equal(client.proc.exitCode, null);
  });
});

describe('large files', () => {
  let client: LspClient;
  let dir: string;
  before(async () => {
    dir = tmp('large');
    client = await LspClient.start({ folders: [dir] });
  });
  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `lines` lines of ordinary code, with a flagged load every 500 lines. */
  const big = (lines: number) => {
    const out = ['import os', 'import torch', ''];
    for (let i = 0; out.length < lines; i++) {
      out.push(`def step_${i}(batch, path=os.path.join("runs", "${i}")):`, `    scale = ${i % 7} * 0.5 + 1.0  # tuning`, i % 125 === 0 ? '    return torch.load(path)' : '    return [x * scale for x in batch]', '');
    }
    return out.join('\n') + '\n';
  };

  test('a large file is analysed off the main thread and does not hold up a small one', async () => {
    const largeUri = fileUri(path.join(dir, 'large.py'));
    const smallUri = fileUri(path.join(dir, 'small.py'));
    const text = big(40_000);
    assert.ok(text.length > 1_000_000 && text.length < 2048 * 1024);
    await client.open(largeUri, text);
    await client.open(smallUri, TORCH);
    await client.diagnosticsFor(smallUri, has('SAI202'));
    assert.equal(client.diagnostics.get(largeUri), undefined, 'the small file was answered while the large one was still being analysed');
    const ds = await client.diagnosticsFor(largeUri, (d) => d.length > 0, 60_000);
    assert.equal(ds.length, 80);
    assert.ok(ds.every((d) => d.code === 'SAI202'));
  });

  test('incremental edits of a large file work through the analysis thread', async () => {
    const uri = fileUri(path.join(dir, 'medium.py'));
    const text = big(3000).replace(/torch\.load\(path\)/g, 'torch.load(path, weights_only=True)');
    assert.ok(text.length > 64 * 1024);
    await client.open(uri, text);
    assert.deepEqual(await client.diagnosticsFor(uri), []);
    const at = rangeOf(text, ', weights_only=True', 3);
    await client.change(uri, [{ range: at, text: '' }]);
    const [d] = await client.diagnosticsFor(uri, (x) => x.length === 1);
    assert.equal(d.range.start.line, at.start.line);
    const [fix] = await actionsAt(client, uri, [d]);
    assert.equal(fix.title, 'Add `weights_only=True`');
    const fixed = await client.applyWorkspaceEdit(uri, fix.edit!);
    assert.equal(fixed, text);
    assert.deepEqual(await client.diagnosticsFor(uri), []);
  });
});

describe('code actions', () => {
  let client: LspClient;
  let dir: string;
  before(async () => {
    dir = tmp('actions');
    client = await LspClient.start({ folders: [dir] });
  });
  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the quick fix, applied, leaves code with no finding that compiles', async () => {
    const uri = fileUri(path.join(dir, 'fix.py'));
    const text = 'import torch\n\n\ndef restore(path):\n    return torch.load(\n        path,\n        map_location="cpu",\n    )\n';
    await client.open(uri, text);
    const ds = await client.diagnosticsFor(uri, has('SAI202'));
    const actions = await actionsAt(client, uri, ds);
    assert.deepEqual(
      actions.map((a) => a.title),
      ['Add `weights_only=True`', 'Suppress SAI202 on this line', 'Show documentation for SAI202'],
    );
    const [fix, , docs] = actions;
    assert.equal(fix.kind, 'quickfix');
    assert.equal(fix.isPreferred, false, 'an unsafe fix is not preferred');
    assert.deepEqual(fix.diagnostics, [ds[0]]);
    assert.deepEqual(docs.command, { title: 'Show documentation for SAI202', command: 'secureAi.showRuleDocumentation', arguments: ['SAI202'] });
    // Versioned edits: the client refuses them once the document has moved on.
    const dc = fix.edit!.documentChanges![0] as { textDocument: { version: number } };
    assert.equal(dc.textDocument.version, 1);

    const fixed = await client.applyWorkspaceEdit(uri, fix.edit!);
    assert.match(fixed, /map_location="cpu",\n\s+weights_only=True,\n/);
    assert.deepEqual(await client.diagnosticsFor(uri), []);
    assert.equal(pyCompileError(fixed), undefined);
  });

  test('a fix requested with stale diagnostics is recomputed for the current text', async () => {
    const uri = fileUri(path.join(dir, 'stale.py'));
    await client.open(uri, TORCH);
    const old = await client.diagnosticsFor(uri, has('SAI202'));
    // Insert a line at the top; the client shifts the diagnostic's range, but `data` still holds version 1's edits.
    await client.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '"""Doc."""\n' }]);
    const shifted = { ...old[0], range: { start: { ...old[0].range.start, line: 3 }, end: { ...old[0].range.end, line: 3 } } };
    const [fix] = await actionsAt(client, uri, [shifted]);
    assert.equal(fix.title, 'Add `weights_only=True`');
    const fixed = await client.applyWorkspaceEdit(uri, fix.edit!);
    assert.equal(fixed, '"""Doc."""\nimport torch\n\nstate = torch.load("checkpoint.pt", weights_only=True)\n');
    assert.deepEqual(await client.diagnosticsFor(uri), []);
  });

  test('"Suppress on this line" adds a trailing ignore comment, then merges a second rule into it', async () => {
    const uri = fileUri(path.join(dir, 'suppress.py'));
    const text = 'import numpy as np\nimport torch\n\na = torch.load(p); b = np.load(q, allow_pickle=True)\n';
    await client.open(uri, text);
    const ds = await client.diagnosticsFor(uri, (d) => has('SAI202')(d) && has('SAI203')(d));

    const first = (await actionsAt(client, uri, ds.filter((d) => d.code === 'SAI202'))).find((a) => a.title === 'Suppress SAI202 on this line')!;
    assert.equal(first.kind, 'quickfix');
    let t = await client.applyWorkspaceEdit(uri, first.edit!);
    assert.equal(t.split('\n')[3], 'a = torch.load(p); b = np.load(q, allow_pickle=True)  # secure-ai: ignore[SAI202] reason');
    const left = await client.diagnosticsFor(uri, (d) => hasNot('SAI202')(d));
    assert.deepEqual(ids(left), ['SAI203']);

    const second = (await actionsAt(client, uri, left)).find((a) => a.title === 'Suppress SAI203 on this line')!;
    t = await client.applyWorkspaceEdit(uri, second.edit!);
    assert.equal(t.split('\n')[3], 'a = torch.load(p); b = np.load(q, allow_pickle=True)  # secure-ai: ignore[SAI202, SAI203] reason');
    assert.deepEqual(await client.diagnosticsFor(uri), []);
    assert.equal(pyCompileError(t), undefined);
  });

  test('"Suppress" puts the comment on its own line where a trailing one cannot go', async () => {
    const uri = fileUri(path.join(dir, 'suppress-own-line.py'));
    // The flagged line already has a comment of another tool, and opens a string that runs on.
    const text = 'import torch\n\n\ndef f(p):\n    x = torch.load(p, map_location="""cpu\n""")  # noqa: S614\n    return x\n';
    await client.open(uri, text);
    const ds = await client.diagnosticsFor(uri, has('SAI202'));
    const action = (await actionsAt(client, uri, ds)).find((a) => a.title.startsWith('Suppress'))!;
    const t = await client.applyWorkspaceEdit(uri, action.edit!);
    assert.equal(t.split('\n')[4], '    # secure-ai: ignore[SAI202] reason');
    assert.deepEqual(await client.diagnosticsFor(uri), []);
    assert.equal(pyCompileError(t), undefined);
  });

  test('source.fixAll.secure-ai applies exactly the fixes marked safe', async () => {
    const uri = fileUri(path.join(dir, 'fixall.py'));
    const text = 'import numpy as np\nimport torch\nimport yaml\n\na = torch.load(p)\nb = np.load(q, allow_pickle=True)\nc = yaml.load(s)\n';
    await client.open(uri, text);
    const ds = await client.diagnosticsFor(uri, (d) => d.length >= 3);
    const safe = ds.filter((d) => (d.data as DiagnosticData).fix?.safety === 'safe');
    const actions = await actionsAt(client, uri, [], [FIX_ALL_KIND]);
    assert.ok(actions.every((a) => a.kind === FIX_ALL_KIND), 'only the fix-all action when only fix-all is asked for');
    if (safe.length === 0) {
      // No rule marks its fix safe today: fix-all changes nothing rather than applying unsafe fixes.
      assert.deepEqual(actions, []);
      return;
    }
    assert.equal(actions.length, 1);
    const fixed = await client.applyWorkspaceEdit(uri, actions[0].edit!);
    const after = await client.diagnosticsFor(uri);
    for (const d of safe) assert.ok(!after.some((a) => a.code === d.code && (a.data as DiagnosticData).fix?.safety === 'safe'), `${d.code} left`);
    assert.equal(pyCompileError(fixed), undefined);
  });

  test('every fix offered by the fixture rules compiles after it is applied (over the wire)', async () => {
    const cases: Array<[string, string]> = [
      ['numpy', 'import numpy as np\n\narr = np.load("x.npy", allow_pickle=True)\n'],
      ['yaml', 'import yaml as y\n\nwith open("c.yaml") as fh:\n    cfg = y.load(fh)\n'],
      ['keras', 'import keras\n\nm = keras.models.load_model("m.keras", safe_mode=False)\n'],
      ['transformers', 'from transformers import AutoModel\n\nm = AutoModel.from_pretrained("./local", trust_remote_code=True)\n'],
    ];
    for (const [name, text] of cases) {
      const uri = fileUri(path.join(dir, `every-${name}.py`));
      await client.open(uri, text);
      const ds = await client.diagnosticsFor(uri, (d) => d.length > 0);
      const withFix = ds.filter((x) => (x.data as DiagnosticData).fix);
      assert.ok(withFix.length > 0, `${name}: no finding with a fix`);
      for (const d of withFix) {
        const [fix] = await actionsAt(client, uri, [d]);
        const edits = workspaceEditFor(uri, fix.edit!);
        const fixed = applyTextEdits(client.text(uri), edits);
        assert.equal(pyCompileError(fixed), undefined, `${name}: ${fix.title}\n${fixed}`);
      }
      await client.close(uri);
    }
  });
});

describe('settings', () => {
  let client: LspClient;
  let dir: string;
  before(async () => {
    dir = tmp('settings');
    client = await LspClient.start({ folders: [dir] });
  });
  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('settings are pulled per resource; a change clears the cache and re-runs the diagnostics', async () => {
    const uri = fileUri(path.join(dir, 'sev.py'));
    await client.open(uri, TORCH);
    assert.equal((await client.diagnosticsFor(uri, has('SAI202')))[0].severity, 2);
    assert.ok(client.configRequests.some((r) => r.scopeUri === uri && r.section === 'secureAi'));

    await client.setConfig({ rules: { SAI202: 'error' } });
    await client.waitUntil(() => client.diagnostics.get(uri)?.diagnostics[0]?.severity === 1, 'an error severity');

    // A prefix key; the longest matching key wins.
    await client.setConfig({ rules: { SAI2: 'hint', SAI20: 'info' } });
    await client.waitUntil(() => client.diagnostics.get(uri)?.diagnostics[0]?.severity === 3, 'an info severity');

    await client.setConfig({ rules: { SAI202: 'off' } });
    await client.waitUntil(() => client.diagnostics.get(uri)?.diagnostics.length === 0, 'the rule turned off');

    await client.setConfig({ enable: false });
    await client.waitUntil(() => client.diagnostics.get(uri)?.diagnostics.length === 0, 'disabled');
    await client.setConfig({ minConfidence: 'high' });
    await client.diagnosticsFor(uri, has('SAI202'));
  });

  test('run: onSave analyses on save, not while typing', async () => {
    const uri = fileUri(path.join(dir, 'onsave.py'));
    client.config.set(uri, { run: 'onSave' });
    await client.open(uri, 'import torch\n');
    await client.diagnosticsFor(uri);
    const count = () => client.published.filter((p) => p.uri === uri).length;
    const before = count();
    await client.change(uri, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: 'x = torch.load(p)\n' }]);
    // Nothing is published for the change; hover (a request that is answered after the change is processed) proves
    // the server has seen it.
    await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    assert.equal(count(), before);
    await client.connection.sendNotification('textDocument/didSave', { textDocument: { uri } });
    await client.diagnosticsFor(uri, has('SAI202'));
  });

  test('malformed settings fall back to the defaults, with a log line', async () => {
    const uri = fileUri(path.join(dir, 'bad.py'));
    client.config.set(uri, { enable: 'yes', rules: { SAI202: 'loud' }, minConfidence: 3 });
    await client.open(uri, TORCH);
    const [d] = await client.diagnosticsFor(uri, has('SAI202'));
    assert.equal(d.severity, 2);
    await client.waitUntil(() => client.logs.some((l) => l.includes('secureAi.rules.SAI202')), 'a log line');
  });
});

describe('workspace scan', () => {
  let client: LspClient;
  let dir: string;
  before(async () => {
    dir = tmp('scan');
    const w = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    };
    w('.gitignore', 'generated/\n*_ignored.py\n');
    w('train.py', TORCH);
    w('pkg/load.py', 'import numpy as np\nx = np.load("a.npy", allow_pickle=True)\n');
    w('pkg/clean.py', 'import torch\nx = torch.load(p, weights_only=True)\n');
    w('pkg/skip_ignored.py', TORCH);
    w('generated/out.py', TORCH);
    w('.venv/lib/site.py', TORCH);
    w('node_modules/x/y.py', TORCH);
    w('vendor/third.py', TORCH);
    // Over 64 KB: analysed in the analysis thread.
    w('big.py', Array.from({ length: 4000 }, (_, i) => `value_${i} = ${i}  # padding`).join('\n') + '\n' + TORCH);
    client = await LspClient.start({
      folders: [dir],
      initializationOptions: { scanOnStartup: true },
      settings: { exclude: ['vendor/'] },
    });
  });
  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const withFindings = () => [...client.diagnostics.values()].filter((p) => p.diagnostics.length).map((p) => path.relative(dir, new URL(p.uri).pathname)).sort();

  test('on start-up, findings in files never opened are published, with progress; ignores are honoured', async () => {
    await client.waitUntil(() => client.progress.some((p) => (p as { value: { kind: string } }).value.kind === 'end'), 'the scan to end');
    assert.deepEqual(withFindings(), ['big.py', 'pkg/load.py', 'train.py']);
    const kinds = client.progress.map((p) => (p as { value: { kind: string } }).value.kind);
    assert.equal(kinds[0], 'begin');
    assert.equal(kinds[kinds.length - 1], 'end');
    const train = client.diagnostics.get(fileUri(path.join(dir, 'train.py')))!;
    assert.equal(train.version, undefined);
    assert.equal(train.diagnostics[0].code, 'SAI202');
    assert.equal((train.diagnostics[0].data as DiagnosticData).version, undefined);
  });

  test('the scanWorkspace request rescans and reports counts', async () => {
    const r: ScanWorkspaceResult = await client.connection.sendRequest(scanWorkspaceRequest.method, null);
    assert.equal(r.files, 4);
    assert.equal(r.findings, 3);
    assert.equal(r.skipped, 0);
  });

  test('watched file changes: created, changed and deleted files update their diagnostics', async () => {
    assert.ok(
      client.registrations.some((r) => JSON.stringify(r).includes('workspace/didChangeWatchedFiles') && JSON.stringify(r).includes('**/*.py')),
      'the server registers its file watchers',
    );
    const file = path.join(dir, 'pkg', 'new.py');
    const uri = fileUri(file);
    fs.writeFileSync(file, TORCH);
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 1 }] });
    await client.waitUntil(() => client.diagnostics.get(uri)?.diagnostics.length === 1, 'the new file analysed');

    fs.writeFileSync(file, 'import torch\n');
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 2 }] });
    await client.waitUntil(() => client.diagnostics.get(uri)?.diagnostics.length === 0, 'the changed file cleared');

    fs.writeFileSync(file, TORCH);
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 2 }] });
    await client.waitUntil(() => client.diagnostics.get(uri)?.diagnostics.length === 1, 'the file flagged again');
    fs.rmSync(file);
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 3 }] });
    await client.waitUntil(() => client.diagnostics.get(uri)?.diagnostics.length === 0, 'the deleted file cleared');

    // A new file in an ignored folder is not analysed.
    const ignored = path.join(dir, 'generated', 'more.py');
    fs.writeFileSync(ignored, TORCH);
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(ignored), type: 1 }] });
    await client.connection.sendRequest(scanWorkspaceRequest.method, null);
    assert.equal(client.diagnostics.get(fileUri(ignored))?.diagnostics.length ?? 0, 0);
  });

  test('an open document takes over from its disk copy, and hands back on close', async () => {
    const file = path.join(dir, 'train.py');
    const uri = fileUri(file);
    await client.open(uri, 'import torch\n');
    assert.deepEqual(await client.diagnosticsFor(uri), []);
    await client.close(uri);
    await client.waitUntil(() => client.diagnostics.get(uri)?.diagnostics.length === 1 && client.diagnostics.get(uri)?.version === undefined, 'the disk findings back');
  });

  test('a changed exclude setting drops the excluded files from the Problems panel', async () => {
    await client.setConfig({ exclude: ['vendor/', 'pkg/'] });
    await client.waitUntil(() => withFindings().join() === 'big.py,train.py', 'pkg/ excluded');
    await client.setConfig({ exclude: ['train.py'] });
    await client.waitUntil(() => withFindings().join() === 'big.py,pkg/load.py,vendor/third.py', 'vendor/ back, train.py excluded');
  });
});

describe('SAI101: pin a revision from the local Hugging Face cache', { skip: RULES_BY_ID.has('SAI101') ? false : 'SAI101 is not registered yet' }, () => {
  const SHA = '0123456789abcdef0123456789abcdef01234567';
  let cache: string;
  let dir: string;
  before(() => {
    cache = tmp('hf');
    dir = tmp('sai101');
    fs.mkdirSync(path.join(cache, 'models--acme--tiny-bert', 'refs'), { recursive: true });
    fs.writeFileSync(path.join(cache, 'models--acme--tiny-bert', 'refs', 'main'), `${SHA}\n`);
    fs.mkdirSync(path.join(cache, 'datasets--acme--reviews', 'refs'), { recursive: true });
    fs.writeFileSync(path.join(cache, 'datasets--acme--reviews', 'refs', 'v2'), SHA.split('').reverse().join(''));
  });
  after(() => {
    fs.rmSync(cache, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('inserts the real SHA found in the cache, and says so in the title', async () => {
    const client = await LspClient.start({ folders: [dir], env: { HF_HUB_CACHE: cache } });
    try {
      const uri = fileUri(path.join(dir, 'model.py'));
      const text =
        'from transformers import AutoModel\nfrom datasets import load_dataset\n\n' +
        'model = AutoModel.from_pretrained("acme/tiny-bert")\nds = load_dataset("acme/reviews", revision="v2")\n';
      await client.open(uri, text);
      const ds = await client.diagnosticsFor(uri, (d) => d.filter((x) => x.code === 'SAI101').length === 2);
      const [model, data] = ds.filter((d) => d.code === 'SAI101');

      const [pin] = await actionsAt(client, uri, [model]);
      assert.equal(pin.title, `Pin revision to ${SHA.slice(0, 12)} from the local Hugging Face cache`);
      let t = await client.applyWorkspaceEdit(uri, pin.edit!);
      assert.match(t, new RegExp(`from_pretrained\\("acme/tiny-bert", revision="${SHA}"\\)`));

      const fresh = (await client.diagnosticsFor(uri)).filter((d) => d.code === 'SAI101');
      assert.equal(fresh.length, 1);
      const [pinData] = await actionsAt(client, uri, fresh);
      const reversed = SHA.split('').reverse().join('');
      assert.equal(pinData.title, `Pin revision to ${reversed.slice(0, 12)} from the local Hugging Face cache`);
      t = await client.applyWorkspaceEdit(uri, pinData.edit!);
      assert.match(t, new RegExp(`load_dataset\\("acme/reviews", revision="${reversed}"\\)`));
      assert.deepEqual(ids(await client.diagnosticsFor(uri)).filter((id) => id === 'SAI101'), []);
      assert.equal(pyCompileError(t), undefined);
      void data;
    } finally {
      await client.stop();
    }
  });

  test('without a cached SHA: nothing is invented; a snippet placeholder only for clients that take snippets', async () => {
    const text = 'from transformers import AutoModel\n\nmodel = AutoModel.from_pretrained("acme/not-cached")\n';
    const plain = await LspClient.start({ folders: [dir], env: { HF_HUB_CACHE: cache } });
    try {
      const uri = fileUri(path.join(dir, 'plain.py'));
      await plain.open(uri, text);
      const ds = await plain.diagnosticsFor(uri, has('SAI101'));
      const titles = (await actionsAt(plain, uri, ds)).map((a) => a.title);
      assert.deepEqual(titles, ['Suppress SAI101 on this line', 'Show documentation for SAI101']);
    } finally {
      await plain.stop();
    }
    const snippets = await LspClient.start({
      folders: [dir],
      env: { HF_HUB_CACHE: cache },
      capabilities: { workspace: { configuration: true, workspaceEdit: { documentChanges: true, snippetEditSupport: true } } },
    });
    try {
      const uri = fileUri(path.join(dir, 'snippet.py'));
      await snippets.open(uri, text);
      const ds = await snippets.diagnosticsFor(uri, has('SAI101'));
      const actions = await actionsAt(snippets, uri, ds);
      const add = actions.find((a) => a.title === 'Add `revision=` (fill in the commit hash)')!;
      const edit = (add.edit!.documentChanges![0] as { edits: Array<{ snippet?: { value: string } }> }).edits[0];
      assert.equal(edit.snippet?.value, ', revision="${1:full 40-character commit hash}"');
      const suppress = actions.find((a) => a.title.startsWith('Suppress'))!;
      const s = (suppress.edit!.documentChanges![0] as { edits: Array<{ snippet?: { value: string } }> }).edits[0];
      assert.equal(s.snippet?.value, '  # secure-ai: ignore[SAI101] ${1:reason}');
    } finally {
      await snippets.stop();
    }
  });
});
