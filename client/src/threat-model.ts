/** "Secure AI: Generate Threat Model": the vscode side of the flow in threat-model-flow.ts; the server generates. */
import * as vscode from 'vscode';
import { generateThreatModelRequest } from '../../server/src/shared/protocol';
import { request, type ExtensionState } from './commands';
import { generateThreatModelFlow, type ThreatModelUi } from './threat-model-flow';

export function generateThreatModel(state: ExtensionState): () => Promise<void> {
  return async () => {
    const ui: ThreatModelUi = {
      folders: () => (vscode.workspace.workspaceFolders ?? []).map((f) => ({ uri: f.uri.toString(), name: f.name })),
      pickFolder: async () => {
        const f = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Which folder should the threat model describe?' });
        return f && { uri: f.uri.toString(), name: f.name };
      },
      request: (params) => {
        const client = state.client;
        if (!client) return Promise.reject(new Error('the Secure AI server is not running'));
        return request(client, generateThreatModelRequest, params);
      },
      confirmReplace: async (uri) => {
        const name = vscode.workspace.asRelativePath(vscode.Uri.parse(uri));
        const choice = await vscode.window.showWarningMessage(
          `${name} exists and was not written by Secure AI. Replace it with a generated threat model?`,
          { modal: true, detail: 'Its current content will be lost. Files that Secure AI wrote are regenerated in place, keeping your edits outside the generated blocks.' },
          'Replace',
        );
        return choice === 'Replace';
      },
      saveIfDirty: async (uri) => {
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === vscode.Uri.parse(uri).toString());
        if (doc?.isDirty) await doc.save();
      },
      withProgress: (title, task) => Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, task)),
      open: async (uri) => {
        await vscode.window.showTextDocument(vscode.Uri.parse(uri), { preview: false });
      },
      done: async (uri, message) => {
        state.output.appendLine(message);
        // Offer the preview without waiting for an answer: the command completes once the file is written and open.
        void vscode.window.showInformationMessage(message, 'Open Preview').then((choice) => {
          if (choice === 'Open Preview') void vscode.commands.executeCommand('markdown.showPreviewToSide', vscode.Uri.parse(uri));
        });
      },
      error: (message) => {
        state.output.appendLine(message);
        void vscode.window.showErrorMessage(message);
      },
    };
    await generateThreatModelFlow(ui);
  };
}
