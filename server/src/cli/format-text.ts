/**
 * The default report, for people: findings grouped by file, each with its position, severity, rule id and message,
 * and the guideline ids on the line below; notices under the file they concern; a summary line at the end.
 */
import type { Finding, Severity } from '../engine/types';
import { displayPath } from './paths';
import { shownFindings, summarise, summaryLine, type ReportInput } from './summary';

export interface TextStyle {
  color: boolean;
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  underline: [4, 24],
  red: [31, 39],
  yellow: [33, 39],
  blue: [34, 39],
  cyan: [36, 39],
  green: [32, 39],
} as const;

type Paint = (style: keyof typeof CODES, text: string) => string;

function painter(color: boolean): Paint {
  return color ? (style, text) => `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m` : (_style, text) => text;
}

const SEVERITY_STYLE: Record<Severity, keyof typeof CODES> = { error: 'red', warning: 'yellow', info: 'blue', hint: 'dim' };

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function shouldColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

export function formatText(input: ReportInput, style: TextStyle): string {
  const paint = painter(style.color);
  const out: string[] = [];
  for (const report of input.reports) {
    const findings = shownFindings(report, input.showSuppressed);
    if (findings.length === 0 && report.notices.length === 0) continue;
    out.push(paint('underline', displayPath(report.path, input.cwd)));
    // In a notebook the line and column are within the cell: `cell 3:2:5`.
    const pos = (f: Finding) => `${f.cell !== undefined ? `cell ${f.cell}:` : ''}${f.range.start.line + 1}:${f.range.start.character + 1}`;
    const posWidth = Math.max(0, ...findings.map((f) => pos(f).length));
    const sevWidth = Math.max(0, ...findings.map((f) => f.severity.length));
    const idWidth = Math.max(0, ...findings.map((f) => f.ruleId.length));
    const indent = ' '.repeat(2 + posWidth + 2 + sevWidth + 2 + idWidth + 2);
    for (const f of findings) {
      const severity = paint(SEVERITY_STYLE[f.severity], f.severity.padEnd(sevWidth));
      let line = `  ${paint('dim', pos(f).padEnd(posWidth))}  ${severity}  ${paint('cyan', f.ruleId.padEnd(idWidth))}  ${f.message}`;
      if (f.suppressed) {
        const why = f.suppressed.reason ? `suppressed: ${f.suppressed.reason}` : 'suppressed';
        line += ` ${paint('green', `(${why})`)}`;
      }
      out.push(line);
      if (f.guidelines.length) out.push(paint('dim', `${indent}${f.guidelines.join(', ')}`));
    }
    for (const n of report.notices) out.push(`  ${paint('bold', 'notice:')} ${n.message}`);
    out.push('');
  }
  const summary = summarise(input.reports);
  const line = summaryLine(summary);
  out.push(summary.findings ? paint('bold', line) : line);
  return `${out.join('\n')}\n`;
}
