/**
 * The extension's commands, one small factory each (rust-analyzer's shape): a factory takes the extension's state
 * and returns the command's callback. Ids are declared once in server/src/shared/protocol.ts.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  DOCS_SCHEME,
  docsUriPath,
  exportBomRequest,
  ruleDocumentationRequest,
  scanWorkspaceRequest,
  type ParamsOf,
  type RequestSpec,
  type ResultOf,
} from '../../server/src/shared/protocol';
import type { RestartPolicy } from './config';

export interface ExtensionState {
  readonly client: LanguageClient | undefined;
  readonly output: vscode.LogOutputChannel;
  readonly restartPolicy: RestartPolicy;
}

/** A custom request, typed by its spec in protocol.ts. */
export function request<S extends RequestSpec<unknown, unknown>>(client: LanguageClient, spec: S, params: ParamsOf<S>): Promise<ResultOf<S>> {
  return client.sendRequest<ResultOf<S>>(spec.method, params);
}

export function restartServer(state: ExtensionState): () => Promise<void> {
  return async () => {
    const client = state.client;
    if (!client) return;
    state.restartPolicy.reset();
    state.output.appendLine('restarting the server');
    await client.restart();
  };
}

export function scanWorkspace(state: ExtensionState): () => Promise<void> {
  return async () => {
    const client = state.client;
    if (!client) return;
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Secure AI: scanning the workspace' },
      () => request(client, scanWorkspaceRequest, null),
    );
    const line = `Secure AI scanned ${r.files} Python file${r.files === 1 ? '' : 's'}: ${r.findings} finding${r.findings === 1 ? '' : 's'}` +
      (r.skipped ? `, ${r.skipped} skipped (see the output)` : '') + '.';
    state.output.appendLine(line);
    void vscode.window.showInformationMessage(line);
  };
}

/** `secure-ai-docs:/SAI202.md`: read-only rule pages served by the server, readable offline. */
export class RuleDocsProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly state: ExtensionState) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const m = /^\/?(SAI\d{3})\.md$/i.exec(uri.path);
    const client = this.state.client;
    if (!m) return `# Unknown rule\n\n\`${uri.path}\` is not a Secure AI rule page.\n`;
    if (!client) return '# Secure AI\n\nThe Secure AI server is not running.\n';
    const r = await request(client, ruleDocumentationRequest, { ruleId: m[1].toUpperCase() });
    return r ? r.markdown : `# ${m[1].toUpperCase()}\n\nNo such Secure AI rule.\n`;
  }
}

export function showRuleDocumentation(): (ruleId?: unknown) => Promise<void> {
  return async (ruleId?: unknown) => {
    let id = typeof ruleId === 'string' ? ruleId : undefined;
    id ??= await vscode.window.showInputBox({
      title: 'Secure AI: Show Rule Documentation',
      prompt: 'Rule id',
      placeHolder: 'SAI202',
      validateInput: (v) => (/^SAI\d{3}$/i.test(v.trim()) ? undefined : 'A rule id looks like SAI202'),
    });
    if (!id) return;
    const uri = vscode.Uri.from({ scheme: DOCS_SCHEME, path: docsUriPath(id.trim().toUpperCase()) });
    try {
      await vscode.commands.executeCommand('markdown.showPreview', uri);
    } catch {
      // Without the built-in markdown extension: the markdown source, read-only.
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
      await vscode.window.showTextDocument(doc, { preview: true });
    }
  };
}

export function showOutput(state: ExtensionState): () => void {
  return () => state.output.show(true);
}

/**
 * Open the Problems panel. VS Code has no API to set the panel's filter text, so the status bar tooltip tells the
 * user to type `secure-ai` there; every finding's source is `secure-ai`.
 */
export function showProblems(): () => Promise<void> {
  return async () => {
    try {
      await vscode.commands.executeCommand('workbench.panel.markers.view.focus');
    } catch {
      await vscode.commands.executeCommand('workbench.actions.view.problems');
    }
  };
}

/**
 * "Secure AI: Export AI Bill of Materials": the server writes the CycloneDX 1.6 AI BOM of a workspace folder (asked
 * for in a multi-root workspace) to its `secureAi.bom.path` file, which must stay inside the folder, and the file
 * opens. A file there that secure-ai did not write is replaced only after asking. Like the threat model, it works in
 * restricted mode: the server reads files and writes one, and runs nothing from the workspace.
 */
export function exportBom(state: ExtensionState): () => Promise<void> {
  return async () => {
    const fail = (message: string) => {
      state.output.appendLine(message);
      void vscode.window.showErrorMessage(message);
    };
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0) return fail('Secure AI: open a folder first; the AI bill of materials describes a workspace folder.');
    const folder = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Which folder should the AI bill of materials describe?' });
    if (!folder) return;
    const client = state.client;
    if (!client) return fail('Secure AI: the AI bill of materials was not written: the Secure AI server is not running.');
    const folderUri = folder.uri.toString();
    const confirmReplace = async (uri: string) => {
      const name = vscode.workspace.asRelativePath(vscode.Uri.parse(uri));
      const choice = await vscode.window.showWarningMessage(
        `${name} exists and was not written by Secure AI. Replace it with the AI bill of materials?`,
        { modal: true, detail: 'Its current content will be lost. Change secureAi.bom.path to write the BOM elsewhere.' },
        'Replace',
      );
      return choice === 'Replace';
    };
    const write = (force: boolean) =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Secure AI: exporting the AI bill of materials of ${folder.name}` }, () =>
        request(client, exportBomRequest, { folderUri, mode: 'write', force }),
      );
    try {
      const plan = await request(client, exportBomRequest, { folderUri, mode: 'plan' });
      let force = false;
      if (plan.exists && !plan.ours) {
        if (!(await confirmReplace(plan.uri))) return;
        force = true;
      }
      let result = await write(force);
      if (!result.written) {
        // The file changed between the two requests into one secure-ai did not write.
        if (!(await confirmReplace(result.uri))) return;
        result = await write(true);
        if (!result.written) return;
      }
      await vscode.window.showTextDocument(vscode.Uri.parse(result.uri), { preview: false });
      const message = `Secure AI wrote ${vscode.workspace.asRelativePath(vscode.Uri.parse(result.uri))} (CycloneDX 1.6: ${result.summary ?? 'done'}).`;
      state.output.appendLine(message);
      void vscode.window.showInformationMessage(message);
    } catch (err) {
      fail(`Secure AI: the AI bill of materials was not written: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}
