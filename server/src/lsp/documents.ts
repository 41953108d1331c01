/**
 * Open documents with incremental sync: each change is applied to the text and mirrored into the document's
 * tree-sitter tree with `tree.edit()`, so that the next analysis re-parses incrementally (`parser.parse(text, old)`)
 * instead of from scratch. Parsing is lazy: a burst of keystrokes edits the old tree many times and parses once.
 *
 * Positions: LSP and web-tree-sitter both count columns and indices in UTF-16 code units, so no conversion is needed.
 */
import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { getParser, type Tree } from '../engine/parser';
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

  /** Apply `didChange` content changes in order, editing the tree to match each one. */
  update(changes: TextDocumentContentChangeEvent[], version: number): void {
    for (const change of changes) {
      if ('range' in change && this.tree) {
        const before = this.doc;
        const startIndex = before.offsetAt(change.range.start);
        const oldEndIndex = before.offsetAt(change.range.end);
        // Positions normalised by the document (a range past the end of a line is clamped the same way).
        const startPos = before.positionAt(startIndex);
        const oldEndPos = before.positionAt(oldEndIndex);
        const startPosition = { row: startPos.line, column: startPos.character };
        this.tree.edit({
          startIndex,
          oldEndIndex,
          newEndIndex: startIndex + change.text.length,
          startPosition,
          oldEndPosition: { row: oldEndPos.line, column: oldEndPos.character },
          newEndPosition: endPointOf(startPosition, change.text),
        });
      } else if (!('range' in change)) {
        // A full-text change: the old tree has nothing to reuse.
        this.dropTree();
      }
      this.doc = TextDocument.update(this.doc, [change], version);
    }
    // `TextDocument.update` sets the version even when `changes` is empty.
    if (changes.length === 0) this.doc = TextDocument.update(this.doc, [], version);
  }

  /** The tree for the current text, re-parsed incrementally when the text changed since the last parse. */
  parse(): Tree | undefined {
    if (this.tree && this.parsedVersion === this.doc.version) return this.tree;
    const old = this.tree;
    const next = getParser().parse(this.doc.getText(), old ?? null) ?? undefined;
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
