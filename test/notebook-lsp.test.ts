/**
 * Jupyter notebooks in the language server, over real JSON-RPC (test/lsp-harness.ts; needs `npm run build`): LSP
 * 3.17 notebook sync, diagnostics per cell URI, cross-cell analysis, code actions and hovers on cells with edits for
 * the cell URI, cells never analysed on their own, settings, and closing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CodeAction, Diagnostic, Hover, MarkupContent } from 'vscode-languageserver-protocol/node';
import type { DiagnosticData } from '../server/src/shared/protocol';
import { LspClient, SERVER, cellUri, fileUri, rangeOf, workspaceEditFor } from './lsp-harness';

const NOTEBOOK_CAPS = { notebookDocument: { synchronization: { dynamicRegistration: false, executionSummarySupport: false } } };
const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `sai-nb-${name}-`));
const has = (id: string) => (ds: Diagnostic[]) => ds.some((d) => d.code === id);
const none = (ds: Diagnostic[]) => ds.length === 0;

async function actionsFor(client: LspClient, uri: string, diagnostics: Diagnostic[]): Promise<CodeAction[]> {
  return client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: diagnostics[0].range, context: { diagnostics } });
}

before(() => {
  assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run npm run build`);
});

describe('notebook sync', () => {
  let client: LspClient;
  let dir: string;
  let n = 0;
  /** A fresh notebook URI and its cell URIs. */
  const fresh = (cells: number) => {
    const nb = fileUri(path.join(dir, `nb${++n}.ipynb`));
    return { nb, cells: Array.from({ length: cells }, (_, i) => cellUri(nb, i)) };
  };

  before(async () => {
    dir = tmp('sync');
    client = await LspClient.start({ folders: [dir], capabilities: NOTEBOOK_CAPS });
  });
  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('initialize declares notebook sync for the Python cells of Jupyter notebooks', () => {
    const caps = (client.initializeResult as { capabilities: Record<string, unknown> }).capabilities;
    assert.deepEqual(caps.notebookDocumentSync, {
      notebookSelector: [{ notebook: { notebookType: 'jupyter-notebook' }, cells: [{ language: 'python' }] }],
      save: true,
    });
  });

  test('didOpen: the cells are one program; diagnostics are published per cell URI, in cell coordinates', async () => {
    const { nb, cells } = fresh(3);
    const load = 'path = "m.pt"\nstate = T.load(path)\n';
    await client.openNotebook(nb, [
      { uri: cells[0], text: 'import torch as T\n' },
      { uri: cells[1], text: '# Loading', kind: 1 },
      { uri: cells[2], text: load },
    ]);
    const [d, ...rest] = await client.diagnosticsFor(cells[2], has('SAI202'));
    assert.equal(rest.length, 0);
    assert.deepEqual(d.range, rangeOf(load, 'T.load(path)'));
    assert.equal((d.data as DiagnosticData).version, 1);
    assert.equal((d.data as DiagnosticData).fix?.title, 'Add `weights_only=True`');
    // The import cell is published (empty), the markdown cell never.
    assert.deepEqual(await client.diagnosticsFor(cells[0]), []);
    assert.ok(!client.published.some((p) => p.uri === cells[1]));
    assert.ok(!client.published.some((p) => p.uri === nb));
  });

  test('didChange: editing a cell updates its diagnostics; editing another cell updates them too', async () => {
    const { nb, cells } = fresh(2);
    await client.openNotebook(nb, [
      { uri: cells[0], text: 'import torch as T\n' },
      { uri: cells[1], text: 'x = T.load(p)\n' },
    ]);
    await client.diagnosticsFor(cells[1], has('SAI202'));
    // Type the safe argument into cell 2.
    const at = rangeOf(client.text(cells[1]), ')').start;
    await client.changeCell(nb, cells[1], [{ range: { start: at, end: at }, text: ', weights_only=True' }]);
    assert.equal(client.text(cells[1]), 'x = T.load(p, weights_only=True)\n');
    await client.diagnosticsFor(cells[1], none);
    // Take it out again, then change what `T` is in cell 1: the finding in cell 2 comes and goes with it.
    await client.changeCell(nb, cells[1], [{ range: rangeOf(client.text(cells[1]), ', weights_only=True'), text: '' }]);
    await client.diagnosticsFor(cells[1], has('SAI202'));
    await client.changeCell(nb, cells[0], [{ range: rangeOf(client.text(cells[0]), 'torch'), text: 'numpy' }]);
    await client.waitUntil(() => client.diagnostics.get(cells[1])?.diagnostics.length === 0, 'cell 2 cleared after cell 1 changed');
  });

  test('code actions on a cell: the fix, the suppression and the docs, with edits for the cell URI', async () => {
    const { nb, cells } = fresh(2);
    await client.openNotebook(nb, [
      { uri: cells[0], text: 'import torch\n' },
      { uri: cells[1], text: '!pip install torch\n%time state = torch.load(p)\nother = torch.load(q)\n' },
    ]);
    const sai202 = (x: Diagnostic[]) => x.filter((d) => d.code === 'SAI202');
    const ds = sai202(await client.diagnosticsFor(cells[1], (x) => sai202(x).length === 2));
    const onTime = ds.find((d) => d.range.start.line === 1)!;
    assert.deepEqual(onTime.range.start, { line: 1, character: 14 });

    const actions = await actionsFor(client, cells[1], [onTime]);
    assert.deepEqual(
      actions.map((a) => a.title),
      ['Add `weights_only=True`', 'Suppress SAI202 on this line', 'Show documentation for SAI202'],
    );
    for (const a of actions.filter((x) => x.edit)) {
      const uris = [...Object.keys(a.edit!.changes ?? {}), ...(a.edit!.documentChanges ?? []).map((dc) => ('textDocument' in dc ? dc.textDocument.uri : ''))];
      assert.deepEqual(uris, [cells[1]], a.title);
    }
    const text = await client.applyCellEdit(nb, cells[1], actions[0].edit!);
    assert.equal(text, '!pip install torch\n%time state = torch.load(p, weights_only=True)\nother = torch.load(q)\n');
    const left = sai202(await client.diagnosticsFor(cells[1], (x) => sai202(x).length === 1));
    assert.equal(left[0].range.start.line, 2);

    // Suppress the other one: the comment lands in the cell, and the finding goes.
    const [suppress] = (await actionsFor(client, cells[1], left)).filter((a) => a.title === 'Suppress SAI202 on this line');
    const suppressed = await client.applyCellEdit(nb, cells[1], suppress.edit!);
    assert.match(suppressed.split('\n')[2], /^other = torch\.load\(q\)  # secure-ai: ignore\[SAI202\] reason$/);
    await client.diagnosticsFor(cells[1], (x) => sai202(x).length === 0);
    assert.equal(client.text(cells[0]), 'import torch\n');
  });

  test('a stale diagnostic (the cell changed since) gets its fix from a fresh analysis', async () => {
    const { nb, cells } = fresh(2);
    await client.openNotebook(nb, [
      { uri: cells[0], text: 'import torch\n' },
      { uri: cells[1], text: 'a = torch.load(p)\n' },
    ]);
    const [d] = await client.diagnosticsFor(cells[1], has('SAI202'));
    // A line above the call: the old diagnostic's fix would now edit the wrong line.
    await client.changeCell(nb, cells[1], [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# load\n' }]);
    const moved = { ...d, range: { start: { line: 1, character: d.range.start.character }, end: { line: 1, character: d.range.end.character } } };
    const [fix] = await actionsFor(client, cells[1], [moved]);
    assert.equal(fix.title, 'Add `weights_only=True`');
    const edits = workspaceEditFor(cells[1], fix.edit!);
    assert.equal(edits[0].range.start.line, 1);
  });

  // LSP 3.17: lines end at \r\n, \r or \n, and a character past the end of a line means the end of that line, before
  // its line break. The server's cells follow it; so must the client (the harness): the fuzz's lsp-edits #393 (seed
  // 1123174555) timed out because the harness put such a position between the \r and \n of a CRLF, and from then on
  // expected the analysis of a text the server (rightly) never had.
  test('an edit past the end of a CRLF line lands before the \\r\\n; later edits and the diagnostics follow that text', async () => {
    const { nb, cells } = fresh(2);
    await client.openNotebook(nb, [
      { uri: cells[0], text: 'x = 1\r\nimport torch' },
      { uri: cells[1], text: 'z = torch.load(q)' },
    ]);
    await client.diagnosticsFor(cells[1], has('SAI202'));
    const at = (line: number, character: number) => ({ start: { line, character }, end: { line, character } });
    // Character 6 of `x = 1` (5 long) is its end: the comment goes before the \r\n, not between \r and \n...
    await client.changeCell(nb, cells[0], [{ range: at(0, 6), text: '  # a' }]);
    assert.equal(client.text(cells[0]), 'x = 1  # a\r\nimport torch');
    // ...so that character 8 is after the `#`: what is typed there is a comment, not a call.
    await client.changeCell(nb, cells[0], [{ range: at(0, 8), text: '; y = torch.load(p) ' }]);
    assert.equal(client.text(cells[0]), 'x = 1  #; y = torch.load(p)  a\r\nimport torch');
    assert.deepEqual(await client.diagnosticsFor(cells[0]), []);
    const [d, ...rest] = await client.diagnosticsFor(cells[1]);
    assert.deepEqual([d?.code, d?.range.start, rest.length], ['SAI202', { line: 0, character: 4 }, 0]);
  });

  test('the fuzz input lsp-edits #393 (seed 1123174555), reduced: the server publishes the analysis of the cells as LSP edits them', async () => {
    const { nb, cells } = fresh(2);
    const second = '%timeit -n 10 -r 3 f(x)\nimport torch\n}?\nlambda a=!x: a\n  lambda a=!x: a??\n       x = torch.load(p)\nx = %';
    await client.openNotebook(nb, [
      { uri: cells[0], text: 'x = !\n%\r\n    \n%%%bash\n x = (a,\n"""' },
      { uri: cells[1], text: second },
    ]);
    const range = (l1: number, c1: number, l2: number, c2: number) => ({ start: { line: l1, character: c1 }, end: { line: l2, character: c2 } });
    await client.changeCell(nb, cells[0], [{ range: range(3, 6, 4, 2), text: '"""' }]);
    // Character 2 of line 1 (`%` and a CRLF) is the end of the line: the \r goes with the replaced text.
    await client.changeCell(nb, cells[0], [{ range: range(1, 2, 2, 2), text: 'print("é😀?")' }]);
    await client.changeCell(nb, cells[0], [{ range: range(1, 13, 2, 3), text: 'pip' }]);
    await client.changeCell(nb, cells[0], [{ range: range(2, 0, 2, 0), text: '     % b)' }]);
    assert.equal(client.text(cells[0]), 'x = !\n%print("é😀?"pipbas""" = (a,\n     % b)"""');
    // The `"""` left open at the end of cell 1 runs over cell 2: its `torch.load(p)` is inside a string.
    assert.deepEqual(await client.diagnosticsFor(cells[0]), []);
    // Cell 2 keeps its version 1 (its SAI202 was published at open): wait for it to be cleared.
    await client.diagnosticsFor(cells[1], none);
    assert.equal(client.text(cells[1]), second);
  });

  test('a cell closed and opened again in one event (its language changed) is analysed with its new text', async () => {
    const { nb, cells } = fresh(2);
    await client.openNotebook(nb, [
      { uri: cells[0], text: 'import torch\n' },
      { uri: cells[1], text: 'SELECT 1', languageId: 'sql' },
    ]);
    await client.diagnosticsFor(cells[0]);
    // Cell 2 becomes Python: its text document is closed and opened again under the same URI, in one change.
    await client.connection.sendNotification('notebookDocument/didChange', {
      notebookDocument: { uri: nb, version: 2 },
      change: {
        cells: {
          structure: {
            array: { start: 1, deleteCount: 1, cells: [{ kind: 2, document: cells[1] }] },
            didOpen: [{ uri: cells[1], languageId: 'python', version: 2, text: 'x = torch.load(p)\n' }],
            didClose: [{ uri: cells[1] }],
          },
        },
      },
    });
    await client.waitUntil(() => {
      const p = client.diagnostics.get(cells[1]);
      return p?.version === 2 && has('SAI202')(p.diagnostics);
    }, 'cell 2 analysed as Python');
  });

  test('a code cell in `python3` or `ipython` is part of the program and gets its own diagnostics', async () => {
    const { nb, cells } = fresh(2);
    await client.openNotebook(nb, [
      { uri: cells[0], text: 'import torch\n', languageId: 'ipython' },
      { uri: cells[1], text: 'x = torch.load(p)\n', languageId: 'python3' },
    ]);
    await client.diagnosticsFor(cells[1], has('SAI202'));
    assert.deepEqual(await client.diagnosticsFor(cells[0]), []);
  });

  test('hover on a cell shows the finding and its guideline', async () => {
    const { nb, cells } = fresh(2);
    await client.openNotebook(nb, [
      { uri: cells[0], text: 'import torch\n' },
      { uri: cells[1], text: 'm = torch.load(p)\n' },
    ]);
    const [d] = await client.diagnosticsFor(cells[1], has('SAI202'));
    const hover: Hover | null = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri: cells[1] }, position: d.range.start });
    assert.ok(hover);
    assert.match((hover.contents as MarkupContent).value, /\*\*SAI202\*\*[\s\S]*NCSC 1\.3/);
    const nothing = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri: cells[0] }, position: { line: 0, character: 0 } });
    assert.equal(nothing, null);
  });

  test('cells added and removed: new cells are analysed, removed ones cleared', async () => {
    const { nb, cells } = fresh(2);
    await client.openNotebook(nb, [
      { uri: cells[0], text: 'import torch\n' },
      { uri: cells[1], text: 'a = torch.load(p)\n' },
    ]);
    await client.diagnosticsFor(cells[1], has('SAI202'));
    const added = cellUri(nb, 7);
    await client.spliceCells(nb, 1, 0, [{ uri: added, text: 'b = torch.load(q)\n' }]);
    await client.diagnosticsFor(added, has('SAI202'));
    await client.spliceCells(nb, 2, 1);
    await client.waitUntil(() => client.diagnostics.get(cells[1])?.diagnostics.length === 0, 'the removed cell cleared');
    // Turning a code cell into markdown (VS Code replaces the cell) clears it too.
    await client.spliceCells(nb, 1, 1, [{ uri: cellUri(nb, 8), text: 'b = torch.load(q)', kind: 1 }]);
    await client.waitUntil(() => client.diagnostics.get(added)?.diagnostics.length === 0, 'the cell turned into markdown cleared');
  });

  test('didClose clears every cell', async () => {
    const { nb, cells } = fresh(3);
    await client.openNotebook(nb, [
      { uri: cells[0], text: 'import torch\n' },
      { uri: cells[1], text: 'a = torch.load(p)\n' },
      { uri: cells[2], text: 'b = torch.load(q)\n' },
    ]);
    await client.diagnosticsFor(cells[2], has('SAI202'));
    await client.diagnosticsFor(cells[1], has('SAI202'));
    await client.closeNotebook(nb);
    await client.waitUntil(
      () => cells.every((c) => client.diagnostics.get(c)?.diagnostics.length === 0),
      'every cell cleared',
    );
    // Requests on a closed notebook's cells answer nothing.
    const actions = await client.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri: cells[1] },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [] },
    });
    assert.deepEqual(actions, []);
  });

  test('cells are never analysed as text documents on their own', async () => {
    const { nb, cells } = fresh(2);
    // Alone, `T.load(p)` is no finding: a standalone analysis would publish [] for the cell.
    await client.openNotebook(nb, [
      { uri: cells[0], text: 'import torch as T\n' },
      { uri: cells[1], text: 'x = T.load(p)\n' },
    ]);
    await client.diagnosticsFor(cells[1], has('SAI202'));
    const before = client.published.length;
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: cells[1], languageId: 'python', version: 1, text: 'x = T.load(p)\n' } });
    // A cell of a notebook not (yet) open: the client syncs notebooks, so it is not a text document either.
    const stray = cellUri(fileUri(path.join(dir, 'other.ipynb')), 0);
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: stray, languageId: 'python', version: 1, text: 'import torch\ntorch.load(p)\n' } });
    // A barrier: a larger Python file opened after them is analysed after them (the queue runs the smaller first).
    const barrier = fileUri(path.join(dir, 'barrier.py'));
    await client.open(barrier, `import torch\n${'x = 1\n'.repeat(200)}torch.load(p)\n`);
    await client.diagnosticsFor(barrier, has('SAI202'));
    const since = client.published.slice(before).map((p) => p.uri);
    assert.deepEqual(since, [barrier]);
    assert.ok(has('SAI202')(client.diagnostics.get(cells[1])!.diagnostics));
  });

  test('a malformed notebook notification is refused and logged; the server goes on', async () => {
    const { nb, cells } = fresh(1);
    await client.connection.sendNotification('notebookDocument/didOpen', { notebookDocument: { uri: nb, version: 1, cells: 'nope' } });
    await client.connection.sendNotification('notebookDocument/didChange', { notebookDocument: { uri: nb, version: 2 }, change: { cells: { structure: { array: { start: -1 } } } } });
    await client.openNotebook(nb, [{ uri: cells[0], text: 'import torch\ntorch.load(p)\n' }]);
    await client.connection.sendNotification('notebookDocument/didChange', { notebookDocument: { uri: nb, version: 3 }, change: { cells: { data: [{ kind: 9 }] } } });
    await client.connection.sendNotification('notebookDocument/didChange', {
      notebookDocument: { uri: nb, version: 4 },
      change: { cells: { textContent: [{ document: { uri: cells[0], version: 2 }, changes: [{ range: { start: { line: 'x' } }, text: 1 }] }] } },
    });
    await client.diagnosticsFor(cells[0], has('SAI202'));
    await client.waitUntil(() => client.logs.filter((l) => /malformed|refused/.test(l)).length >= 3, 'the refusals logged');
    assert.equal(client.text(cells[0]), 'import torch\ntorch.load(p)\n');
    assert.doesNotMatch(client.logs.join('\n'), /unhandled rejection/);
  });
});

describe('notebook settings', () => {
  test('`enable: false` clears the cells; `run: onSave` waits for notebookDocument/didSave', async () => {
    const dir = tmp('settings');
    const client = await LspClient.start({ folders: [dir], capabilities: NOTEBOOK_CAPS });
    try {
      const nb = fileUri(path.join(dir, 's.ipynb'));
      const cells = [cellUri(nb, 0), cellUri(nb, 1)];
      await client.openNotebook(nb, [
        { uri: cells[0], text: 'import torch\n' },
        { uri: cells[1], text: 'a = torch.load(p)\n' },
      ]);
      await client.diagnosticsFor(cells[1], has('SAI202'));
      await client.setConfig({ enable: false });
      await client.waitUntil(() => client.diagnostics.get(cells[1])?.diagnostics.length === 0, 'cleared when disabled');
      await client.setConfig({ run: 'onSave' });
      await client.waitUntil(() => has('SAI202')(client.diagnostics.get(cells[1])?.diagnostics ?? []), 'back when enabled');
      // A barrier: a larger Python file analysed on type, changed after the cell: its debounce timer fires after the
      // one a change to the notebook would have started, and the queue runs the smaller notebook first.
      const barrier = fileUri(path.join(dir, 'barrier.py'));
      client.config.set(barrier, { run: 'onType' });
      await client.open(barrier, `import torch\n${'x = 1\n'.repeat(200)}`);
      await client.diagnosticsFor(barrier);
      const before = client.published.length;
      await client.changeCell(nb, cells[1], [{ range: rangeOf(client.text(cells[1]), 'torch.load(p)'), text: 'None' }]);
      await client.change(barrier, [{ range: { start: { line: 201, character: 0 }, end: { line: 201, character: 0 } }, text: 'torch.load(p)\n' }]);
      await client.diagnosticsFor(barrier, has('SAI202'));
      assert.deepEqual(
        client.published.slice(before).map((p) => p.uri),
        [barrier],
      );
      await client.saveNotebook(nb);
      await client.diagnosticsFor(cells[1], none);
    } finally {
      await client.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a client without notebook sync: cell text documents are analysed one by one (the fallback)', async () => {
    const dir = tmp('nosync');
    const client = await LspClient.start({ folders: [dir] });
    try {
      const uri = cellUri(fileUri(path.join(dir, 'x.ipynb')), 0);
      await client.open(uri, 'import torch\ntorch.load(p)\n');
      await client.diagnosticsFor(uri, has('SAI202'));
    } finally {
      await client.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
