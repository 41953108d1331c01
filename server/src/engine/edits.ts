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
  const at = rangeOf(items[items.length - 1]).end;
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

/** Apply non-overlapping edits to `text`. Overlapping edits throw: a fix that collides with another is a bug. */
export function applyEdits(text: string, edits: TextEdit[]): string {
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
