/** Counts shared by the report formats, and the input they all take. */
import type { Rule } from '../engine/rule';
import { SEVERITIES, type Finding, type Severity } from '../engine/types';
import type { FileReport } from './report';

export interface ReportInput {
  /** The folder paths are shown relative to. */
  cwd: string;
  reports: readonly FileReport[];
  /** The rules that ran, in registry order. */
  rules: readonly Rule[];
  showSuppressed: boolean;
  version: string;
}

export interface Summary {
  files: number;
  findings: number;
  bySeverity: Record<Severity, number>;
  filesWithFindings: number;
  suppressed: number;
  notAnalysed: number;
  notices: number;
}

/** The findings a report shows for a file: suppressed ones only when asked for. */
export function shownFindings(report: FileReport, showSuppressed: boolean): Finding[] {
  return showSuppressed ? report.findings : report.findings.filter((f) => !f.suppressed);
}

export function summarise(reports: readonly FileReport[]): Summary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const s: Summary = { files: reports.length, findings: 0, bySeverity, filesWithFindings: 0, suppressed: 0, notAnalysed: 0, notices: 0 };
  for (const r of reports) {
    let active = 0;
    for (const f of r.findings) {
      if (f.suppressed) s.suppressed++;
      else {
        active++;
        bySeverity[f.severity]++;
      }
    }
    s.findings += active;
    if (active) s.filesWithFindings++;
    if (r.notices.length) {
      s.notAnalysed++;
      s.notices += r.notices.length;
    }
  }
  return s;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "3 findings (1 error, 2 warnings) in 12 files; 1 suppressed; 1 file not analysed" */
export function summaryLine(s: Summary): string {
  const parts: string[] = [];
  const files = plural(s.files, 'file');
  if (s.findings === 0) parts.push(`No findings in ${files}`);
  else {
    const kinds = SEVERITIES.filter((k) => s.bySeverity[k] > 0).map((k) =>
      k === 'info' ? `${s.bySeverity[k]} info` : plural(s.bySeverity[k], k),
    );
    parts.push(`${plural(s.findings, 'finding')} (${kinds.join(', ')}) in ${files}`);
  }
  if (s.suppressed) parts.push(`${s.suppressed} suppressed`);
  if (s.notAnalysed) parts.push(`${plural(s.notAnalysed, 'file')} not analysed`);
  return parts.join('; ');
}
