/**
 * The JSON report, for scripts. Lines and columns are 1-based; columns count UTF-16 code units; `endColumn` is the
 * column just after the last character (as in SARIF). In a notebook, `cell` names the cell and lines count within it.
 */
import type { Confidence, Finding, FixSafety, Range, Severity } from '../engine/types';
import { displayPath } from './paths';
import type { FileNoticeKind } from './report';
import { shownFindings, summarise, type ReportInput, type Summary } from './summary';

export interface JsonRegion {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface JsonFinding extends JsonRegion {
  path: string;
  /** In a notebook: the 1-based cell the finding is in; `line` and `column` then count within that cell. */
  cell?: number;
  ruleId: string;
  severity: Severity;
  confidence: Confidence;
  message: string;
  guidelines: string[];
  fix?: { title: string; safety: FixSafety; edits: Array<JsonRegion & { newText: string }> };
  suppressed?: { line: number; reason?: string };
}

export interface JsonReport {
  version: string;
  findings: JsonFinding[];
  notices: Array<{ path: string; kind: FileNoticeKind; message: string }>;
  summary: Summary;
}

function region(r: Range): JsonRegion {
  return { line: r.start.line + 1, column: r.start.character + 1, endLine: r.end.line + 1, endColumn: r.end.character + 1 };
}

function jsonFinding(f: Finding, path: string): JsonFinding {
  const out: JsonFinding = {
    path,
    ...(f.cell !== undefined ? { cell: f.cell } : {}),
    ruleId: f.ruleId,
    ...region(f.range),
    severity: f.severity,
    confidence: f.confidence,
    message: f.message,
    guidelines: [...f.guidelines],
  };
  if (f.fix) {
    out.fix = { title: f.fix.title, safety: f.fix.safety, edits: f.fix.edits.map((e) => ({ ...region(e.range), newText: e.newText })) };
  }
  if (f.suppressed) out.suppressed = { line: f.suppressed.line + 1, ...(f.suppressed.reason ? { reason: f.suppressed.reason } : {}) };
  return out;
}

export function buildJson(input: ReportInput): JsonReport {
  const findings: JsonFinding[] = [];
  const notices: JsonReport['notices'] = [];
  for (const report of input.reports) {
    const path = displayPath(report.path, input.cwd);
    for (const f of shownFindings(report, input.showSuppressed)) findings.push(jsonFinding(f, path));
    for (const n of report.notices) notices.push({ path, kind: n.kind, message: n.message });
  }
  return { version: input.version, findings, notices, summary: summarise(input.reports) };
}

export function formatJson(input: ReportInput): string {
  return `${JSON.stringify(buildJson(input), null, 2)}\n`;
}
