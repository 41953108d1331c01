/**
 * Open documents with incremental sync: each change is applied to the text and mirrored into the document's
 * tree-sitter tree with `tree.edit()`, so that the next analysis re-parses incrementally (`parser.parse(text, old)`)
 * instead of from scratch. Parsing is lazy: a burst of keystrokes edits the old tree many times and parses once.
 *
 * Positions: LSP and web-tree-sitter both count columns and indices in UTF-16 code units, so no conversion is needed.
 */
import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { parseBefore, timeLimitMs, type Tree } from '../engine/parser';
import type { AnalysisResult } from '../engine/types';

interface Point {
  row: number;
  column: number;
}

/** The end point of `text` inserted at `start`. */
function endPointOf(start: Point, text: string): Point {
  let row = start.row;
  let lastBreak = -1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    row++;
    lastBreak = i;
  }
  return lastBreak === -1 ? { row, column: start.column + text.length } : { row, column: text.length - lastBreak - 1 };
}

function isPosition(p: unknown): boolean {
  const q = p as { line?: unknown; character?: unknown } | null;
  return typeof q === 'object' && q !== null && Number.isInteger(q.line) && Number.isInteger(q.character);
}

/**
 * What `TextDocument.update` accepts (a full-text change, or a range change), with positions that are integers:
 * out-of-range ones are clamped as LSP says, anything else would make the text and the tree disagree.
 */
function isWellFormedChange(c: unknown): boolean {
  const change = c as { text?: unknown; range?: { start?: unknown; end?: unknown } | null; rangeLength?: unknown } | null;
  if (typeof change !== 'object' || change === null || typeof change.text !== 'string') return false;
  if (change.range === undefined) return change.rangeLength === undefined;
  if (change.rangeLength !== undefined && typeof change.rangeLength !== 'number') return false;
  return typeof change.range === 'object' && change.range !== null && isPosition(change.range.start) && isPosition(change.range.end);
}

/** What an open document is: Python source (parsed with tree-sitter), or a dependency manifest (never parsed here). */
export type DocumentKind = 'python' | 'manifest';

export class OpenDocument {
  private doc: TextDocument;
  private tree: Tree | undefined;
  /** The version the tree was last parsed at: `tree` matches the text when this equals `version`. */
  private parsedVersion = -1;
  /** The last analysis published for this document, for hovers. */
  lastResult: { version: number; result: AnalysisResult } | undefined;

  constructor(
    readonly uri: string,
    readonly languageId: string,
    version: number,
    text: string,
    readonly kind: DocumentKind = 'python',
  ) {
    this.doc = TextDocument.create(uri, languageId, version, text);
  }

  get version(): number {
    return this.doc.version;
  }

  get text(): string {
    return this.doc.getText();
  }

  get textDocument(): TextDocument {
    return this.doc;
  }

  /**
   * Apply `didChange` content changes in order, editing the tree to match each one. A malformed change (no text, a
   * position that is not a pair of integers) throws before anything is applied, so the text and the tree never part.
   */
  update(changes: TextDocumentContentChangeEvent[], version: number): void {
    if (!Array.isArray(changes) || !changes.every(isWellFormedChange)) throw new Error('malformed content changes: nothing was applied');
    for (const change of changes) {
      if (!('range' in change) || change.range === undefined) {
        // A full-text change: the old tree has nothing to reuse.
        this.dropTree();
        this.doc = TextDocument.update(this.doc, [change], version);
        continue;
      }
      const before = this.doc;
      let startIndex = before.offsetAt(change.range.start);
      let oldEndIndex = before.offsetAt(change.range.end);
      // A range given end first covers the same text as the other way round.
      if (oldEndIndex < startIndex) [startIndex, oldEndIndex] = [oldEndIndex, startIndex];
      // The range clamped into the document, as LSP says (a line past the end means the end). The document is
      // updated with these positions: `TextDocument.update` keeps its line table wrong when given a line past the end.
      const startPos = before.positionAt(startIndex);
      const oldEndPos = before.positionAt(oldEndIndex);
      if (this.tree) {
        const startPosition = { row: startPos.line, column: startPos.character };
        this.tree.edit({
          startIndex,
          oldEndIndex,
          newEndIndex: startIndex + change.text.length,
          startPosition,
          oldEndPosition: { row: oldEndPos.line, column: oldEndPos.character },
          newEndPosition: endPointOf(startPosition, change.text),
        });
      }
      this.doc = TextDocument.update(this.doc, [{ range: { start: startPos, end: oldEndPos }, text: change.text }], version);
    }
    // `TextDocument.update` sets the version even when `changes` is empty.
    if (changes.length === 0) this.doc = TextDocument.update(this.doc, [], version);
  }

  /**
   * The tree for the current text, re-parsed incrementally when the text changed since the last parse. Undefined when
   * the parse did not finish within the engine's time limit for the text's size.
   */
  parse(): Tree | undefined {
    if (this.tree && this.parsedVersion === this.doc.version) return this.tree;
    const old = this.tree;
    const text = this.doc.getText();
    const next = parseBefore(text, performance.now() + timeLimitMs(text.length), old);
    old?.delete();
    this.tree = next;
    this.parsedVersion = next ? this.doc.version : -1;
    return next;
  }

  /** Free the tree (the wasm heap does not collect it). */
  dropTree(): void {
    this.tree?.delete();
    this.tree = undefined;
    this.parsedVersion = -1;
  }

  dispose(): void {
    this.dropTree();
    this.lastResult = undefined;
  }
}
