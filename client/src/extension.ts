/**
 * The Secure AI extension: starts the language server (dist/server.js), registers the commands and the rule docs
 * provider, and keeps a status bar count of secure-ai findings. Analysis only reads code, never runs it, so the
 * extension is fully enabled in untrusted (restricted mode) workspaces; it has no feature that reaches the network.
 */
import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions } from 'vscode-languageclient/node';
import { COMMANDS, DIAGNOSTIC_SOURCE, DOCS_SCHEME } from '../../server/src/shared/protocol';
import { RuleDocsProvider, exportBom, restartServer, scanWorkspace, showOutput, showProblems, showRuleDocumentation, type ExtensionState } from './commands';
import { CLIENT_ID, CLIENT_NAME, DOCUMENT_SELECTOR, RestartPolicy, serverOptions } from './config';
import { generateThreatModel } from './threat-model';

const SHOW_PROBLEMS = 'secureAi.showProblems';
/** The Python cells of Jupyter notebooks (VS Code's built-in ipynb serializer provides `jupyter-notebook`). */
const NOTEBOOK_CELLS = { notebook: { notebookType: 'jupyter-notebook' }, language: 'python' } as const;

class Extension implements ExtensionState {
  client: LanguageClient | undefined;
  readonly output = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  readonly restartPolicy = new RestartPolicy(this.output);
  private readonly status = vscode.window.createStatusBarItem('secureAi.findings', vscode.StatusBarAlignment.Left, 10);
  private statusTimer: NodeJS.Timeout | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {}

  async activate(): Promise<void> {
    const ctx = this.context;
    ctx.subscriptions.push(
      this.output,
      this.status,
      vscode.commands.registerCommand(COMMANDS.restartServer, restartServer(this)),
      vscode.commands.registerCommand(COMMANDS.scanWorkspace, scanWorkspace(this)),
      vscode.commands.registerCommand(COMMANDS.showRuleDocumentation, showRuleDocumentation()),
      vscode.commands.registerCommand(COMMANDS.showOutput, showOutput(this)),
      vscode.commands.registerCommand(COMMANDS.generateThreatModel, generateThreatModel(this)),
      vscode.commands.registerCommand(COMMANDS.exportBom, exportBom(this)),
      vscode.commands.registerCommand(SHOW_PROBLEMS, showProblems()),
      vscode.workspace.registerTextDocumentContentProvider(DOCS_SCHEME, new RuleDocsProvider(this)),
      vscode.languages.onDidChangeDiagnostics(() => this.scheduleStatus()),
      { dispose: () => this.statusTimer && clearTimeout(this.statusTimer) },
    );
    this.status.name = CLIENT_NAME;
    this.status.command = SHOW_PROBLEMS;
    this.updateStatus();
    this.status.show();

    const clientOptions: LanguageClientOptions = {
      // Python cells of Jupyter notebooks too: the server declares notebook sync for them, so the client sends their
      // text through `notebookDocument/*` only (never as text documents), and code actions and hovers reach the server.
      documentSelector: [...DOCUMENT_SELECTOR, NOTEBOOK_CELLS],
      outputChannel: this.output,
      errorHandler: this.restartPolicy,
      // The server registers its own file watchers (Python files, .gitignore, manifests, lock files, model files) and
      // pulls settings per resource.
      initializationOptions: {},
      markdown: { isTrusted: false, supportHtml: false },
    };
    this.client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions(ctx), clientOptions);
    ctx.subscriptions.push({ dispose: () => void this.client?.stop() });
    try {
      await this.client.start();
    } catch (err) {
      this.output.appendLine(`the server did not start: ${err instanceof Error ? err.message : String(err)}`);
      void vscode.window.showErrorMessage('Secure AI: the language server did not start. See the "Secure AI" output.');
    }
  }

  private scheduleStatus(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.updateStatus();
    }, 250);
  }

  private updateStatus(): void {
    let count = 0;
    let files = 0;
    for (const [, diagnostics] of vscode.languages.getDiagnostics()) {
      const n = diagnostics.filter(isFinding).length;
      count += n;
      if (n) files++;
    }
    this.status.text = `$(shield) ${count}`;
    this.status.tooltip = count
      ? `Secure AI: ${count} finding${count === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}. Click to open the Problems panel (type "secure-ai" in its filter).`
      : 'Secure AI: no findings';
  }
}

/** A secure-ai finding (not a notice such as "file too large", which has no rule id). */
function isFinding(d: vscode.Diagnostic): boolean {
  if (d.source !== DIAGNOSTIC_SOURCE) return false;
  const code = typeof d.code === 'object' && d.code !== null ? d.code.value : d.code;
  return typeof code === 'string' && /^SAI\d{3}$/.test(code);
}

let extension: Extension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extension = new Extension(context);
  await extension.activate();
}

export async function deactivate(): Promise<void> {
  await extension?.client?.stop();
  extension = undefined;
}
