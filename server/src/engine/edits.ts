/** Ranges and text edits built from tree nodes, for findings and their fixes. */
import type { Node } from './parser';
import type { CallSite } from './semantic';
import type { Range, TextEdit } from './types';

export function rangeOf(node: Node): Range {
  return {
    start: { line: node.startPosition.row, character: node.startPosition.column },
    end: { line: node.endPosition.row, character: node.endPosition.column },
  };
}

export function replaceNode(node: Node, newText: string): TextEdit {
  return { range: rangeOf(node), newText };
}

/**
 * Add `keyword=value` as the call's last argument, right after the current last one (so a trailing comma or a
 * multi-line layout stays valid). Undefined when the call has no argument list (`f(x for x in y)`).
 */
export function addKeywordArgument(call: CallSite, text: string): TextEdit | undefined {
  const args = call.argumentList;
  if (!args) return undefined;
  const items = args.namedChildren.filter((n): n is Node => !!n && n.type !== 'comment');
  if (items.length === 0) {
    const close = args.lastChild;
    if (!close || close.type !== ')') return undefined;
    const at = rangeOf(close).start;
    return { range: { start: at, end: at }, newText: text };
  }
  const last = items[items.length - 1];
  // The token after the last argument, found among the list's children: `last.nextSibling` walks down from the root
  // in web-tree-sitter, which costs the nesting depth on every call (quadratic on deeply nested calls).
  const children = args.children;
  const lastAt = children.findIndex((n) => n?.id === last.id);
  const comma = lastAt >= 0 ? children[lastAt + 1] : null;
  if (comma?.type === ',' && last.startPosition.row > args.startPosition.row && last.startPosition.row < args.endPosition.row) {
    // One argument per line with a trailing comma: a new line in the same style.
    const lineStart = last.startIndex - last.startPosition.column;
    const indent = call.model.text.slice(lineStart, last.startIndex);
    if (indent.trim() === '') {
      const at = rangeOf(comma).end;
      return { range: { start: at, end: at }, newText: `\n${indent}${text},` };
    }
  }
  const at = rangeOf(last).end;
  return { range: { start: at, end: at }, newText: `, ${text}` };
}

/** Set keyword `name` to `value`: replace the value when the keyword is there, else add it. */
export function setKeywordArgument(call: CallSite, name: string, value: string): TextEdit | undefined {
  const existing = call.keywords.get(name);
  if (existing) return replaceNode(existing, value);
  return addKeywordArgument(call, `${name}=${value}`);
}

/** Offsets (UTF-16) of each line start, to turn positions into string indices. */
export function offsetAt(text: string, lineStarts: number[], line: number, character: number): number {
  const base = line < lineStarts.length ? lineStarts[line] : text.length;
  return Math.min(base + character, text.length);
}

/**
 * Apply non-overlapping edits to `text`. Identical edits (two fixes adding the same `import`) apply once; other
 * overlapping edits throw: a fix that collides with another is a bug.
 */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const seen = new Set<string>();
  edits = edits.filter((e) => {
    const key = JSON.stringify(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const spans = edits
    .map((e) => ({
      from: offsetAt(text, starts, e.range.start.line, e.range.start.character),
      to: offsetAt(text, starts, e.range.end.line, e.range.end.character),
      text: e.newText,
    }))
    .sort((a, b) => b.from - a.from || b.to - a.to);
  let out = text;
  let limit = Infinity;
  for (const s of spans) {
    if (s.to > limit) throw new Error(`overlapping edits at offset ${s.from}`);
    out = out.slice(0, s.from) + s.text + out.slice(s.to);
    limit = s.from;
  }
  return out;
}

const BLOCK_PARENTS = new Set(['module', 'block']);

/** The statement holding `node` that sits directly in a block or the module. */
export function enclosingStatement(node: Node): Node | undefined {
  for (let n: Node | null = node; n; n = n.parent) {
    if (n.parent && BLOCK_PARENTS.has(n.parent.type)) return n;
  }
  return undefined;
}

/**
 * What the fix helpers need to know about the text of the file being analysed, computed once per text: every fix of
 * a file asks again, and scanning the whole text each time would cost a quadratic time on a file with many findings.
 */
let lastText: { text: string; lineStarts: number[]; eol: string } | undefined;
function textInfo(text: string): { lineStarts: number[]; eol: string } {
  if (lastText?.text !== text) {
    const lineStarts = [0];
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    lastText = { text, lineStarts, eol: text.includes('\r\n') ? '\r\n' : '\n' };
  }
  return lastText;
}

function lineBounds(text: string, row: number): { start: number; end: number } {
  const { lineStarts } = textInfo(text);
  if (row >= lineStarts.length) return { start: text.length, end: text.length };
  const start = lineStarts[row];
  let end = text.indexOf('\n', start);
  if (end === -1) end = text.length;
  if (end > start && text[end - 1] === '\r') end--;
  return { start, end };
}

/**
 * Insert `line` as a new line after the statement holding `node`, at the statement's indentation. Undefined when the
 * statement does not start its own line (`if x: y = f()`), where a new line would not belong to the same block.
 */
export function insertLineAfterStatement(text: string, node: Node, line: string): TextEdit | undefined {
  const stmt = enclosingStatement(node);
  if (!stmt) return undefined;
  const first = lineBounds(text, stmt.startPosition.row);
  const indent = text.slice(first.start, first.start + stmt.startPosition.column);
  if (indent.trim() !== '') return undefined;
  const last = lineBounds(text, stmt.endPosition.row);
  const at = { line: stmt.endPosition.row, character: last.end - last.start };
  const eol = textInfo(text).eol;
  return { range: { start: at, end: at }, newText: `${eol}${indent}${line}` };
}

/**
 * `import <module>` at the top of the file, unless the module already imports it: before the first top-level
 * import (after `from __future__` imports), else after the module docstring, else on the first line.
 */
export function addImportEdit(root: Node, text: string, module: string): TextEdit | undefined {
  let anchor: Node | undefined;
  let after: Node | undefined;
  let first: Node | undefined;
  // The module's statements, up to the first import, through a cursor: `root.namedChildren` would build every
  // top-level node for each fix.
  const cursor = root.walk();
  try {
    for (let more = cursor.gotoFirstChild(); more; more = cursor.gotoNextSibling()) {
      if (!cursor.nodeIsNamed) continue;
      const stmt = cursor.currentNode;
      if (!first && stmt.type !== 'comment') first = stmt;
      if (stmt.type === 'import_statement' && stmt.namedChildren.some((n) => n?.type === 'dotted_name' && n.text === module)) return undefined;
      if (stmt.type === 'future_import_statement') {
        after = stmt;
        continue;
      }
      if (stmt.type === 'import_statement' || stmt.type === 'import_from_statement') {
        anchor = stmt;
        break;
      }
    }
  } finally {
    cursor.delete();
  }
  const eol = textInfo(text).eol;
  if (anchor) {
    const at = { line: anchor.startPosition.row, character: 0 };
    return { range: { start: at, end: at }, newText: `import ${module}${eol}` };
  }
  if (!after && first?.type === 'expression_statement' && first.firstNamedChild?.type === 'string') after = first;
  if (after) {
    const last = lineBounds(text, after.endPosition.row);
    const at = { line: after.endPosition.row, character: last.end - last.start };
    return { range: { start: at, end: at }, newText: `${eol}import ${module}` };
  }
  const at = { line: 0, character: 0 };
  return { range: { start: at, end: at }, newText: `import ${module}${eol}` };
}
