/**
 * `# secure-ai: ignore[SAI201, SAI202] optional reason` on the flagged line, or on its own line directly above it
 * (or above the first line of the statement that holds the finding).
 */
import type { Node } from './parser';
import type { Comment } from './semantic';
import type { Finding, Suppression } from './types';

const IGNORE = /^#\s*secure-ai:\s*ignore\[([^\]]*)\]\s*(?:[-:—]\s*)?(.*)$/;

/** What one ignore comment says. */
export interface IgnoreComment {
  /** Rule ids, upper-cased, in the order written (repeats kept). */
  ids: string[];
  /** The text after the brackets (a leading `-`, `:` or `—` dropped); undefined when there is none. */
  reason?: string;
}

/** Parse the text of one comment; undefined unless it starts with the directive (leading/trailing space aside). */
export function parseIgnoreComment(text: string): IgnoreComment | undefined {
  const m = IGNORE.exec(text.trim());
  if (!m) return undefined;
  const ids = m[1]
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  return { ids, reason: m[2].trim() || undefined };
}

/** The comment text for `ids` and an optional reason: `# secure-ai: ignore[SAI201, SAI202] reason`. */
export function formatIgnoreComment(ids: readonly string[], reason?: string): string {
  const head = `# secure-ai: ignore[${ids.join(', ')}]`;
  return reason ? `${head} ${reason}` : head;
}

interface Directive {
  ids: Set<string>;
  reason?: string;
  line: number;
  ownLine: boolean;
}

export function parseDirectives(comments: Comment[]): Map<number, Directive> {
  const byLine = new Map<number, Directive>();
  for (const c of comments) {
    const parsed = parseIgnoreComment(c.text);
    if (!parsed) continue;
    byLine.set(c.line, { ids: new Set(parsed.ids), reason: parsed.reason, line: c.line, ownLine: c.ownLine });
  }
  return byLine;
}

/** The first line of the statement (or decorated definition) that holds the position; `line` when there is none. */
export function statementStartLine(root: Node, line: number, character: number): number {
  for (let n: Node | null = root.descendantForPosition({ row: line, column: character }); n; n = n.parent) {
    if (n.type.endsWith('_statement') || n.type === 'decorated_definition') return n.startPosition.row;
  }
  return line;
}

/**
 * The comments, nearest first, that may hold the directive for a finding on `line` whose statement starts on `stmt`:
 * the one on `line`, an own-line one directly above it, then likewise for `stmt`.
 */
export function directiveCandidates<T extends { ownLine: boolean }>(
  byLine: ReadonlyMap<number, T>,
  line: number,
  stmt: number,
): T[] {
  const out: T[] = [];
  const add = (at: number, ownLineOnly: boolean) => {
    const c = byLine.get(at);
    if (c && (!ownLineOnly || c.ownLine)) out.push(c);
  };
  add(line, false);
  add(line - 1, true);
  if (stmt !== line) {
    add(stmt, false);
    add(stmt - 1, true);
  }
  return out;
}

export function findSuppression(
  directives: Map<number, Directive>,
  root: Node,
  f: Pick<Finding, 'ruleId' | 'range'>,
): Suppression | undefined {
  const line = f.range.start.line;
  const stmt = statementStartLine(root, line, f.range.start.character);
  for (const d of directiveCandidates(directives, line, stmt)) {
    if (d.ids.has(f.ruleId)) return { line: d.line, reason: d.reason };
  }
  return undefined;
}

/**
 * Ignore directives in a file that is not Python but has `#` comments (requirements files, TOML, YAML, setup.cfg): a
 * `#` at the start of a line or after a space starts the comment. A directive covers its own line, or the next one
 * when it stands alone.
 */
export function lineDirectives(text: string): Map<number, Directive> {
  const byLine = new Map<number, Directive>();
  if (!text.includes('secure-ai')) return byLine;
  const lines = text.split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const at = line.search(/(?:^|\s)#\s*secure-ai:/);
    if (at < 0) continue;
    const hash = line.indexOf('#', at);
    const parsed = parseIgnoreComment(line.slice(hash));
    if (parsed) byLine.set(i, { ids: new Set(parsed.ids), reason: parsed.reason, line: i, ownLine: line.slice(0, hash).trim() === '' });
  }
  return byLine;
}

/** The directive of `lineDirectives` that covers a finding, if any. */
export function findLineSuppression(directives: Map<number, Directive>, f: Pick<Finding, 'ruleId' | 'range'>): Suppression | undefined {
  const line = f.range.start.line;
  for (const d of directiveCandidates(directives, line, line)) {
    if (d.ids.has(f.ruleId)) return { line: d.line, reason: d.reason };
  }
  return undefined;
}
