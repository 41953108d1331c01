/** Hover over a flagged range: the finding, the guideline items it serves with their text, and the rule's docs page. */
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import type { Finding, Range } from '../engine/types';
import { guideline } from '../guidelines/guidelines';
import { ruleMarkdown } from '../rules/docs';
import { RULES_BY_ID } from '../rules';

const contains = (r: Range, p: Position) =>
  (p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character)) &&
  (p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character));

/** The rule page without its repository-relative source link, which means nothing inside the editor. */
export function ruleDocsForEditor(ruleId: string): string | undefined {
  const rule = RULES_BY_ID.get(ruleId);
  if (!rule) return undefined;
  return ruleMarkdown(rule).replace(/ Rule name `[^`]*`; source \[[^\]]*\]\([^)]*\)\./, ` Rule name \`${rule.name}\`.`);
}

function ncscItems(f: Finding): string[] {
  return f.guidelines
    .filter((id) => id.startsWith('NCSC-'))
    .map((id) => {
      const g = guideline(id);
      return `**${id.replace('-', ' ')} ${g.title}** (${g.section}): ${g.asks}.`;
    });
}

export function hoverFor(findings: readonly Finding[], position: Position): Hover | null {
  const here = findings.filter((f) => !f.suppressed && contains(f.range, position));
  if (here.length === 0) return null;
  const parts: string[] = [];
  for (const f of here) {
    parts.push(`**${f.ruleId}** ${f.message}`, '', ...ncscItems(f).flatMap((l) => [l, '']));
  }
  const seen = new Set<string>();
  for (const f of here) {
    if (seen.has(f.ruleId)) continue;
    seen.add(f.ruleId);
    const docs = ruleDocsForEditor(f.ruleId);
    if (docs) parts.push('---', '', docs);
  }
  const first = here[0];
  return { contents: { kind: MarkupKind.Markdown, value: parts.join('\n') }, range: first.range };
}
