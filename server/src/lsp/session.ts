/**
 * The language server's state and behaviour behind the LSP wiring in server.ts: open documents, settings, the
 * analysis scheduler, the workspace scan, file watching, code actions and hovers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  FileChangeType,
  ResponseError,
  TextDocumentSyncKind,
  type CodeAction,
  type CodeActionParams,
  type Connection,
  type Diagnostic,
  type DidChangeConfigurationParams,
  type DidChangeTextDocumentParams,
  type DidChangeWatchedFilesParams,
  type DidCloseTextDocumentParams,
  type DidOpenTextDocumentParams,
  type DidSaveTextDocumentParams,
  type Hover,
  type HoverParams,
  type InitializeParams,
  type InitializeResult,
  type WorkspaceFolder,
  type WorkspaceFoldersChangeEvent,
} from 'vscode-languageserver';
import { activeRules, analyze, analyzeBytes, initEngine, parseTimeoutResult } from '../engine/analyze';
import type { AnalysisResult, Finding } from '../engine/types';
import { RULES_BY_ID } from '../rules';
import {
  CONFIG_SECTION,
  DEFAULT_DEBOUNCE_MS,
  FIX_ALL_KIND,
  generateThreatModelRequest,
  ruleDocumentationRequest,
  scanWorkspaceRequest,
  type InitializationOptions,
  type RequestSpec,
  type RuleDocumentationParams,
  type RuleDocumentationResult,
  type ScanWorkspaceResult,
} from '../shared/protocol';
import type { Settings } from '../shared/settings';
import { codeActions, type ActionDocument, type ActionOptions } from './code-actions';
import { findingToDiagnostic, noticeToDiagnostic } from './convert';
import { OpenDocument } from './documents';
import { hfHubCacheDir } from './hf-revision';
import { hoverFor, ruleDocsForEditor } from './hover';
import { NOTEBOOK_SYNC, NotebookSync } from './notebooks';
import { AnalysisThread, OFF_THREAD_CHARS } from './off-thread';
import { Debouncer, Priority, WorkQueue } from './scheduler';
import { SettingsCache } from './settings';
import { handleGenerateThreatModel } from './threat-model';
import { exportBomRequest, handleExportBom } from './bom';
import { FolderFilter, excludedBy, isInside } from './workspace-files';

const PYTHON_LANGUAGE = 'python';
/** Files read from disk at once during a scan (their CPU work still runs one at a time). */
const SCAN_CONCURRENCY = 4;
const SETTINGS_BATCH = 200;

function fsPathOf(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return path.resolve(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

const uriOf = (abs: string) => pathToFileURL(abs).href;
const message = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

export class Session {
  private readonly documents = new Map<string, OpenDocument>();
  /** fsPath → URI of open documents, so that the scan and the watcher leave them to the editor's text. */
  private readonly openPaths = new Map<string, string>();
  /** URIs of files read from disk whose last published diagnostics were not empty. */
  private readonly diskPublished = new Set<string>();
  private folders: Array<{ uri: string; path: string }> = [];
  private readonly filters = new Map<string, Promise<FolderFilter>>();
  private settings!: SettingsCache;
  private debouncer!: Debouncer;
  private readonly queue: WorkQueue;
  /** Large open documents are analysed here, off the main thread. */
  private readonly thread: AnalysisThread;
  private readonly offThread = new Map<string, { inFlight: boolean; again: boolean }>();
  private actionOptions: ActionOptions = { snippets: false, documentChanges: false, hfCacheDir: hfHubCacheDir() };
  private caps = {
    configuration: false,
    dynamicConfiguration: false,
    dynamicWatchers: false,
    workDoneProgress: false,
    workspaceFolders: false,
  };
  private options: InitializationOptions = {};
  /** Settings pushed with `didChangeConfiguration`, for clients that cannot answer `workspace/configuration`. */
  private pushedSettings: unknown;
  private scanGeneration = 0;
  /** Set once `initialize` has been answered; notifications that come earlier are dropped. */
  private initializedOnce = false;
  private latestScan: Promise<ScanWorkspaceResult> | undefined;
  /** Jupyter notebooks (LSP notebook sync): their cells are analysed as one program. */
  private readonly notebooks: NotebookSync;

  constructor(private readonly connection: Connection) {
    this.queue = new WorkQueue((key, err) => this.error(`analysing ${key} failed: ${message(err)}`));
    this.notebooks = new NotebookSync({
      settings: (uri) => this.settings.get(uri),
      excluded: (uri, settings) => this.excludedBySetting(uri, settings),
      pathOf: (uri) => fsPathOf(uri) ?? uri,
      debouncer: () => this.debouncer,
      queue: this.queue,
      publish: (uri, diagnostics, version) => this.publish(uri, diagnostics, version),
      actionOptions: () => this.actionOptions,
      log: (m) => this.log(m),
      error: (m) => this.error(m),
    });
    this.thread = new AnalysisThread(
      (m) => this.log(m),
      (uris) => {
        for (const uri of uris) {
          this.offThread.delete(uri);
          if (this.documents.has(uri)) void this.analyzeOpen(uri);
        }
      },
    );
  }

  // ------------------------------------------------------------------ wiring

  listen(): void {
    const c = this.connection;
    c.onInitialize((p) => this.initialize(p));
    c.onInitialized(() => void this.initialized());
    c.onDidOpenTextDocument((p) => this.guard('didOpen', () => this.didOpen(p)));
    c.onDidChangeTextDocument((p) => this.guard('didChange', () => this.didChange(p)));
    c.onDidSaveTextDocument((p) => this.guard('didSave', () => this.didSave(p)));
    c.onDidCloseTextDocument((p) => this.guard('didClose', () => this.didClose(p)));
    c.onDidChangeConfiguration((p) => this.guard('didChangeConfiguration', () => this.didChangeConfiguration(p)));
    c.onDidChangeWatchedFiles((p) => this.guard('didChangeWatchedFiles', () => this.didChangeWatchedFiles(p)));
    this.notebooks.listen(c, (what, f) => this.guard(what, f));
    c.onCodeAction((p) => this.codeAction(p));
    c.onHover((p) => this.hover(p));
    this.onRequest(scanWorkspaceRequest, () => this.scan());
    this.onRequest(ruleDocumentationRequest, (p) => this.ruleDocumentation(p));
    this.onRequest(generateThreatModelRequest, (p) => handleGenerateThreatModel(p, { folders: () => this.folders, settings: (uri) => this.settings.get(uri) }));
    this.onRequest(exportBomRequest, (p) => handleExportBom(p, { folders: () => this.folders, settings: (uri) => this.settings.get(uri), configuration: (scopeUri) => (this.caps.configuration ? this.connection.workspace.getConfiguration({ scopeUri, section: CONFIG_SECTION }) : Promise.resolve(this.pushedSettings)) }));
    c.onShutdown(async () => {
      await this.thread.dispose();
      this.debouncer?.dispose();
      this.notebooks.dispose();
      for (const d of this.documents.values()) d.dispose();
      this.documents.clear();
    });
    c.listen();
  }

  private onRequest<P, R>(spec: RequestSpec<P, R>, handler: (params: P) => R | Promise<R>): void {
    this.connection.onRequest(spec.method, (params: P): Promise<unknown> => Promise.resolve(handler(params)));
  }

  private guard(what: string, f: () => void): void {
    // Notifications before `initialize` are dropped, as LSP says: there are no settings or engine to serve them yet.
    if (!this.initializedOnce) return;
    try {
      f();
    } catch (err) {
      this.error(`${what} failed: ${message(err)}`);
    }
  }

  private log(msg: string): void {
    this.connection.console.log(msg);
  }

  private error(msg: string): void {
    this.connection.console.error(msg);
  }

  // ------------------------------------------------------------------ lifecycle

  private async initialize(params: InitializeParams): Promise<InitializeResult> {
    await initEngine();
    const cap = params.capabilities;
    this.caps = {
      configuration: !!cap.workspace?.configuration,
      dynamicConfiguration: !!cap.workspace?.didChangeConfiguration?.dynamicRegistration,
      dynamicWatchers: !!cap.workspace?.didChangeWatchedFiles?.dynamicRegistration,
      workDoneProgress: !!cap.window?.workDoneProgress,
      workspaceFolders: !!cap.workspace?.workspaceFolders,
    };
    this.notebooks.clientSyncsNotebooks = !!cap.notebookDocument?.synchronization;
    this.actionOptions = {
      snippets: !!cap.workspace?.workspaceEdit?.snippetEditSupport,
      documentChanges: !!cap.workspace?.workspaceEdit?.documentChanges,
      hfCacheDir: hfHubCacheDir(),
    };
    const init = (params.initializationOptions ?? {}) as InitializationOptions;
    this.options = typeof init === 'object' && init !== null ? init : {};
    const debounce = typeof this.options.debounceMs === 'number' && this.options.debounceMs >= 0 ? this.options.debounceMs : DEFAULT_DEBOUNCE_MS;
    this.debouncer = new Debouncer(debounce);
    this.settings = new SettingsCache(
      this.caps.configuration ? (items) => this.connection.workspace.getConfiguration(items) : (items) => Promise.resolve(items.map(() => this.pushedSettings)),
      (m) => this.log(m),
      CONFIG_SECTION,
    );
    const folders: WorkspaceFolder[] = params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: 'root' }] : []);
    this.setFolders(folders);
    this.initializedOnce = true;

    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        notebookDocumentSync: NOTEBOOK_SYNC,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: false },
        hoverProvider: true,
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'secure-ai', version: '0.1.0' },
    };
  }

  private async initialized(): Promise<void> {
    try {
      if (this.caps.dynamicConfiguration) {
        await this.connection.client.register(DidChangeConfigurationNotification.type, { section: CONFIG_SECTION });
      }
      if (this.caps.dynamicWatchers) {
        await this.connection.client.register(DidChangeWatchedFilesNotification.type, {
          watchers: [{ globPattern: '**/*.py' }, { globPattern: '**/.gitignore' }],
        });
      }
      if (this.caps.workspaceFolders) {
        this.connection.workspace.onDidChangeWorkspaceFolders((e) => this.guard('didChangeWorkspaceFolders', () => this.didChangeFolders(e)));
      }
    } catch (err) {
      this.error(`registering capabilities failed: ${message(err)}`);
    }
    if (this.options.scanOnStartup !== false) {
      this.scan().catch((err) => this.error(`workspace scan failed: ${message(err)}`));
    }
  }

  private setFolders(folders: WorkspaceFolder[]): void {
    this.folders = folders.flatMap((f) => {
      const p = fsPathOf(f.uri);
      return p ? [{ uri: f.uri, path: p }] : [];
    });
    this.filters.clear();
  }

  private didChangeFolders(e: WorkspaceFoldersChangeEvent): void {
    const removed = new Set(e.removed.map((f) => f.uri));
    const kept = this.folders.filter((f) => !removed.has(f.uri)).map((f) => ({ uri: f.uri, name: f.uri }));
    this.setFolders([...kept, ...e.added]);
    void this.scan().catch((err) => this.error(`workspace scan failed: ${message(err)}`));
  }

  private folderOf(abs: string): { uri: string; path: string } | undefined {
    let best: { uri: string; path: string } | undefined;
    for (const f of this.folders) if (isInside(abs, f.path) && (!best || f.path.length > best.path.length)) best = f;
    return best;
  }

  private filterFor(folder: { uri: string; path: string }): Promise<FolderFilter> {
    let f = this.filters.get(folder.uri);
    if (!f) {
      f = this.settings.get(folder.uri).then((s) => new FolderFilter(folder.path, s.exclude));
      this.filters.set(folder.uri, f);
    }
    return f;
  }

  // ------------------------------------------------------------------ open documents

  private didOpen(p: DidOpenTextDocumentParams): void {
    const { uri, languageId, version, text } = p.textDocument;
    // A notebook's cells are analysed together, through the notebook sync, never one by one.
    if (!this.isPython(uri, languageId) || this.notebooks.ownsTextDocument(uri)) return;
    this.documents.get(uri)?.dispose();
    const doc = new OpenDocument(uri, languageId, version, text);
    this.documents.set(uri, doc);
    const abs = fsPathOf(uri);
    if (abs) {
      this.openPaths.set(abs, uri);
      this.queue.cancel(uri);
    }
    this.diskPublished.delete(uri);
    this.thread.close(uri);
    this.offThread.delete(uri);
    if (this.thread.available && text.length >= OFF_THREAD_CHARS) this.thread.open(uri, languageId, version, text);
    void this.analyzeOpen(uri);
  }

  private didChange(p: DidChangeTextDocumentParams): void {
    const doc = this.documents.get(p.textDocument.uri);
    if (!doc) return;
    doc.update(p.contentChanges, p.textDocument.version);
    const uri = doc.uri;
    this.thread.change(uri, p.textDocument.version, p.contentChanges);
    void this.settings.get(uri).then((s) => {
      if (s.run === 'onType' && this.documents.get(uri) === doc) this.debouncer.trigger(uri, () => void this.analyzeOpen(uri));
    });
  }

  private didSave(p: DidSaveTextDocumentParams): void {
    const uri = p.textDocument.uri;
    if (!this.documents.has(uri)) return;
    this.debouncer.cancel(uri);
    void this.analyzeOpen(uri);
  }

  private didClose(p: DidCloseTextDocumentParams): void {
    const uri = p.textDocument.uri;
    const doc = this.documents.get(uri);
    if (!doc) return;
    doc.dispose();
    this.documents.delete(uri);
    this.debouncer.cancel(uri);
    this.queue.cancel(uri);
    this.thread.close(uri);
    this.offThread.delete(uri);
    const abs = fsPathOf(uri);
    if (abs) this.openPaths.delete(abs);
    // What is on disk now speaks for the file, if the scan would read it; else its diagnostics go.
    void this.refreshFromDisk(uri, abs);
  }

  private isPython(uri: string, languageId: string): boolean {
    return languageId === PYTHON_LANGUAGE || uri.endsWith('.py') || uri.endsWith('.pyi');
  }

  /**
   * Schedule an analysis of an open document; it analyses the text current when it runs. Small documents run on
   * this thread through the work queue; large ones in the analysis thread, so they never hold up the others.
   */
  private async analyzeOpen(uri: string): Promise<void> {
    const doc = this.documents.get(uri);
    if (!doc) return;
    const settings = await this.settings.get(uri);
    if (this.documents.get(uri) !== doc) return;
    if (!settings.enable || this.excludedBySetting(doc.uri, settings)) {
      this.debouncer.cancel(uri);
      doc.lastResult = undefined;
      this.publish(doc.uri, [], doc.version);
      return;
    }
    this.placeDocument(doc);
    if (this.thread.owns(uri)) {
      await this.analyzeOffThread(doc, settings);
      return;
    }
    await this.queue.enqueue(
      uri,
      Priority.Open,
      () => {
        // Still typing: the debounce timer will schedule a run for the newer text.
        if (this.documents.get(uri) !== doc || this.debouncer.pending(uri) || this.thread.owns(uri)) return;
        const version = doc.version;
        this.publishResult(doc, this.analyzeDocument(doc, settings), version);
      },
      doc.text.length,
    );
  }

  /** Hand a document that grew large to the analysis thread, and take back one that shrank (with hysteresis). */
  private placeDocument(doc: OpenDocument): void {
    const size = doc.text.length;
    const owned = this.thread.owns(doc.uri);
    if (!owned && size >= OFF_THREAD_CHARS && this.thread.available) {
      this.queue.cancel(doc.uri);
      this.thread.open(doc.uri, doc.languageId, doc.version, doc.text);
    } else if (owned && size < OFF_THREAD_CHARS / 2) {
      this.thread.close(doc.uri);
    }
  }

  /** One analysis in flight per document in the analysis thread; edits made meanwhile ask for one more run. */
  private async analyzeOffThread(doc: OpenDocument, settings: Settings): Promise<void> {
    const uri = doc.uri;
    const state = this.offThread.get(uri) ?? { inFlight: false, again: false };
    this.offThread.set(uri, state);
    if (state.inFlight) {
      state.again = true;
      return;
    }
    state.inFlight = true;
    try {
      const r = await this.thread.analyze(uri, fsPathOf(uri) ?? uri, settings);
      if (this.documents.get(uri) !== doc) return;
      // A result for an older text is published only when no newer run is coming (`run: onSave` while typing).
      if (r.version === doc.version || !(this.debouncer.pending(uri) || state.again)) this.publishResult(doc, r.result, r.version);
    } catch (err) {
      // A lost thread hands its documents back (onLost re-runs them here); anything else is logged.
      if (this.thread.owns(uri)) this.error(`analysing ${uri} in the analysis thread failed: ${message(err)}`);
    } finally {
      state.inFlight = false;
      if (state.again && this.documents.get(uri) === doc) {
        state.again = false;
        void this.analyzeOpen(uri);
      }
    }
  }

  private publishResult(doc: OpenDocument, result: AnalysisResult, version: number): void {
    doc.lastResult = { version, result };
    const diagnostics = result.findings.filter((f) => !f.suppressed).map((f) => findingToDiagnostic(f, version));
    diagnostics.push(...result.notices.map(noticeToDiagnostic));
    this.publish(doc.uri, diagnostics, version);
  }

  /** The engine over an open document, with its incrementally re-parsed tree. */
  private analyzeDocument(doc: OpenDocument, settings: Settings): AnalysisResult {
    const text = doc.text;
    const file = fsPathOf(doc.uri) ?? doc.uri;
    try {
      // Parse only when some rule can match (the engine's prefilter) and the file is within the size limit.
      const small = text.length <= settings.maxFileSizeKb * 1024;
      const needsTree = small && activeRules(settings).some((r) => r.mayMatch(text));
      const tree = needsTree ? doc.parse() : undefined;
      if (needsTree && !tree) return parseTimeoutResult(text.length);
      return analyze(text, file, settings, tree ? { tree } : {});
    } catch (err) {
      this.error(`analysing ${doc.uri} failed: ${message(err)}`);
      // A tree that took part in a failure is not trusted again.
      doc.dropTree();
      return { findings: [], parsed: false, notices: [{ kind: 'internal-error', message: 'the analysis failed (see the Secure AI output)' }] };
    }
  }

  private excludedBySetting(uri: string, settings: Settings): boolean {
    if (settings.exclude.length === 0) return false;
    const abs = fsPathOf(uri);
    const folder = abs && this.folderOf(abs);
    return !!abs && !!folder && excludedBy(settings.exclude, folder.path, abs);
  }

  private publish(uri: string, diagnostics: Diagnostic[], version?: number): void {
    void this.connection.sendDiagnostics({ uri, diagnostics, version }).catch((err) => this.error(`publishing ${uri}: ${message(err)}`));
  }

  // ------------------------------------------------------------------ files on disk

  /** Analyse a file that is not open, from disk; resolves with its unsuppressed findings (-1: skipped or not read). */
  private async analyzeDisk(uri: string, abs: string): Promise<number> {
    if (this.openPaths.has(abs)) return 0;
    const settings = await this.settings.get(uri);
    if (!settings.enable || this.excludedBySetting(uri, settings)) {
      this.clearDisk(uri);
      return 0;
    }
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(abs);
    } catch (err) {
      this.clearDisk(uri);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log(`cannot read ${abs}: ${(err as Error).message}`);
      return -1;
    }
    let count = -1;
    const publish = (result: AnalysisResult) => {
      if (this.openPaths.has(abs)) return;
      for (const n of result.notices) this.log(`${abs}: ${n.message}`);
      const diagnostics = result.findings.filter((f) => !f.suppressed).map((f) => findingToDiagnostic(f));
      count = result.notices.length ? -1 : diagnostics.length;
      if (diagnostics.length) {
        this.diskPublished.add(uri);
        this.publish(uri, diagnostics);
      } else {
        this.clearDisk(uri);
      }
    };
    // Large files go to the analysis thread, so that the scan never holds the main thread for long.
    if (bytes.length >= OFF_THREAD_CHARS && bytes.length <= settings.maxFileSizeKb * 1024 && this.thread.available) {
      try {
        publish(await this.thread.analyzeBytes(uri, abs, bytes, settings));
        return count;
      } catch (err) {
        this.log(`analysing ${abs} in the analysis thread failed (${message(err)}); analysing it here`);
      }
    }
    await this.queue.enqueue(uri, Priority.Disk, () => publish(analyzeBytes(bytes, abs, settings)));
    return count;
  }

  private clearDisk(uri: string): void {
    if (this.diskPublished.delete(uri)) this.publish(uri, []);
  }

  /** A file closed in the editor or changed on disk: its disk findings when the scan would read it, else none. */
  private async refreshFromDisk(uri: string, abs: string | undefined): Promise<void> {
    const folder = abs && this.folderOf(abs);
    if (!abs || !folder || !(await this.filterFor(folder)).includes(abs)) {
      this.diskPublished.add(uri); // make sure the clear goes out (an open document's diagnostics are not tracked)
      this.clearDisk(uri);
      return;
    }
    this.diskPublished.add(uri);
    await this.analyzeDisk(uri, abs);
  }

  private didChangeWatchedFiles(p: DidChangeWatchedFilesParams): void {
    let rescan = false;
    for (const change of p.changes) {
      const abs = fsPathOf(change.uri);
      if (!abs) continue;
      if (path.basename(abs) === '.gitignore') {
        rescan = true;
        continue;
      }
      if (!abs.endsWith('.py') || this.openPaths.has(abs)) continue;
      const uri = uriOf(abs);
      if (change.type === FileChangeType.Deleted) {
        this.queue.cancel(uri);
        this.clearDisk(uri);
      } else {
        void this.refreshFromDisk(uri, abs).catch((err) => this.error(`analysing ${abs}: ${message(err)}`));
      }
    }
    if (rescan) {
      this.filters.clear();
      void this.scan().catch((err) => this.error(`workspace scan failed: ${message(err)}`));
    }
  }

  // ------------------------------------------------------------------ workspace scan

  /** Scan every workspace folder; a scan that starts while another runs stops the older one. */
  scan(): Promise<ScanWorkspaceResult> {
    this.latestScan = this.runScan(++this.scanGeneration);
    return this.latestScan;
  }

  private async runScan(generation: number): Promise<ScanWorkspaceResult> {
    const started = performance.now();
    const progress = this.caps.workDoneProgress ? await this.connection.window.createWorkDoneProgress() : undefined;
    let files: string[] = [];
    try {
      for (const folder of this.folders) {
        const filter = await this.filterFor(folder);
        files.push(...(await filter.list()));
      }
    } catch (err) {
      this.error(`listing the workspace's Python files failed: ${message(err)}`);
    }
    files = [...new Set(files)].filter((f) => !this.openPaths.has(f));
    const uris = files.map(uriOf);
    // Files that had findings and are no longer part of the scan (now excluded, ignored or gone).
    const listed = new Set(uris);
    for (const uri of [...this.diskPublished]) if (!listed.has(uri)) this.clearDisk(uri);

    progress?.begin('Secure AI', 0, `scanning ${files.length} Python file${files.length === 1 ? '' : 's'}`, false);
    let done = 0;
    let findings = 0;
    let skipped = 0;
    let next = 0;
    let lastReport = 0;
    const worker = async () => {
      while (next < files.length && generation === this.scanGeneration) {
        const i = next++;
        if (i % SETTINGS_BATCH === 0) this.settings.prefetch(uris.slice(i, i + SETTINGS_BATCH));
        const n = await this.analyzeDisk(uris[i], files[i]).catch((err: unknown) => {
          this.error(`analysing ${files[i]} failed: ${message(err)}`);
          return -1;
        });
        if (n < 0) skipped++;
        else findings += n;
        done++;
        const now = performance.now();
        if (progress && now - lastReport > 100) {
          lastReport = now;
          progress.report(Math.floor((done / files.length) * 100), `${done}/${files.length} files`);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(SCAN_CONCURRENCY, files.length) }, worker));
    } finally {
      progress?.done();
    }
    // A scan that a newer one stopped answers with the newer one's result.
    if (generation !== this.scanGeneration && this.latestScan) return this.latestScan;
    const result: ScanWorkspaceResult = { files: done, findings, skipped, durationMs: Math.round(performance.now() - started) };
    this.log(`workspace scan: ${done} files, ${findings} findings, ${skipped} skipped, ${result.durationMs} ms`);
    return result;
  }

  // ------------------------------------------------------------------ settings

  private didChangeConfiguration(p: DidChangeConfigurationParams): void {
    const pushed = (p.settings as Record<string, unknown> | null | undefined)?.[CONFIG_SECTION];
    if (pushed !== undefined) this.pushedSettings = pushed;
    this.settings.clear();
    this.filters.clear();
    for (const uri of this.documents.keys()) {
      this.debouncer.cancel(uri);
      void this.analyzeOpen(uri);
    }
    this.notebooks.reanalyzeAll();
    void this.scan().catch((err) => this.error(`workspace scan failed: ${message(err)}`));
  }

  // ------------------------------------------------------------------ requests

  private actionDocument(doc: OpenDocument, settings: Settings): ActionDocument {
    return {
      uri: doc.uri,
      version: doc.version,
      text: doc.text,
      tree: () => doc.parse(),
      findings: () => this.currentFindings(doc, settings),
    };
  }

  private currentFindings(doc: OpenDocument, settings: Settings): Finding[] {
    if (!settings.enable) return [];
    const last = doc.lastResult;
    const result = last && last.version === doc.version ? last.result : this.analyzeDocument(doc, settings);
    return result.findings.filter((f) => !f.suppressed);
  }

  private async codeAction(p: CodeActionParams): Promise<CodeAction[]> {
    if (this.notebooks.isCell(textDocumentUri(p))) return this.notebooks.codeAction(p);
    const doc = this.documents.get(textDocumentUri(p));
    if (!doc || !p.context || !Array.isArray(p.context.diagnostics)) return [];
    const settings = await this.settings.get(doc.uri);
    if (this.documents.get(doc.uri) !== doc) return [];
    return codeActions(this.actionDocument(doc, settings), p, this.actionOptions);
  }

  private async hover(p: HoverParams): Promise<Hover | null> {
    const uri = textDocumentUri(p);
    if (!p.position || typeof p.position.line !== 'number' || typeof p.position.character !== 'number') {
      throw new ResponseError(ErrorCodes.InvalidParams, 'hover: position is missing or malformed');
    }
    if (this.notebooks.isCell(uri)) return this.notebooks.hover(uri, p.position);
    const doc = this.documents.get(uri);
    if (!doc) return null;
    const settings = await this.settings.get(uri);
    if (this.documents.get(uri) !== doc || this.excludedBySetting(uri, settings)) return null;
    return hoverFor(this.currentFindings(doc, settings), p.position);
  }

  private ruleDocumentation(p: RuleDocumentationParams): RuleDocumentationResult | null {
    if (!p || typeof p.ruleId !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'ruleDocumentation: ruleId is missing');
    const ruleId = p.ruleId.toUpperCase();
    const markdown = RULES_BY_ID.has(ruleId) ? ruleDocsForEditor(ruleId) : undefined;
    return markdown ? { ruleId, markdown } : null;
  }
}

/** `params.textDocument.uri`, or an InvalidParams error for a malformed request. */
function textDocumentUri(p: { textDocument?: { uri?: unknown } } | null | undefined): string {
  const uri = p?.textDocument?.uri;
  if (typeof uri !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'textDocument.uri is missing');
  return uri;
}
