/**
 * `# secure-ai: ignore[SAI201, SAI202] optional reason` on the flagged line, or on its own line directly above it
 * (or above the first line of the statement that holds the finding).
 */
import type { Node } from './parser';
import type { Comment } from './semantic';
import type { Finding, Suppression } from './types';

const IGNORE = /^#\s*secure-ai:\s*ignore\[([^\]]*)\]\s*(?:[-:—]\s*)?(.*)$/;

interface Directive {
  ids: Set<string>;
  reason?: string;
  line: number;
  ownLine: boolean;
}

export function parseDirectives(comments: Comment[]): Map<number, Directive> {
  const byLine = new Map<number, Directive>();
  for (const c of comments) {
    const m = IGNORE.exec(c.text.trim());
    if (!m) continue;
    const ids = new Set(
      m[1]
        .split(',')
        .map((s) => s.trim().toUpperCase())
        .filter(Boolean),
    );
    const reason = m[2].trim() || undefined;
    byLine.set(c.line, { ids, reason, line: c.line, ownLine: c.ownLine });
  }
  return byLine;
}

function statementStartLine(root: Node, line: number, character: number): number {
  let n: Node | null = root.descendantForPosition({ row: line, column: character });
  let start = line;
  for (; n; n = n.parent) {
    if (n.type.endsWith('_statement') || n.type === 'decorated_definition') {
      start = n.startPosition.row;
      break;
    }
  }
  return start;
}

export function findSuppression(
  directives: Map<number, Directive>,
  root: Node,
  f: Pick<Finding, 'ruleId' | 'range'>,
): Suppression | undefined {
  const line = f.range.start.line;
  const candidates: Array<Directive | undefined> = [directives.get(line)];
  const above = directives.get(line - 1);
  if (above?.ownLine) candidates.push(above);
  const stmt = statementStartLine(root, line, f.range.start.character);
  if (stmt !== line) {
    candidates.push(directives.get(stmt));
    const aboveStmt = directives.get(stmt - 1);
    if (aboveStmt?.ownLine) candidates.push(aboveStmt);
  }
  for (const d of candidates) {
    if (d && d.ids.has(f.ruleId)) return { line: d.line, reason: d.reason };
  }
  return undefined;
}
