/**
 * The edit behind "Suppress SAInnn on this line": `# secure-ai: ignore[SAInnn] <reason>` where the engine's
 * suppression (engine/suppress.ts) will find it.
 *
 * 1. An ignore comment already covers the finding (on the flagged line, on its own line directly above it, or on or
 *    directly above the first line of the statement): the id is merged into it, its reason kept.
 * 2. Otherwise a trailing comment on the flagged line, when the line has no comment yet, does not end inside a
 *    string and is not continued with a backslash (a comment there would not compile).
 * 3. Otherwise a comment on its own line directly above the statement, at the statement line's indentation.
 *
 * The reason is a placeholder: a snippet tab stop `${1:reason}` when the client takes snippet edits, else the plain
 * word `reason` (a `WorkspaceEdit` has no snippets before LSP 3.18's `SnippetTextEdit`).
 *
 * Dependency manifests (requirements files, TOML, YAML, setup.cfg) have `#` comments too, read line by line
 * (`lineDirectives` in engine/suppress.ts): see `lineSuppressEdit`.
 */
import type { Node, Tree } from '../engine/parser';
import { directiveCandidates, formatIgnoreComment, lineDirectives, parseIgnoreComment, statementStartLine } from '../engine/suppress';
import type { Range } from '../engine/types';

export const REASON_PLACEHOLDER = 'reason';

export interface SuppressEdit {
  range: Range;
  /** Plain text, with `reason` as the placeholder. */
  text: string;
  /** The same edit as snippet text, with `${1:reason}` as a tab stop (`$`, `}` and `\` escaped). */
  snippet: string;
}

interface LineComment {
  node: Node;
  text: string;
  ownLine: boolean;
}

function lineText(text: string, line: number): string {
  let start = 0;
  for (let i = 0; i < line; i++) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) return '';
    start = nl + 1;
  }
  const end = text.indexOf('\n', start);
  const s = text.slice(start, end === -1 ? text.length : end);
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

function commentsByLine(tree: Tree, text: string, lines: Set<number>): Map<number, LineComment> {
  const out = new Map<number, LineComment>();
  for (const node of tree.rootNode.descendantsOfType('comment')) {
    if (!node) continue;
    const line = node.startPosition.row;
    if (!lines.has(line)) continue;
    const before = lineText(text, line).slice(0, node.startPosition.column);
    out.set(line, { node, text: node.text, ownLine: before.trim() === '' });
  }
  return out;
}

const escapeSnippet = (s: string) => s.replace(/[$}\\]/g, (c) => `\\${c}`);

function directive(ids: string[], reason: string | undefined): { text: string; snippet: string } {
  const text = formatIgnoreComment(ids, reason || REASON_PLACEHOLDER);
  if (reason) return { text, snippet: escapeSnippet(text) };
  return { text, snippet: `${escapeSnippet(formatIgnoreComment(ids))} \${1:${REASON_PLACEHOLDER}}` };
}

/** Does the end of `line` lie inside a string (a triple-quoted string running on to the next line)? */
function endsInsideString(tree: Tree, line: number, length: number): boolean {
  if (length === 0) return false;
  for (let n: Node | null = tree.rootNode.descendantForPosition({ row: line, column: length - 1 }); n; n = n.parent) {
    if ((n.type === 'string' || n.type === 'concatenated_string') && n.endPosition.row > line) return true;
    if (n.type === 'string_content' && n.endPosition.row > line) return true;
  }
  return false;
}

export function suppressEdit(text: string, tree: Tree, ruleId: string, at: Range): SuppressEdit {
  const line = at.start.line;
  const stmt = statementStartLine(tree.rootNode, line, at.start.character);
  const comments = commentsByLine(tree, text, new Set([line, line - 1, stmt, stmt - 1]));

  // 1. Merge into a directive that already applies here.
  for (const c of directiveCandidates(comments, line, stmt)) {
    const parsed = parseIgnoreComment(c.text);
    if (!parsed) continue;
    const { ids, reason } = parsed;
    if (!ids.includes(ruleId)) ids.push(ruleId);
    const range: Range = {
      start: { line: c.node.startPosition.row, character: c.node.startPosition.column },
      end: { line: c.node.endPosition.row, character: c.node.endPosition.column },
    };
    return { range, ...directive(ids, reason) };
  }

  // 2. A trailing comment on the flagged line.
  const flagged = lineText(text, line);
  const content = flagged.replace(/\s+$/, '');
  if (!comments.has(line) && content !== '' && !content.endsWith('\\') && !endsInsideString(tree, line, content.length)) {
    const d = directive([ruleId], undefined);
    const range: Range = { start: { line, character: content.length }, end: { line, character: flagged.length } };
    return { range, text: `  ${d.text}`, snippet: `  ${d.snippet}` };
  }

  // 3. Its own line above the statement.
  const indent = /^[ \t]*/.exec(lineText(text, stmt))![0];
  const d = directive([ruleId], undefined);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const range: Range = { start: { line: stmt, character: 0 }, end: { line: stmt, character: 0 } };
  return { range, text: `${indent}${d.text}${eol}`, snippet: `${escapeSnippet(indent)}${d.snippet}${eol}` };
}

/**
 * "Suppress SAInnn on this line" in a file whose comments start with `#` but which is not Python (a dependency
 * manifest), where a directive covers its own line or, standing alone, the next one:
 * 1. a directive on the flagged line, or on its own line directly above it: the id is merged into it, its reason kept;
 * 2. otherwise a new directive on its own line directly above the flagged line, at that line's indentation. Never a
 *    trailing comment: in setup.cfg (configparser) a `#` after a value is part of the value.
 * Undefined when the line above ends with a backslash: a comment line there would end the continued line (pip joins
 * `\`-continued lines before it drops comments), and one above the first line would not cover the finding.
 */
export function lineSuppressEdit(text: string, ruleId: string, at: Range): SuppressEdit | undefined {
  const lines = text.split(/\r?\n|\r/);
  const line = at.start.line;
  if (line >= lines.length) return undefined;

  // 1. Merge into a directive that already applies here (the lines lineDirectives reads as directives).
  const directives = lineDirectives(text);
  for (const d of directiveCandidates(directives, line, line)) {
    const lineText = lines[d.line];
    // Where lineDirectives found the comment: a `#` at the start of the line or after a space.
    const hash = lineText.indexOf('#', Math.max(0, lineText.search(/(?:^|\s)#\s*secure-ai:/)));
    const ids = [...d.ids];
    if (!ids.includes(ruleId)) ids.push(ruleId);
    const range: Range = { start: { line: d.line, character: hash }, end: { line: d.line, character: lineText.length } };
    return { range, ...directive(ids, d.reason) };
  }

  // 2. Its own line above the flagged one.
  if (line > 0 && /\\\s*$/.test(lines[line - 1])) return undefined;
  const indent = /^[ \t]*/.exec(lines[line])![0];
  const d = directive([ruleId], undefined);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const range: Range = { start: { line, character: 0 }, end: { line, character: 0 } };
  return { range, text: `${indent}${d.text}${eol}`, snippet: `${escapeSnippet(indent)}${d.snippet}${eol}` };
}
