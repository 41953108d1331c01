/**
 * API-level e2e checks, run inside a real extension host as its `extensionTestsPath`:
 *   - in code-server by test/e2e/vscode.e2e.ts (the workbench URL's development payload), and
 *   - in desktop VS Code by test/e2e/desktop.ts (@vscode/test-electron).
 * The installed (or developed) Secure AI extension is asked through the public API only:
 * `vscode.languages.getDiagnostics`, `vscode.executeCodeActionProvider`, `workspace.applyEdit`, commands.
 *
 * Input: SECURE_AI_E2E_EXPECTED names a JSON `ApiExpectation` (the CLI's findings for the workspace). Output: a JSON
 * `ApiReport` written to SECURE_AI_E2E_API_RESULT; `run()` also rejects when a check failed, which is how
 * @vscode/test-electron learns the outcome. Node and vscode imports only, so the file runs from anywhere.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ApiExpectation } from '../fixture';

export interface ApiCheckResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
  /** Why the check did not run (it then counts as passed). */
  skipped?: string;
}

export interface ApiReport {
  vscodeVersion: string;
  appHost: string;
  results: ApiCheckResult[];
  /** Set when every check has run. */
  done?: boolean;
}

const EXTENSION_ID = 'secure-ai-dev.secure-ai-dev';
const SOURCE = 'secure-ai';
const TIMEOUT = 30_000;

class Skip extends Error {}

async function poll<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = TIMEOUT): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    last = v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined || last === false ? '' : ` (last: ${JSON.stringify(last)})`}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

const codeOf = (d: vscode.Diagnostic) => String(typeof d.code === 'object' && d.code !== null ? d.code.value : d.code);
const isFinding = (d: vscode.Diagnostic) => d.source === SOURCE && /^SAI\d{3}$/.test(codeOf(d));
/** `path:line:ruleId`, 1-based like the CLI. */
const keyOf = (rel: string, line: number, ruleId: string) => `${rel}:${line}:${ruleId}`;

export async function run(): Promise<void> {
  const resultFile = process.env.SECURE_AI_E2E_API_RESULT;
  const expectedFile = process.env.SECURE_AI_E2E_EXPECTED;
  check(resultFile && expectedFile, 'SECURE_AI_E2E_API_RESULT and SECURE_AI_E2E_EXPECTED must be set');
  const expected = JSON.parse(fs.readFileSync(expectedFile, 'utf8')) as ApiExpectation;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const report: ApiReport = { vscodeVersion: vscode.version, appHost: vscode.env.appHost, results: [] };
  const write = () => fs.writeFileSync(resultFile, JSON.stringify(report, null, 2));

  const rel = (uri: vscode.Uri) => (folder ? path.relative(folder.fsPath, uri.fsPath).split(path.sep).join('/') : uri.fsPath);
  const opened = folder && vscode.Uri.joinPath(folder, expected.openedFile);
  const findingsIn = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter(isFinding);
  const expectedIn = (file: string) => expected.findings.filter((f) => f.path === file);
  const diskText = () => fs.readFileSync(opened!.fsPath, 'utf8');

  /** Applies the code action titled `title` offered for the `ruleId` finding of the opened file, then saves. */
  const applyAction = async (ruleId: string, title: string | RegExp): Promise<vscode.CodeAction> => {
    const diagnostic = await poll(`a ${ruleId} diagnostic in ${expected.openedFile}`, () => findingsIn(opened!).find((d) => codeOf(d) === ruleId));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', opened, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
    const titles = actions.map((a) => a.title);
    const action = actions.find((a) => (typeof title === 'string' ? a.title === title : title.test(a.title)));
    check(action, `no code action ${String(title)} for ${ruleId}; offered: ${JSON.stringify(titles)}`);
    check(action.edit, `${action.title} has no edit`);
    check(await vscode.workspace.applyEdit(action.edit), `applyEdit(${action.title}) returned false`);
    if (action.command) await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
    const doc = await vscode.workspace.openTextDocument(opened!);
    check(await doc.save(), `saving ${expected.openedFile} failed`);
    return action;
  };

  const checks: Array<[string, () => Promise<void>]> = [
    ['the extension activates', async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      check(ext, `${EXTENSION_ID} is not installed`);
      await ext.activate();
      check(folder, 'no workspace folder is open');
    }],
    ['workspace scan: getDiagnostics holds every finding the CLI reports, in files never opened too', async () => {
      const want = expected.findings.map((f) => keyOf(f.path, f.line, f.ruleId)).sort();
      const got = () => vscode.languages.getDiagnostics().flatMap(([uri, ds]) => ds.filter(isFinding).map((d) => keyOf(rel(uri), d.range.start.line + 1, codeOf(d)))).sort();
      await poll(`the diagnostics ${JSON.stringify(want)}`, () => {
        const g = got();
        return g.length === want.length && g.every((k, i) => k === want[i]) ? true : g;
      });
      const neverOpened = new Set(expected.findings.map((f) => f.path).filter((p) => p !== expected.openedFile));
      check(neverOpened.size > 0, 'the fixture needs findings in files that are never opened');
      for (const doc of vscode.workspace.textDocuments) check(!neverOpened.has(rel(doc.uri)), `${rel(doc.uri)} was opened`);
    }],
    ['diagnostics: the opened file shows the CLI findings, with rule ids, docs links and the guideline text', async () => {
      const doc = await vscode.workspace.openTextDocument(opened!);
      await vscode.window.showTextDocument(doc);
      const want = expectedIn(expected.openedFile);
      check(want.some((f) => f.ruleId === 'SAI202') && want.some((f) => f.ruleId === 'SAI101'), `the fixture's ${expected.openedFile} must have SAI202 and SAI101 findings`);
      const ds = await poll(`${want.length} findings in ${expected.openedFile}`, () => {
        const got = findingsIn(opened!);
        return got.length === want.length ? got : false;
      });
      for (const f of want) {
        const d = ds.find((x) => codeOf(x) === f.ruleId && x.range.start.line + 1 === f.line && x.range.start.character + 1 === f.column);
        check(d, `no ${f.ruleId} diagnostic at ${f.line}:${f.column}`);
        check(d.message === f.message, `${f.ruleId}: the editor says ${JSON.stringify(d.message)}, the CLI ${JSON.stringify(f.message)}`);
        check(/\[NCSC \d\.\d [^\]]+\]$/.test(d.message), `${f.ruleId}: no guideline text in ${JSON.stringify(d.message)}`);
        const href = typeof d.code === 'object' && d.code !== null ? d.code.target.toString() : '';
        check(href.includes(f.ruleId), `${f.ruleId}: no documentation link (${href})`);
      }
    }],
    ['quick fix: "Add `weights_only=True`" from executeCodeActionProvider, applied and saved, fixes the file on disk', async () => {
      await applyAction('SAI202', 'Add `weights_only=True`');
      check(/torch\.load\([^)]*weights_only=True\)/.test(diskText()), `weights_only=True is not on disk:\n${diskText()}`);
      await poll('SAI202 to disappear', () => !findingsIn(opened!).some((d) => codeOf(d) === 'SAI202'));
    }],
    ['suppression: "Suppress SAI101 on this line" writes the ignore comment and the finding disappears', async () => {
      await applyAction('SAI101', 'Suppress SAI101 on this line');
      check(/#\s*secure-ai: ignore\[SAI101\]/.test(diskText()), `no ignore comment on disk:\n${diskText()}`);
      await poll('SAI101 to disappear', () => !findingsIn(opened!).some((d) => codeOf(d) === 'SAI101'));
    }],
    ['threat model: the command generates a document with the inventory of the workspace', async () => {
      const id = expected.threatModelCommand;
      if (!id) throw new Skip('the manifest does not contribute secureAi.generateThreatModel yet');
      check((await vscode.commands.getCommands(true)).includes(id), `${id} is contributed but not registered`);
      const before = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
      // Not awaited: the command resolves only when its closing notification is dismissed.
      void Promise.resolve(vscode.commands.executeCommand(id)).catch(() => undefined);
      const doc = await poll('the generated threat model to open', () => {
        const d = vscode.window.activeTextEditor?.document;
        return d && !before.has(d.uri.toString()) ? d : undefined;
      }, 60_000);
      const inventory = /^## Inventory\n([\s\S]*?)(?=^## )/m.exec(doc.getText())?.[1];
      check(inventory, `no "## Inventory" section in ${doc.uri.toString()}`);
      const want = ['acme/sentiment-head', 'acme/tokenizer', ...new Set(expected.findings.map((f) => f.path))];
      for (const item of want) check(inventory.includes(item), `the inventory does not mention ${item}`);
    }],
    ['notebook: a .ipynb in the notebook editor gets SAI202 on its torch.load cell (the import in another cell), with the quick fix for that cell', async () => {
      // Written now (last), so the workspace-scan checks above compare with a workspace without it.
      const uri = vscode.Uri.joinPath(folder!, 'e2e-notebook.ipynb');
      const cells = [
        // An alias: only an analysis of the cells as one program knows that `T.load` in cell 3 is `torch.load`.
        { cell_type: 'code', source: ['import torch as T\n'], metadata: {}, outputs: [], execution_count: null },
        { cell_type: 'markdown', source: ['Load the checkpoint'], metadata: {} },
        { cell_type: 'code', source: ['!pip install torch\n', 'state = T.load("model.pt")\n'], metadata: {}, outputs: [], execution_count: null },
      ];
      const metadata = { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, language_info: { name: 'python' } };
      fs.writeFileSync(uri.fsPath, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata, cells }, null, 1));
      try {
        const notebook = await vscode.workspace.openNotebookDocument(uri);
        check(notebook.notebookType === 'jupyter-notebook', `the notebook type is ${notebook.notebookType}`);
        await vscode.window.showNotebookDocument(notebook);
        const cell = notebook.cellAt(2);
        check(cell.document.languageId === 'python', `the torch.load cell's language is ${cell.document.languageId}`);
        check(cell.document.uri.scheme === 'vscode-notebook-cell', `the cell's URI is ${cell.document.uri.toString()}`);
        const d = await poll('a SAI202 diagnostic on the torch.load cell', () => findingsIn(cell.document.uri).find((x) => codeOf(x) === 'SAI202'));
        check(d.range.start.line === 1 && d.range.start.character === 8, `SAI202 is at ${d.range.start.line}:${d.range.start.character} of the cell, not 1:8`);
        check(findingsIn(notebook.cellAt(0).document.uri).length === 0, 'the import cell has findings');
        const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', cell.document.uri, d.range, vscode.CodeActionKind.QuickFix.value);
        const fix = actions.find((a) => a.title === 'Add `weights_only=True`');
        check(fix?.edit, `no "Add \`weights_only=True\`" for the cell; offered: ${JSON.stringify(actions.map((a) => a.title))}`);
        const targets = fix.edit.entries().map(([u]) => u.toString());
        check(targets.length === 1 && targets[0] === cell.document.uri.toString(), `the fix edits ${JSON.stringify(targets)}`);
        check(await vscode.workspace.applyEdit(fix.edit), 'applyEdit(Add `weights_only=True`) returned false');
        check(/T\.load\("model\.pt", weights_only=True\)/.test(cell.document.getText()), `the cell is now ${JSON.stringify(cell.document.getText())}`);
        await poll('SAI202 to disappear from the cell', () => !findingsIn(cell.document.uri).some((x) => codeOf(x) === 'SAI202'));
      } finally {
        await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
        fs.rmSync(uri.fsPath, { force: true });
      }
    }],
    ['manifest: a requirements.txt opened in the editor gets SAI701 on its unpinned ML dependency, then loses it once pinned', async () => {
      // Written now (last), like the notebook, so the workspace-scan check above compares with a workspace without it.
      const uri = vscode.Uri.joinPath(folder!, 'requirements.txt');
      fs.writeFileSync(uri.fsPath, 'numpy==2.0.0\ntransformers>=4\n');
      try {
        const doc = await vscode.workspace.openTextDocument(uri);
        const editor = await vscode.window.showTextDocument(doc);
        const d = await poll('a SAI701 diagnostic in requirements.txt', () => findingsIn(uri).find((x) => codeOf(x) === 'SAI701'));
        check(d.range.start.line === 1, `SAI701 is on line ${d.range.start.line}, not 1`);
        check(/transformers>=4/.test(d.message), `the message is ${JSON.stringify(d.message)}`);
        // The document is synced whatever language VS Code gave it: an edit in the editor is analysed.
        check(await editor.edit((e) => e.replace(new vscode.Range(1, 12, 1, 15), '==4.46.3')), 'the edit failed');
        await poll('SAI701 to disappear after pinning', () => !findingsIn(uri).some((x) => codeOf(x) === 'SAI701'));
      } finally {
        await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
        fs.rmSync(uri.fsPath, { force: true });
      }
    }],
  ];

  for (const [name, body] of checks) {
    const t0 = Date.now();
    try {
      await body();
      report.results.push({ name, ok: true, ms: Date.now() - t0 });
    } catch (err) {
      if (err instanceof Skip) report.results.push({ name, ok: true, ms: Date.now() - t0, skipped: err.message });
      else report.results.push({ name, ok: false, ms: Date.now() - t0, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
    write();
  }
  report.done = true;
  write();
  const failed = report.results.filter((r) => !r.ok);
  if (failed.length) throw new Error(`${failed.length} API check(s) failed:\n${failed.map((r) => `- ${r.name}: ${r.error}`).join('\n')}`);
}

