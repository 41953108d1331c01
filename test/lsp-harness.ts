/**
 * A small LSP client for the tests and the latency bench: starts `node dist/server.js --stdio` as a separate process
 * and speaks real JSON-RPC to it (vscode-languageserver-protocol). It answers the server's requests
 * (`workspace/configuration` from a settable map, capability registration, progress creation), records what the
 * server publishes, and waits for it by event with a timeout: it never sleeps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
  type ClientCapabilities,
  type Diagnostic,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type Range,
  type TextDocumentContentChangeEvent,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { ROOT } from './helpers';

export const SERVER = path.join(ROOT, 'dist', 'server.js');

export const fileUri = (p: string) => pathToFileURL(p).href;

export interface StartOptions {
  /** Workspace folders (absolute paths). */
  folders?: string[];
  initializationOptions?: Record<string, unknown>;
  /** Capabilities beyond the defaults below (merged shallowly per top-level key). */
  capabilities?: ClientCapabilities;
  env?: NodeJS.ProcessEnv;
  /** `secureAi` settings for every URI, in place before the server starts. */
  settings?: unknown;
}

type Waiter = { check: () => boolean; resolve: () => void };

/** A notebook cell for `openNotebook`/`spliceCells`: its text document URI (`vscode-notebook-cell:`), text and kind. */
export interface NotebookCellSpec {
  uri: string;
  text: string;
  /** 2 = code (default), 1 = markup. */
  kind?: 1 | 2;
  /** Default `python` for code cells, `markdown` for markup cells. */
  languageId?: string;
}

/** The URI VS Code gives cell `index` of the notebook at `notebookUri`: the notebook's path, scheme `vscode-notebook-cell`. */
export function cellUri(notebookUri: string, index: number): string {
  return `${notebookUri.replace(/^file:/, 'vscode-notebook-cell:')}#W${index}sZmlsZQ%3D%3D`;
}

export class LspClient {
  readonly connection: ProtocolConnection;
  readonly proc: ChildProcess;
  /** The latest diagnostics per URI. */
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  /** Every publishDiagnostics, in order. */
  readonly published: PublishDiagnosticsParams[] = [];
  readonly logs: string[] = [];
  readonly progress: unknown[] = [];
  readonly registrations: unknown[] = [];
  /** `secureAi` settings per scope URI; `''` is the fallback for every URI. */
  readonly config = new Map<string, unknown>();
  readonly configRequests: Array<{ scopeUri?: string; section?: string }> = [];
  private readonly waiters = new Set<Waiter>();
  private readonly versions = new Map<string, number>();
  private readonly texts = new Map<string, string>();
  stderr = '';

  private constructor(env?: NodeJS.ProcessEnv) {
    this.proc = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.connection = createProtocolConnection(new StreamMessageReader(this.proc.stdout!), new StreamMessageWriter(this.proc.stdin!));
    const c = this.connection;
    c.onRequest('workspace/configuration', (p: { items: Array<{ scopeUri?: string; section?: string }> }) =>
      p.items.map((item) => {
        this.configRequests.push(item);
        return (item.scopeUri !== undefined && this.config.get(item.scopeUri)) ?? this.config.get('') ?? null;
      }),
    );
    c.onRequest('client/registerCapability', (p: unknown) => {
      this.registrations.push(p);
      this.notify();
      return null;
    });
    c.onRequest('client/unregisterCapability', () => null);
    c.onRequest('window/workDoneProgress/create', () => null);
    c.onNotification('$/progress', (p: unknown) => {
      this.progress.push(p);
      this.notify();
    });
    c.onNotification('window/logMessage', (p: { message: string }) => {
      this.logs.push(p.message);
    });
    c.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.diagnostics.set(p.uri, p);
      this.published.push(p);
      this.notify();
    });
    c.listen();
  }

  static async start(opts: StartOptions = {}): Promise<LspClient> {
    const client = new LspClient(opts.env);
    if (opts.settings !== undefined) client.config.set('', opts.settings);
    const folders = (opts.folders ?? []).map((f) => ({ uri: fileUri(f), name: path.basename(f) }));
    const base: ClientCapabilities = {
      workspace: {
        configuration: true,
        didChangeConfiguration: { dynamicRegistration: true },
        didChangeWatchedFiles: { dynamicRegistration: true },
        workspaceFolders: true,
        workspaceEdit: { documentChanges: true },
      },
      window: { workDoneProgress: true },
      textDocument: {
        publishDiagnostics: { versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
        codeAction: { dataSupport: true, isPreferredSupport: true },
        hover: { contentFormat: ['markdown', 'plaintext'] },
      },
    };
    const capabilities: ClientCapabilities = { ...base, ...opts.capabilities };
    client.initializeResult = await client.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: folders[0]?.uri ?? null,
      workspaceFolders: folders.length ? folders : null,
      capabilities,
      initializationOptions: { debounceMs: 10, scanOnStartup: false, ...opts.initializationOptions },
    });
    await client.connection.sendNotification('initialized', {});
    return client;
  }

  initializeResult: unknown;

  private notify(): void {
    for (const w of [...this.waiters]) {
      if (w.check()) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  /** Resolve when `check()` holds, re-checked on every message from the server; reject after `timeoutMs`. */
  waitUntil(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\nserver stderr:\n${this.stderr}\nlogs:\n${this.logs.join('\n')}`));
      }, timeoutMs);
      const waiter: Waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** The diagnostics for `uri` once they are published for the document's current version (open documents). */
  async diagnosticsFor(uri: string, predicate: (d: Diagnostic[]) => boolean = () => true, timeoutMs?: number): Promise<Diagnostic[]> {
    const version = this.versions.get(uri);
    const ok = () => {
      const p = this.diagnostics.get(uri);
      return !!p && (version === undefined || p.version === version) && predicate(p.diagnostics);
    };
    await this.waitUntil(ok, `diagnostics for ${uri} (version ${version})`, timeoutMs);
    return this.diagnostics.get(uri)!.diagnostics;
  }

  text(uri: string): string {
    return this.texts.get(uri)!;
  }

  /** The version of an open document or notebook cell, as this client sent it. */
  versionOf(uri: string): number | undefined {
    return this.versions.get(uri);
  }

  async open(uri: string, text: string, languageId = 'python'): Promise<void> {
    this.versions.set(uri, 1);
    this.texts.set(uri, text);
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  }

  /** Send incremental changes (applied in order, as LSP defines) and track the text. */
  async change(uri: string, changes: Array<{ range: Range; text: string }>): Promise<number> {
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    let text = this.texts.get(uri) ?? '';
    for (const c of changes) text = applyTextEdits(text, [{ range: c.range, newText: c.text }]);
    this.texts.set(uri, text);
    const contentChanges: TextDocumentContentChangeEvent[] = changes;
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges });
    return version;
  }

  /** Apply a WorkspaceEdit for `uri` the way an editor does: one didChange with the edits, last first. */
  async applyWorkspaceEdit(uri: string, edit: WorkspaceEdit): Promise<string> {
    const edits = workspaceEditFor(uri, edit);
    // Edits refer to the original text; sending them last-first keeps each range valid when applied in order.
    const sorted = [...edits].sort((a, b) => cmp(b.range.start, a.range.start));
    await this.change(uri, sorted.map((e) => ({ range: e.range, text: e.newText })));
    return this.text(uri);
  }

  async close(uri: string): Promise<void> {
    this.versions.delete(uri);
    this.texts.delete(uri);
    await this.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  // ------------------------------------------------------------------ notebooks (LSP 3.17 notebook sync)

  private readonly notebookCells = new Map<string, { version: number; cells: NotebookCellSpec[] }>();

  /** `notebookDocument/didOpen` with the given cells (kind 2 = code, 1 = markup); cell versions start at 1. */
  async openNotebook(uri: string, cells: NotebookCellSpec[], notebookType = 'jupyter-notebook'): Promise<void> {
    this.notebookCells.set(uri, { version: 1, cells: cells.map((c) => ({ ...c })) });
    for (const c of cells) {
      this.versions.set(c.uri, 1);
      this.texts.set(c.uri, c.text);
    }
    await this.connection.sendNotification('notebookDocument/didOpen', {
      notebookDocument: { uri, notebookType, version: 1, cells: cells.map((c) => ({ kind: c.kind ?? 2, document: c.uri })) },
      cellTextDocuments: cells.map((c) => ({ uri: c.uri, languageId: c.languageId ?? (c.kind === 1 ? 'markdown' : 'python'), version: 1, text: c.text })),
    });
  }

  /** Incremental changes to one cell's text (`notebookDocument/didChange` with `cells.textContent`); returns its new version. */
  async changeCell(notebookUri: string, cellUri: string, changes: Array<{ range?: Range; text: string }>): Promise<number> {
    const nb = this.notebookCells.get(notebookUri)!;
    const version = (this.versions.get(cellUri) ?? 0) + 1;
    this.versions.set(cellUri, version);
    let text = this.texts.get(cellUri) ?? '';
    for (const c of changes) text = c.range ? applyTextEdits(text, [{ range: c.range, newText: c.text }]) : c.text;
    this.texts.set(cellUri, text);
    nb.version++;
    await this.connection.sendNotification('notebookDocument/didChange', {
      notebookDocument: { uri: notebookUri, version: nb.version },
      change: { cells: { textContent: [{ document: { uri: cellUri, version }, changes }] } },
    });
    return version;
  }

  /** Replace `deleteCount` cells at `start` with `cells` (`cells.structure`, with didOpen/didClose of their text). */
  async spliceCells(notebookUri: string, start: number, deleteCount: number, cells: NotebookCellSpec[] = []): Promise<void> {
    const nb = this.notebookCells.get(notebookUri)!;
    const removed = nb.cells.splice(start, deleteCount, ...cells.map((c) => ({ ...c })));
    for (const c of removed) {
      this.versions.delete(c.uri);
      this.texts.delete(c.uri);
    }
    for (const c of cells) {
      this.versions.set(c.uri, 1);
      this.texts.set(c.uri, c.text);
    }
    nb.version++;
    await this.connection.sendNotification('notebookDocument/didChange', {
      notebookDocument: { uri: notebookUri, version: nb.version },
      change: {
        cells: {
          structure: {
            array: { start, deleteCount, cells: cells.map((c) => ({ kind: c.kind ?? 2, document: c.uri })) },
            didOpen: cells.map((c) => ({ uri: c.uri, languageId: c.languageId ?? (c.kind === 1 ? 'markdown' : 'python'), version: 1, text: c.text })),
            didClose: removed.map((c) => ({ uri: c.uri })),
          },
        },
      },
    });
  }

  /** Apply a WorkspaceEdit's edits for one cell the way an editor does: one notebook change with the edits, last first. */
  async applyCellEdit(notebookUri: string, cellUri: string, edit: WorkspaceEdit): Promise<string> {
    const edits = workspaceEditFor(cellUri, edit);
    const sorted = [...edits].sort((a, b) => cmp(b.range.start, a.range.start));
    await this.changeCell(notebookUri, cellUri, sorted.map((e) => ({ range: e.range, text: e.newText })));
    return this.text(cellUri);
  }

  async saveNotebook(uri: string): Promise<void> {
    await this.connection.sendNotification('notebookDocument/didSave', { notebookDocument: { uri } });
  }

  async closeNotebook(uri: string): Promise<void> {
    const nb = this.notebookCells.get(uri);
    this.notebookCells.delete(uri);
    for (const c of nb?.cells ?? []) {
      this.versions.delete(c.uri);
      this.texts.delete(c.uri);
    }
    await this.connection.sendNotification('notebookDocument/didClose', {
      notebookDocument: { uri },
      cellTextDocuments: (nb?.cells ?? []).map((c) => ({ uri: c.uri })),
    });
  }

  async setConfig(settings: unknown, scopeUri = ''): Promise<void> {
    this.config.set(scopeUri, settings);
    await this.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.proc.exitCode !== null) resolve();
      else this.proc.once('exit', () => resolve());
    });
    try {
      await this.connection.sendRequest('shutdown');
      await this.connection.sendNotification('exit');
    } catch {
      this.proc.kill();
    }
    const timer = setTimeout(() => this.proc.kill(), 5000);
    await exited;
    clearTimeout(timer);
    this.connection.dispose();
  }
}

const cmp = (a: { line: number; character: number }, b: { line: number; character: number }) => a.line - b.line || a.character - b.character;

/** `${1:default}` / `$1` / `\$` → the defaults, as an editor inserts a snippet the user accepts unchanged. */
export function expandSnippet(s: string): string {
  return s
    .replace(/\$\{\d+:((?:[^}\\]|\\.)*)\}/g, (_, d: string) => d)
    .replace(/\$\d+/g, '')
    .replace(/\\([$}\\])/g, '$1');
}

/** The plain text edits a WorkspaceEdit makes to `uri` (snippet edits expanded with their defaults). */
export function workspaceEditFor(uri: string, edit: WorkspaceEdit): Array<{ range: Range; newText: string }> {
  const out: Array<{ range: Range; newText: string }> = [];
  for (const [u, edits] of Object.entries(edit.changes ?? {})) if (u === uri) out.push(...edits);
  for (const dc of edit.documentChanges ?? []) {
    if (!('textDocument' in dc) || dc.textDocument.uri !== uri) continue;
    for (const e of dc.edits) {
      if ('snippet' in e) out.push({ range: e.range, newText: expandSnippet(e.snippet.value) });
      else out.push({ range: e.range, newText: e.newText });
    }
  }
  return out;
}

/**
 * The offset LSP means by `p` in `text` (UTF-16 code units), as an editor and the server's text documents count it:
 * lines end at `\r\n`, `\r` or `\n`; a line past the end means the end of the text, a character past the end of a
 * line the end of that line, before its line break (never between the `\r` and `\n` of a CRLF).
 */
export function lspOffset(text: string, p: { line: number; character: number }): number {
  if (p.line < 0) return 0;
  let start = 0;
  for (let line = 0; line < p.line; line++) {
    while (start < text.length && text[start] !== '\n' && text[start] !== '\r') start++;
    if (start === text.length) return text.length;
    start += text[start] === '\r' && text[start + 1] === '\n' ? 2 : 1;
  }
  let end = start;
  while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
  return start + Math.min(Math.max(p.character, 0), end - start);
}

/** Apply non-overlapping edits (positions as `lspOffset` reads them; a range given end first is the same range) to `text`. */
export function applyTextEdits(text: string, edits: Array<{ range: Range; newText: string }>): string {
  const spans = edits
    .map((e) => {
      const a = lspOffset(text, e.range.start);
      const b = lspOffset(text, e.range.end);
      return { from: Math.min(a, b), to: Math.max(a, b), text: e.newText };
    })
    .sort((a, b) => b.from - a.from);
  let out = text;
  for (const s of spans) out = out.slice(0, s.from) + s.text + out.slice(s.to);
  return out;
}

/** The range of the `nth` occurrence of `needle` in `text`. */
export function rangeOf(text: string, needle: string, nth = 0): Range {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i === -1) throw new Error(`${JSON.stringify(needle)} not found`);
  }
  const pos = (off: number) => {
    const before = text.slice(0, off);
    const line = before.split('\n').length - 1;
    return { line, character: off - (before.lastIndexOf('\n') + 1) };
  };
  return { start: pos(i), end: pos(i + needle.length) };
}
