/**
 * The language server's state and behaviour behind the LSP wiring in server.ts: open documents, settings, the
 * analysis scheduler, the workspace scan, file watching, code actions and hovers.
 *
 * Besides Python files, the server reads what the CLI reads (issue 6): dependency manifests (analysed like Python
 * files, open or on disk, never in the analysis thread: they are small and need no parse), model files (scanned for
 * code by the model-artifact scanner; their SAI210 findings are published on the model file's own URI) and lock
 * files. Together they make the workspace's `ProjectFacts` (project.ts), which every Python, notebook and manifest
 * analysis takes: a `torch.load` of a flagged checkpoint is flagged, SAI202 drops to a hint when the manifests require
 * a safe torch, SAI701 to information under a lock file. When one of those files changes, the facts are recomputed
 * (debounced) and what they can affect is analysed again.
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
import { activeRules, analyze, initEngine, parseTimeoutResult } from '../engine/analyze';
import { analyzeManifest } from '../engine/analyze-manifest';
import type { ProjectFacts } from '../engine/project';
import type { AnalysisResult, Finding } from '../engine/types';
import { analyzeFileBytes } from '../cli/analyse-file';
import { RULES_BY_ID } from '../rules';
import { artifactFindings } from '../rules/SAI210-unsafe-model-artifact';
import { fileKindOf } from '../workspace/file-kinds';
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
import { OpenDocument, type DocumentKind } from './documents';
import { hfHubCacheDir } from './hf-revision';
import { hoverFor, ruleDocsForEditor } from './hover';
import { NOTEBOOK_SYNC, NotebookSync } from './notebooks';
import { AnalysisThread, OFF_THREAD_CHARS } from './off-thread';
import { Debouncer, Priority, WorkQueue } from './scheduler';
import { SettingsCache } from './settings';
import { handleGenerateThreatModel } from './threat-model';
import { exportBomRequest, handleExportBom } from './bom';
import { WorkspaceProject, folderOf, mayReadFacts } from './project';
import { FolderFilter, excludedBy, scannedKindOf, watchedGlobs, type FolderListing, type ScannedKind } from './workspace-files';

const PYTHON_LANGUAGE = 'python';
/** Files read from disk at once during a scan (their CPU work still runs one at a time). */
const SCAN_CONCURRENCY = 4;
const SETTINGS_BATCH = 200;
/** The debouncer's key for recomputing the workspace's facts (not a URI, so it never collides with a document). */
const FACTS_KEY = '\0facts';

/** Let the event loop run (messages, timers) between two pieces of background work. */
const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

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
  /** The workspace's manifests, lock files and model files, and the facts made of them. */
  private readonly project = new WorkspaceProject();
  /** URIs of Python files read from disk that may hold a finding the facts decide (see `mayReadFacts`). */
  private readonly factReaders = new Set<string>();
  /** Bumped by each computation of the facts; an older one that finishes late is dropped. */
  private factsGeneration = 0;

  constructor(private readonly connection: Connection) {
    this.queue = new WorkQueue((key, err) => this.error(`analysing ${key} failed: ${message(err)}`));
    this.notebooks = new NotebookSync({
      settings: (uri) => this.settings.get(uri),
      excluded: (uri, settings) => this.excludedBySetting(uri, settings),
      pathOf: (uri) => fsPathOf(uri) ?? uri,
      project: () => this.project.facts,
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
    this.onRequest(exportBomRequest, (p) => handleExportBom(p, { folders: () => this.folders, settings: (uri) => this.settings.get(uri) }));
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
          watchers: watchedGlobs().map((globPattern) => ({ globPattern })),
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
    // Until the first scan has computed them, the facts know where relative paths are read from.
    this.project.facts = { ...this.project.facts, roots: this.folders.map((f) => f.path) };
  }

  private didChangeFolders(e: WorkspaceFoldersChangeEvent): void {
    const removed = new Set(e.removed.map((f) => f.uri));
    const kept = this.folders.filter((f) => !removed.has(f.uri)).map((f) => ({ uri: f.uri, name: f.uri }));
    this.setFolders([...kept, ...e.added]);
    void this.scan().catch((err) => this.error(`workspace scan failed: ${message(err)}`));
  }

  private folderOf(abs: string): { uri: string; path: string } | undefined {
    return folderOf(this.folders, abs);
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
    const kind = this.documentKind(uri, languageId);
    if (!kind || this.notebooks.ownsTextDocument(uri)) return;
    this.documents.get(uri)?.dispose();
    const doc = new OpenDocument(uri, languageId, version, text, kind);
    this.documents.set(uri, doc);
    const abs = fsPathOf(uri);
    if (abs) {
      this.openPaths.set(abs, uri);
      this.queue.cancel(uri);
    }
    this.diskPublished.delete(uri);
    this.thread.close(uri);
    this.offThread.delete(uri);
    if (kind === 'python' && this.thread.available && text.length >= OFF_THREAD_CHARS) this.thread.open(uri, languageId, version, text);
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
    const doc = this.documents.get(uri);
    if (!doc) return;
    this.debouncer.cancel(uri);
    void this.analyzeOpen(uri);
    // A saved manifest may change the facts (the file watcher says so too, when the client has one).
    const abs = fsPathOf(uri);
    if (doc.kind === 'manifest' && abs) void this.fileChanged(abs, 'manifest', false).catch((err) => this.error(`reading ${abs} after it was saved: ${message(err)}`));
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

  /**
   * What an open document is analysed as: a manifest by its name (whatever language the editor gave it: VS Code's ids
   * for these files vary), else Python by its language or name, else nothing.
   */
  private documentKind(uri: string, languageId: string): DocumentKind | undefined {
    if (fileKindOf(fsPathOf(uri) ?? uri) === 'manifest') return 'manifest';
    if (languageId === PYTHON_LANGUAGE || uri.endsWith('.py') || uri.endsWith('.pyi')) return 'python';
    return undefined;
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
    if (doc.kind === 'python') this.placeDocument(doc);
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
      const r = await this.thread.analyze(uri, fsPathOf(uri) ?? uri, settings, this.project.facts);
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

  /** The engine over an open document: a manifest's text, or Python with its incrementally re-parsed tree. */
  private analyzeDocument(doc: OpenDocument, settings: Settings): AnalysisResult {
    const text = doc.text;
    const file = fsPathOf(doc.uri) ?? doc.uri;
    const project = this.project.facts;
    try {
      if (doc.kind === 'manifest') return analyzeManifest(text, file, settings, { project });
      // Parse only when some rule can match (the engine's prefilter) and the file is within the size limit.
      const small = text.length <= settings.maxFileSizeKb * 1024;
      const needsTree = small && activeRules(settings).some((r) => r.mayMatch(text));
      const tree = needsTree ? doc.parse() : undefined;
      if (needsTree && !tree) return parseTimeoutResult(text.length);
      return analyze(text, file, settings, { tree, project });
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

  /**
   * Analyse a Python file or a manifest that is not open, from disk; resolves with its unsuppressed findings (-1:
   * skipped or not read). Large Python files go to the analysis thread; manifests always run here (they are small).
   */
  private async analyzeDisk(uri: string, abs: string): Promise<number> {
    if (this.openPaths.has(abs)) return 0;
    const settings = await this.settings.get(uri);
    if (!settings.enable || this.excludedBySetting(uri, settings)) {
      this.factReaders.delete(uri);
      this.clearDisk(uri);
      return 0;
    }
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(abs);
    } catch (err) {
      this.factReaders.delete(uri);
      this.clearDisk(uri);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log(`cannot read ${abs}: ${(err as Error).message}`);
      return -1;
    }
    const python = fileKindOf(abs) === 'python';
    if (python && mayReadFacts(bytes)) this.factReaders.add(uri);
    else this.factReaders.delete(uri);
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
    // Large Python files go to the analysis thread, so that the scan never holds the main thread for long.
    if (python && bytes.length >= OFF_THREAD_CHARS && bytes.length <= settings.maxFileSizeKb * 1024 && this.thread.available) {
      try {
        publish(await this.thread.analyzeBytes(uri, abs, bytes, settings, this.project.facts));
        return count;
      } catch (err) {
        this.log(`analysing ${abs} in the analysis thread failed (${message(err)}); analysing it here`);
      }
    }
    // The facts are read when the task runs: the latest ones, if they changed while it waited.
    await this.queue.enqueue(uri, Priority.Disk, () => publish(analyzeFileBytes(bytes, abs, settings, { project: this.project.facts })));
    return count;
  }

  /**
   * Scan a model file (or reuse its last scan, when it has not changed) and publish its SAI210 findings on the model
   * file's own URI, so that they show in the Problems panel; resolves like `analyzeDisk`. A file the scanner could not
   * read, or one over `maxModelFileSizeMb`, only gets a line in the log (as notices of files on disk do).
   */
  private async scanModelFile(uri: string, abs: string): Promise<number> {
    const settings = await this.settings.get(uri);
    if (!settings.enable || this.excludedBySetting(uri, settings)) {
      this.project.clearArtifact(abs);
      this.clearDisk(uri);
      return 0;
    }
    const scan = await this.project.scanArtifact(abs, settings.maxModelFileSizeMb);
    if (!this.project.isArtifact(abs)) return 0; // deleted while it was being scanned
    if (!scan.report) {
      this.log(`${abs}: ${scan.skipped ?? `could not scan the model file: ${scan.error}`}`);
      this.clearDisk(uri);
      return -1;
    }
    const diagnostics = artifactFindings(scan.report, settings).map((f) => findingToDiagnostic(f));
    if (diagnostics.length) {
      this.diskPublished.add(uri);
      this.publish(uri, diagnostics);
    } else {
      this.clearDisk(uri);
    }
    return diagnostics.length;
  }

  private clearDisk(uri: string): void {
    if (this.diskPublished.delete(uri)) this.publish(uri, []);
  }

  /** What the scan reads `abs` as (by name, place, .gitignore and exclude patterns); undefined outside the folders. */
  private async scannedKind(abs: string): Promise<ScannedKind | undefined> {
    const folder = this.folderOf(abs);
    if (!folder) return undefined;
    const filter = await this.filterFor(folder);
    // A model file without a known extension was found by its first bytes: its name says nothing, its place does.
    if (this.project.isArtifact(abs) && !scannedKindOf(abs)) return filter.visible(abs) ? 'artifact' : undefined;
    return filter.kindOf(abs);
  }

  /** A Python file or manifest closed in the editor or changed on disk: its disk findings when the scan would read it, else none. */
  private async refreshFromDisk(uri: string, abs: string | undefined): Promise<void> {
    const kind = abs ? await this.scannedKind(abs) : undefined;
    this.diskPublished.add(uri); // make sure the clear goes out (an open document's diagnostics are not tracked)
    if (!abs || (kind !== 'python' && kind !== 'manifest')) {
      this.clearDisk(uri);
      return;
    }
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
      const kind = scannedKindOf(abs) ?? (this.project.isArtifact(abs) ? 'artifact' : undefined);
      if (!kind) continue;
      const deleted = change.type === FileChangeType.Deleted;
      void this.fileChanged(abs, kind, deleted).catch((err) => this.error(`reading ${abs} after it changed: ${message(err)}`));
    }
    if (rescan) {
      this.filters.clear();
      void this.scan().catch((err) => this.error(`workspace scan failed: ${message(err)}`));
    }
  }

  /**
   * A file the scan reads was created, changed or deleted on disk; `kind` is what its name says. A Python file is
   * analysed again; a manifest too, and the facts are recomputed; a model file is scanned again (once its writes
   * settle), its findings published, and the facts recomputed; a lock file changes only the facts (which then
   * re-analyse the manifests it covers).
   */
  private async fileChanged(abs: string, kind: ScannedKind, deleted: boolean): Promise<void> {
    const uri = uriOf(abs);
    // Deleted files are forgotten whatever the filter says; others count only when the scan would read them.
    const listed = !deleted && (await this.scannedKind(abs)) === kind;
    switch (kind) {
      case 'python':
        if (this.openPaths.has(abs)) return;
        if (deleted) {
          this.queue.cancel(uri);
          this.factReaders.delete(uri);
          this.clearDisk(uri);
        } else {
          await this.refreshFromDisk(uri, abs);
        }
        return;
      case 'manifest':
        if (listed) this.project.manifests.add(abs);
        else this.project.manifests.delete(abs);
        this.scheduleFacts();
        if (this.openPaths.has(abs)) return; // the editor's text speaks for it
        if (listed) {
          await this.analyzeDisk(uri, abs);
        } else {
          this.queue.cancel(uri);
          this.clearDisk(uri);
        }
        return;
      case 'lock':
        if (listed) this.project.lockFiles.add(abs);
        else this.project.lockFiles.delete(abs);
        this.scheduleFacts();
        return;
      case 'artifact':
        if (!listed) {
          this.debouncer.cancel(uri);
          if (this.project.forgetArtifact(abs)) this.scheduleFacts();
          this.clearDisk(uri);
          return;
        }
        this.project.addArtifact(abs);
        // A checkpoint being written fires change after change: it is scanned once they stop.
        this.debouncer.trigger(uri, () => {
          void this.scanModelFile(uri, abs)
            .then(() => this.scheduleFacts())
            .catch((err) => this.error(`scanning ${abs} failed: ${message(err)}`));
        });
        return;
    }
  }

  // ------------------------------------------------------------------ project facts

  /** Recompute the facts soon: changes come in bursts (a save, a checkout, a training run writing checkpoints). */
  private scheduleFacts(): void {
    this.debouncer.trigger(FACTS_KEY, () => void this.refreshFacts(false).catch((err) => this.error(`computing the project's facts failed: ${message(err)}`)));
  }

  /**
   * Recompute the facts. When they changed, analyse again what they can change: every open document and notebook,
   * and from disk the Python files that may read them (the torch version, flagged model files) or the manifests (lock
   * files). `fromScan`: the workspace scan computed them and analyses the files on disk itself, next.
   */
  private async refreshFacts(fromScan: boolean): Promise<void> {
    const generation = ++this.factsGeneration;
    const facts = await this.project.compute(this.folders, (f) => this.settings.get(f.uri));
    if (generation !== this.factsGeneration) return; // a newer computation is under way
    const change = factsChange(this.project.facts, facts);
    this.project.facts = facts;
    if (!change.python && !change.manifests) return;
    for (const uri of this.documents.keys()) {
      this.debouncer.cancel(uri);
      void this.analyzeOpen(uri);
    }
    this.notebooks.reanalyzeAll();
    if (fromScan) return;
    const uris = new Set<string>();
    if (change.python) for (const uri of this.factReaders) uris.add(uri);
    if (change.manifests) for (const abs of this.project.manifests) uris.add(uriOf(abs));
    const files = [...uris].flatMap((uri) => {
      const abs = fsPathOf(uri);
      return abs && !this.openPaths.has(abs) ? [{ uri, abs }] : [];
    });
    await forEachBounded(files, SCAN_CONCURRENCY, ({ uri, abs }) =>
      this.analyzeDisk(uri, abs).catch((err: unknown) => {
        this.error(`analysing ${abs} failed: ${message(err)}`);
        return -1;
      }),
    );
  }

  // ------------------------------------------------------------------ workspace scan

  /** Scan every workspace folder; a scan that starts while another runs stops the older one. */
  scan(): Promise<ScanWorkspaceResult> {
    this.latestScan = this.runScan(++this.scanGeneration);
    return this.latestScan;
  }

  /**
   * The scan, in the CLI's order (cli/scan.ts `scanFiles`): list the files of every kind; scan the model files, one
   * at a time, yielding to other work between them, and publish their findings; build the facts from the manifests,
   * lock files and scans; then analyse the Python files and manifests with them.
   */
  private async runScan(generation: number): Promise<ScanWorkspaceResult> {
    const started = performance.now();
    const stale = () => generation !== this.scanGeneration;
    const progress = this.caps.workDoneProgress ? await this.connection.window.createWorkDoneProgress() : undefined;
    const listing: FolderListing = { python: [], manifests: [], artifacts: [], lockFiles: [] };
    try {
      for (const folder of this.folders) {
        const filter = await this.filterFor(folder);
        const found = await filter.list();
        for (const key of Object.keys(listing) as Array<keyof FolderListing>) listing[key].push(...found[key]);
      }
    } catch (err) {
      this.error(`listing the workspace's files failed: ${message(err)}`);
    }
    if (stale() && this.latestScan) {
      progress?.done();
      return this.latestScan;
    }
    const unique = (files: string[]) => [...new Set(files)];
    const models = unique(listing.artifacts);
    this.project.reset({ manifests: unique(listing.manifests), lockFiles: unique(listing.lockFiles), artifacts: models });
    const files = unique([...listing.python, ...listing.manifests]).filter((f) => !this.openPaths.has(f));
    const uris = files.map(uriOf);
    const modelUris = models.map(uriOf);
    // Files that had findings and are no longer part of the scan (now excluded, ignored or gone).
    const listed = new Set([...uris, ...modelUris]);
    for (const uri of [...this.diskPublished]) if (!listed.has(uri)) this.clearDisk(uri);
    for (const uri of [...this.factReaders]) if (!listed.has(uri)) this.factReaders.delete(uri);

    const total = models.length + files.length;
    progress?.begin('Secure AI', 0, `scanning ${total} file${total === 1 ? '' : 's'}`, false);
    let done = 0;
    let findings = 0;
    let skipped = 0;
    let lastReport = 0;
    const count = (n: number) => {
      if (n < 0) skipped++;
      else findings += n;
      done++;
      const now = performance.now();
      if (progress && now - lastReport > 100) {
        lastReport = now;
        progress.report(Math.floor((done / total) * 100), `${done}/${total} files`);
      }
    };
    try {
      // 1. Model files, one at a time: each scan is async and bounded (it streams the file and reads only its pickle
      //    streams and headers), and the thread is handed back to other work between two files.
      for (let i = 0; i < models.length && !stale(); i++) {
        count(
          await this.scanModelFile(modelUris[i], models[i]).catch((err: unknown) => {
            this.error(`scanning ${models[i]} failed: ${message(err)}`);
            return -1;
          }),
        );
        await yieldToEvents();
      }
      // 2. The facts, from the manifests, lock files and model files just found.
      if (!stale()) await this.refreshFacts(true);
      // 3. Python files and manifests, with those facts.
      await forEachBounded(
        files,
        SCAN_CONCURRENCY,
        async (file, i) => {
          if (i % SETTINGS_BATCH === 0) this.settings.prefetch(uris.slice(i, i + SETTINGS_BATCH));
          count(
            await this.analyzeDisk(uris[i], file).catch((err: unknown) => {
              this.error(`analysing ${file} failed: ${message(err)}`);
              return -1;
            }),
          );
        },
        stale,
      );
    } finally {
      progress?.done();
    }
    // A scan that a newer one stopped answers with the newer one's result.
    if (stale() && this.latestScan) return this.latestScan;
    const result: ScanWorkspaceResult = { files: done, findings, skipped, durationMs: Math.round(performance.now() - started) };
    this.log(`workspace scan: ${done} files (${models.length} model files), ${findings} findings, ${skipped} skipped, ${result.durationMs} ms`);
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
      tree: () => (doc.kind === 'python' ? doc.parse() : undefined),
      lineComments: doc.kind === 'manifest',
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

/**
 * Which parts of the facts differ: Python analyses read the torch version and flagged model files, manifests the lock
 * files and what their `-c`/`-r` files pin.
 */
function factsChange(before: ProjectFacts, after: ProjectFacts): { python: boolean; manifests: boolean } {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return {
    python: !same(before.roots, after.roots) || !same(before.torch, after.torch) || !same(before.artifacts, after.artifacts),
    manifests: !same(before.lockFiles, after.lockFiles) || !same(before.constrained, after.constrained),
  };
}

/** Run `f` over `items` (started in order), at most `limit` at a time; no new one starts once `stop()` holds. */
async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  f: (item: T, index: number) => Promise<unknown>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) {
      const i = next++;
      await f(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
