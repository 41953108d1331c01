/**
 * The client's fixed configuration: how the server is started, which documents it sees, and the restart policy.
 * Settings themselves are read by the server (pulled per resource with `workspace/configuration`); their defaults
 * live in server/src/shared/settings.ts and are mirrored in package.json (a test checks the two agree).
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  TransportKind,
  type CloseHandlerResult,
  type DocumentSelector,
  type ErrorHandler,
  type ErrorHandlerResult,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { MANIFEST_GLOBS } from '../../server/src/shared/protocol';

/** The client id: vscode-languageclient reads `secureAi.trace.server` from it. */
export const CLIENT_ID = 'secureAi';
export const CLIENT_NAME = 'Secure AI';

/**
 * Python files on disk and unsaved Python buffers, and dependency manifests on disk (notebook cells are added in
 * extension.ts: they go through notebook sync). The server decides what a synced document is by its name and
 * language, and ignores the rest (a file these patterns select but that is no manifest, such as `conda-lock.yml`).
 */
export const DOCUMENT_SELECTOR: DocumentSelector = [
  { scheme: 'file', language: 'python' },
  { scheme: 'untitled', language: 'python' },
  // Manifests by name: VS Code gives them various language ids (`pip-requirements`, `toml`, `yaml`, `ini`,
  // `plaintext`, depending on the extensions installed), so any language. Files on disk only.
  ...MANIFEST_GLOBS.map((pattern) => ({ scheme: 'file', pattern })),
];

/** The bundled server beside the bundled client: dist/server.js. */
export function serverOptions(context: vscode.ExtensionContext): ServerOptions {
  const module = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.js').fsPath;
  return {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
  };
}

/** Restart a crashed server at most `MAX_RESTARTS` times in `RESTART_WINDOW_MS`; then stop and say so. */
export const MAX_RESTARTS = 4;
export const RESTART_WINDOW_MS = 3 * 60 * 1000;

export class RestartPolicy implements ErrorHandler {
  private readonly restarts: number[] = [];

  constructor(private readonly output: vscode.OutputChannel) {}

  error(error: Error, _message: unknown, count: number | undefined): ErrorHandlerResult {
    this.output.appendLine(`connection error: ${error.message}`);
    // A few write errors in a row are survivable; a stream that keeps failing means the server is gone.
    return { action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown };
  }

  closed(): CloseHandlerResult {
    const now = Date.now();
    while (this.restarts.length && now - this.restarts[0] > RESTART_WINDOW_MS) this.restarts.shift();
    if (this.restarts.length >= MAX_RESTARTS) {
      return {
        action: CloseAction.DoNotRestart,
        message:
          `The Secure AI server crashed ${MAX_RESTARTS + 1} times in the last ${RESTART_WINDOW_MS / 60000} minutes and ` +
          'will not be restarted. See the "Secure AI" output for details, then run "Secure AI: Restart Server".',
      };
    }
    this.restarts.push(now);
    this.output.appendLine(`the server stopped unexpectedly; restarting (${this.restarts.length}/${MAX_RESTARTS})`);
    return { action: CloseAction.Restart, handled: true };
  }

  /** A restart the user asked for starts a fresh count. */
  reset(): void {
    this.restarts.length = 0;
  }
}
