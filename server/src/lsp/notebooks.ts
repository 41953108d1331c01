/**
 * Jupyter notebooks in the language server, through LSP 3.17 notebook document sync: the client sends a notebook's
 * Python cells (`notebookDocument/didOpen|didChange|didSave|didClose`, cells as `vscode-notebook-cell:` text
 * documents), the server analyses the cells as one program (notebook/program.ts) and publishes diagnostics per
 * cell URI. Code actions and hovers on a cell URI answer from the same analysis, with edits for the cell URI.
 *
 * Scheduling is the text documents' (session.ts): the same debounce timer (keyed by the notebook URI), the same work
 * queue at open-document priority, the same settings (scoped to the notebook's URI), `run: onSave` honoured. The
 * program's tree is kept and re-parsed incrementally: the new program text is compared with the last one and the
 * changed middle becomes one `tree.edit()`.
 *
 * Cells are validated like text documents (documents.ts `OpenDocument`); malformed notifications are refused whole
 * and logged, never half applied.
 */
import {
  type CodeAction,
  type CodeActionParams,
  type Connection,
  type Diagnostic,
  type DidChangeNotebookDocumentParams,
  type DidCloseNotebookDocumentParams,
  type DidOpenNotebookDocumentParams,
  type DidSaveNotebookDocumentParams,
  type Hover,
  type NotebookDocumentSyncOptions,
  type Position,
} from 'vscode-languageserver';
import { activeRules, parseTimeoutResult } from '../engine/analyze';
import { parseBefore, timeLimitMs, type Tree } from '../engine/parser';
import type { ProjectFacts } from '../engine/project';
import type { AnalysisResult, Finding } from '../engine/types';
import { maskMagics } from '../notebook/magics';
import { analyzeProgram } from '../notebook/analyze';
import type { NotebookCell } from '../notebook/parse';
import { NotebookProgram, isPythonCell } from '../notebook/program';
import type { Settings } from '../shared/settings';
import { codeActions, type ActionDocument, type ActionOptions } from './code-actions';
import { findingToDiagnostic, noticeToDiagnostic } from './convert';
import { OpenDocument } from './documents';
import { hoverFor } from './hover';
import { Priority, type Debouncer, type WorkQueue } from './scheduler';

/** What the server declares: Jupyter notebooks, their Python cells, with save notifications (for `run: onSave`). */
export const NOTEBOOK_SYNC: NotebookDocumentSyncOptions = {
  notebookSelector: [{ notebook: { notebookType: 'jupyter-notebook' }, cells: [{ language: 'python' }] }],
  save: true,
};

/** The scheme VS Code gives cell text documents. */
export const CELL_SCHEME = 'vscode-notebook-cell:';

const CODE_CELL = 2;

/** What the notebooks need from the session. */
export interface NotebookHost {
  settings(uri: string): Promise<Settings>;
  /** Excluded by `secureAi.exclude`. */
  excluded(uri: string, settings: Settings): boolean;
  /** The file path the engine is given for a URI. */
  pathOf(uri: string): string;
  /** The workspace's facts (manifests, lock files, flagged model files) as they are now. */
  project(): ProjectFacts;
  debouncer(): Debouncer;
  readonly queue: WorkQueue;
  publish(uri: string, diagnostics: Diagnostic[], version?: number): void;
  actionOptions(): ActionOptions;
  log(message: string): void;
  error(message: string): void;
}

interface SyncedCell {
  uri: string;
  kind: number;
}

/** One analysis of a notebook: the cells it saw (cell `n` is `uris[n - 1]`) and what it found. */
interface NotebookResult {
  stamp: number;
  uris: string[];
  versions: number[];
  python: boolean[];
  result: AnalysisResult;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => Number.isInteger(v);

function isCell(v: unknown): v is SyncedCell & { document: string } {
  return isObject(v) && isString(v.document) && (v.kind === 1 || v.kind === 2);
}

function isTextItem(v: unknown): v is { uri: string; languageId: string; version: number; text: string } {
  return isObject(v) && isString(v.uri) && isString(v.languageId) && isInt(v.version) && isString(v.text);
}

/** The row and column (UTF-16) of `index` in `text`. */
function pointAt(text: string, index: number): { row: number; column: number } {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: index - lineStart };
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

class OpenNotebook {
  cells: SyncedCell[] = [];
  readonly texts = new Map<string, OpenDocument>();
  /** Bumped on every change; a result is current when its stamp is this. */
  stamp = 0;
  last: NotebookResult | undefined;
  /** URI → the diagnostics last published for it (JSON), so that unchanged cells are not published again. */
  published = new Map<string, string>();
  private tree: Tree | undefined;
  private treeText: string | undefined;

  constructor(
    readonly uri: string,
    public version: number,
  ) {}

  /** The cells as the notebook module takes them, with their URIs and versions. */
  snapshot(): { cells: NotebookCell[]; uris: string[]; versions: number[]; python: boolean[] } {
    const cells: NotebookCell[] = [];
    const uris: string[] = [];
    const versions: number[] = [];
    const python: boolean[] = [];
    for (const c of this.cells) {
      const doc = this.texts.get(c.uri);
      const cell: NotebookCell = doc ? { kind: c.kind === CODE_CELL ? 'code' : 'markdown', source: doc.text, language: doc.languageId } : { kind: 'raw', source: '', skipped: 'no text' };
      cells.push(cell);
      uris.push(c.uri);
      versions.push(doc?.version ?? 0);
      // Published on exactly the cells the program is made of (`python`, `Python`, `python3`, `ipython`...).
      python.push(isPythonCell(cell));
    }
    return { cells, uris, versions, python };
  }

  get size(): number {
    let n = 0;
    for (const d of this.texts.values()) n += d.text.length;
    return n;
  }

  /** The program's tree, re-parsed incrementally from the last one; undefined when the parse ran out of time. */
  parse(text: string): Tree | undefined {
    const old = this.tree;
    const oldText = this.treeText;
    if (old && oldText === text) return old;
    if (old && oldText !== undefined) {
      // The changed middle: everything between the common prefix and the common suffix (never inside a surrogate pair).
      const max = Math.min(oldText.length, text.length);
      let p = 0;
      while (p < max && oldText.charCodeAt(p) === text.charCodeAt(p)) p++;
      if (p > 0 && isHighSurrogate(text.charCodeAt(p - 1))) p--;
      let s = 0;
      while (s < max - p && oldText.charCodeAt(oldText.length - 1 - s) === text.charCodeAt(text.length - 1 - s)) s++;
      if (s > 0 && isHighSurrogate(text.charCodeAt(text.length - s - 1))) s--;
      old.edit({
        startIndex: p,
        oldEndIndex: oldText.length - s,
        newEndIndex: text.length - s,
        startPosition: pointAt(text, p),
        oldEndPosition: pointAt(oldText, oldText.length - s),
        newEndPosition: pointAt(text, text.length - s),
      });
    }
    const next = parseBefore(text, performance.now() + timeLimitMs(text.length), old);
    old?.delete();
    this.tree = next;
    this.treeText = next ? text : undefined;
    return next;
  }

  dropTree(): void {
    this.tree?.delete();
    this.tree = undefined;
    this.treeText = undefined;
  }

  dispose(): void {
    this.dropTree();
    for (const d of this.texts.values()) d.dispose();
    this.texts.clear();
    this.last = undefined;
  }
}

export class NotebookSync {
  private readonly notebooks = new Map<string, OpenNotebook>();
  /** Cell URI → its notebook's URI. */
  private readonly cellOwner = new Map<string, string>();
  /** The client syncs notebooks itself (`notebookDocument.synchronization`): cell text documents are never analysed alone. */
  clientSyncsNotebooks = false;

  constructor(private readonly host: NotebookHost) {}

  listen(connection: Connection, guard: (what: string, f: () => void) => void): void {
    const sync = connection.notebooks.synchronization;
    sync.onDidOpenNotebookDocument((p) => guard('notebookDocument/didOpen', () => this.didOpen(p)));
    sync.onDidChangeNotebookDocument((p) => guard('notebookDocument/didChange', () => this.didChange(p)));
    sync.onDidSaveNotebookDocument((p) => guard('notebookDocument/didSave', () => this.didSave(p)));
    sync.onDidCloseNotebookDocument((p) => guard('notebookDocument/didClose', () => this.didClose(p)));
  }

  /** A text document the notebook sync is responsible for: a known cell, or any cell URI when the client syncs notebooks. */
  ownsTextDocument(uri: string): boolean {
    return this.cellOwner.has(uri) || (this.clientSyncsNotebooks && uri.startsWith(CELL_SCHEME));
  }

  isCell(uri: string): boolean {
    return this.cellOwner.has(uri);
  }

  // ------------------------------------------------------------------ sync

  private didOpen(p: DidOpenNotebookDocumentParams): void {
    const nbDoc = (p as unknown as Record<string, unknown> | null)?.notebookDocument;
    if (!isObject(nbDoc) || !isString(nbDoc.uri) || !isInt(nbDoc.version) || !Array.isArray(nbDoc.cells) || !nbDoc.cells.every(isCell)) {
      throw new Error('malformed notebookDocument: nothing was opened');
    }
    const items = Array.isArray(p.cellTextDocuments) ? p.cellTextDocuments : [];
    if (!items.every(isTextItem)) throw new Error('malformed cellTextDocuments: nothing was opened');
    const uri = nbDoc.uri;
    const previous = this.notebooks.get(uri);
    const nb = new OpenNotebook(uri, nbDoc.version);
    if (previous) {
      nb.published = previous.published;
      this.forget(previous);
    }
    nb.cells = nbDoc.cells.map((c) => ({ uri: c.document, kind: c.kind }));
    for (const item of items) this.openCell(nb, item);
    for (const c of nb.cells) this.cellOwner.set(c.uri, uri);
    this.notebooks.set(uri, nb);
    this.host.debouncer().cancel(uri);
    void this.analyze(uri);
  }

  private openCell(nb: OpenNotebook, item: { uri: string; languageId: string; version: number; text: string }): void {
    nb.texts.get(item.uri)?.dispose();
    nb.texts.set(item.uri, new OpenDocument(item.uri, item.languageId, item.version, item.text));
    this.cellOwner.set(item.uri, nb.uri);
  }

  private didChange(p: DidChangeNotebookDocumentParams): void {
    const uri = p?.notebookDocument?.uri;
    const nb = isString(uri) ? this.notebooks.get(uri) : undefined;
    if (!nb) return;
    const change = p.change;
    const cells = isObject(change) ? change.cells : undefined;
    // Everything is checked before anything is applied.
    const structure = isObject(cells) ? cells.structure : undefined;
    const array = isObject(structure) ? structure.array : undefined;
    if (structure !== undefined) {
      const ok =
        isObject(structure) &&
        isObject(array) &&
        isInt(array.start) &&
        isInt(array.deleteCount) &&
        array.start >= 0 &&
        array.deleteCount >= 0 &&
        (array.cells === undefined || (Array.isArray(array.cells) && array.cells.every(isCell))) &&
        (structure.didOpen === undefined || (Array.isArray(structure.didOpen) && structure.didOpen.every(isTextItem))) &&
        (structure.didClose === undefined || (Array.isArray(structure.didClose) && structure.didClose.every((d) => isObject(d) && isString(d.uri))));
      if (!ok) throw new Error(`malformed cell structure change for ${nb.uri}: nothing was applied`);
    }
    const data = isObject(cells) ? cells.data : undefined;
    if (data !== undefined && !(Array.isArray(data) && data.every(isCell))) throw new Error(`malformed cell data change for ${nb.uri}: nothing was applied`);
    const textContent = isObject(cells) ? cells.textContent : undefined;
    if (
      textContent !== undefined &&
      !(Array.isArray(textContent) && textContent.every((t) => isObject(t) && isObject(t.document) && isString(t.document.uri) && isInt(t.document.version) && Array.isArray(t.changes)))
    ) {
      throw new Error(`malformed cell text change for ${nb.uri}: nothing was applied`);
    }

    if (isInt(p.notebookDocument.version)) nb.version = p.notebookDocument.version;
    if (structure !== undefined) {
      const s = cells!.structure!;
      const added = (s.array.cells ?? []).map((c) => ({ uri: c.document, kind: c.kind }));
      nb.cells.splice(Math.min(s.array.start, nb.cells.length), s.array.deleteCount, ...added);
      // Closed before opened: a cell replaced under the same URI (its language changed) is closed and opened again in
      // one event, and it is the new text document that stays open.
      for (const closed of s.didClose ?? []) {
        nb.texts.get(closed.uri)?.dispose();
        nb.texts.delete(closed.uri);
      }
      for (const item of s.didOpen ?? []) this.openCell(nb, item);
      for (const c of added) this.cellOwner.set(c.uri, nb.uri);
      // Cells gone from the notebook: forget them, and clear what was published for them now (also under onSave).
      const present = new Set(nb.cells.map((c) => c.uri));
      for (const [cellUri, owner] of [...this.cellOwner]) {
        if (owner !== nb.uri || present.has(cellUri)) continue;
        this.cellOwner.delete(cellUri);
        nb.texts.get(cellUri)?.dispose();
        nb.texts.delete(cellUri);
        if (nb.published.delete(cellUri)) this.host.publish(cellUri, []);
      }
    }
    for (const c of cells?.data ?? []) {
      const at = nb.cells.findIndex((x) => x.uri === c.document);
      if (at !== -1) nb.cells[at] = { uri: c.document, kind: c.kind };
    }
    const failures: string[] = [];
    for (const t of cells?.textContent ?? []) {
      const doc = nb.texts.get(t.document.uri);
      if (!doc) continue;
      try {
        doc.update(t.changes, t.document.version);
      } catch (err) {
        failures.push(`${t.document.uri}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    nb.stamp++;
    this.scheduleChange(nb);
    if (failures.length) throw new Error(`cell changes refused: ${failures.join('; ')}`);
  }

  private scheduleChange(nb: OpenNotebook): void {
    const uri = nb.uri;
    void this.host.settings(uri).then((s) => {
      if (s.run === 'onType' && this.notebooks.get(uri) === nb) this.host.debouncer().trigger(uri, () => void this.analyze(uri));
    });
  }

  private didSave(p: DidSaveNotebookDocumentParams): void {
    const uri = p?.notebookDocument?.uri;
    if (!isString(uri) || !this.notebooks.has(uri)) return;
    this.host.debouncer().cancel(uri);
    void this.analyze(uri);
  }

  private didClose(p: DidCloseNotebookDocumentParams): void {
    const uri = p?.notebookDocument?.uri;
    const nb = isString(uri) ? this.notebooks.get(uri) : undefined;
    if (!nb) return;
    this.notebooks.delete(nb.uri);
    this.forget(nb);
    for (const cellUri of nb.published.keys()) this.host.publish(cellUri, []);
    nb.published.clear();
  }

  /** Stop everything about a notebook (its published diagnostics are the caller's business). */
  private forget(nb: OpenNotebook): void {
    this.host.debouncer().cancel(nb.uri);
    this.host.queue.cancel(nb.uri);
    for (const [cellUri, owner] of [...this.cellOwner]) if (owner === nb.uri) this.cellOwner.delete(cellUri);
    nb.dispose();
  }

  // ------------------------------------------------------------------ analysis

  /** Analyse every open notebook again (settings or the workspace's facts changed). */
  reanalyzeAll(): void {
    for (const uri of this.notebooks.keys()) {
      this.host.debouncer().cancel(uri);
      void this.analyze(uri);
    }
  }

  private async analyze(uri: string): Promise<void> {
    const nb = this.notebooks.get(uri);
    if (!nb) return;
    const settings = await this.host.settings(uri);
    if (this.notebooks.get(uri) !== nb) return;
    if (!settings.enable || this.host.excluded(uri, settings)) {
      this.host.debouncer().cancel(uri);
      nb.last = undefined;
      for (const cellUri of nb.published.keys()) this.host.publish(cellUri, []);
      nb.published.clear();
      return;
    }
    await this.host.queue.enqueue(
      uri,
      Priority.Open,
      () => {
        // Still typing: the debounce timer will schedule a run for the newer text.
        if (this.notebooks.get(uri) !== nb || this.host.debouncer().pending(uri)) return;
        this.publishResult(nb, this.run(nb, settings));
      },
      nb.size,
    );
  }

  /** The engine over the notebook's current cells, with the program's incrementally re-parsed tree. */
  private run(nb: OpenNotebook, settings: Settings): NotebookResult {
    const { cells, uris, versions, python } = nb.snapshot();
    let result: AnalysisResult;
    try {
      const program = new NotebookProgram(cells);
      const text = program.text;
      const small = text.length <= settings.maxFileSizeKb * 1024;
      const needsTree = small && activeRules(settings).some((r) => r.mayMatch(text));
      const tree = needsTree ? nb.parse(text) : undefined;
      result = needsTree && !tree ? parseTimeoutResult(text.length) : analyzeProgram(program, cells, this.host.pathOf(nb.uri), settings, { tree, project: this.host.project() });
    } catch (err) {
      this.host.error(`analysing ${nb.uri} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      // A tree that took part in a failure is not trusted again.
      nb.dropTree();
      result = { findings: [], parsed: false, notices: [{ kind: 'internal-error', message: 'the analysis failed (see the Secure AI output)' }] };
    }
    const r: NotebookResult = { stamp: nb.stamp, uris, versions, python, result };
    nb.last = r;
    return r;
  }

  private publishResult(nb: OpenNotebook, r: NotebookResult): void {
    const byUri = new Map<string, { diagnostics: Diagnostic[]; version: number }>();
    r.uris.forEach((uri, i) => {
      if (r.python[i]) byUri.set(uri, { diagnostics: [], version: r.versions[i] });
    });
    for (const f of r.result.findings) {
      if (f.suppressed || f.cell === undefined) continue;
      const target = byUri.get(r.uris[f.cell - 1]);
      target?.diagnostics.push(findingToDiagnostic(f, target.version));
    }
    // A notice ("too large", "internal error") goes on the first Python cell.
    const first = [...byUri.values()][0];
    if (first) first.diagnostics.push(...r.result.notices.map(noticeToDiagnostic));
    for (const [uri, { diagnostics, version }] of byUri) {
      const key = JSON.stringify([version, diagnostics]);
      if (nb.published.get(uri) === key) continue;
      nb.published.set(uri, key);
      this.host.publish(uri, diagnostics, version);
    }
    // Cells no longer in the program (removed, turned into markdown, another language): cleared.
    for (const uri of [...nb.published.keys()]) {
      if (byUri.has(uri)) continue;
      nb.published.delete(uri);
      this.host.publish(uri, []);
    }
  }

  /** The unsuppressed findings of one cell, from the current analysis (run now when the last one is stale). */
  private cellFindings(nb: OpenNotebook, cellUri: string, settings: Settings): Finding[] {
    if (!settings.enable) return [];
    const r = nb.last && nb.last.stamp === nb.stamp ? nb.last : this.run(nb, settings);
    return r.result.findings.filter((f) => !f.suppressed && f.cell !== undefined && r.uris[f.cell - 1] === cellUri);
  }

  private async cellContext(cellUri: string): Promise<{ nb: OpenNotebook; doc: OpenDocument; settings: Settings } | undefined> {
    const owner = this.cellOwner.get(cellUri);
    const nb = owner === undefined ? undefined : this.notebooks.get(owner);
    if (!nb) return undefined;
    const settings = await this.host.settings(nb.uri);
    const doc = nb.texts.get(cellUri);
    if (this.notebooks.get(nb.uri) !== nb || !doc || this.host.excluded(nb.uri, settings)) return undefined;
    return { nb, doc, settings };
  }

  /** Code actions for a cell: the fix, suppress and docs actions, with edits for the cell's URI. */
  async codeAction(p: CodeActionParams): Promise<CodeAction[]> {
    const cellUri = p.textDocument.uri;
    if (!p.context || !Array.isArray(p.context.diagnostics)) return [];
    const ctx = await this.cellContext(cellUri);
    if (!ctx) return [];
    const { nb, doc, settings } = ctx;
    let tree: Tree | undefined;
    let parsed = false;
    const text = doc.text;
    const action: ActionDocument = {
      uri: cellUri,
      version: doc.version,
      text,
      // The cell alone, its magics masked (same lines and columns): where suppression comments and pins go.
      tree: () => {
        if (!parsed) {
          parsed = true;
          const masked = maskMagics(text).python;
          tree = parseBefore(masked, performance.now() + timeLimitMs(masked.length));
        }
        return tree;
      },
      findings: () => this.cellFindings(nb, cellUri, settings),
    };
    try {
      return codeActions(action, p, this.host.actionOptions());
    } finally {
      tree?.delete();
    }
  }

  async hover(cellUri: string, position: Position): Promise<Hover | null> {
    const ctx = await this.cellContext(cellUri);
    if (!ctx) return null;
    return hoverFor(this.cellFindings(ctx.nb, cellUri, ctx.settings), position);
  }

  dispose(): void {
    for (const nb of this.notebooks.values()) nb.dispose();
    this.notebooks.clear();
    this.cellOwner.clear();
  }
}
