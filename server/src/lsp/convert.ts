/** Engine findings and notices as LSP diagnostics: the only place the two vocabularies meet. */
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { Finding, Notice, Severity } from '../engine/types';
import { ruleDocsUrl } from '../rules/docs';
import { DIAGNOSTIC_SOURCE, type DiagnosticData } from '../shared/protocol';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toSeverity(s: Severity): DiagnosticSeverity {
  return SEVERITY[s];
}

/** One finding as a diagnostic. `version` is the document version it was computed for (open documents only). */
export function findingToDiagnostic(f: Finding, version?: number): Diagnostic {
  const data: DiagnosticData = { ruleId: f.ruleId, confidence: f.confidence };
  if (f.fix) data.fix = f.fix;
  if (version !== undefined) data.version = version;
  return {
    range: f.range,
    severity: SEVERITY[f.severity],
    code: f.ruleId,
    codeDescription: { href: ruleDocsUrl(f.ruleId) },
    source: DIAGNOSTIC_SOURCE,
    message: f.message,
    data,
  };
}

/**
 * A notice (file too large, not decodable, internal error) about an open document: one Information diagnostic at
 * the start of line 0, without a code, so the user sees why a file shows no findings. Files read from disk by the
 * workspace scan only log their notices (a Problems entry per huge generated file would be noise).
 */
export function noticeToDiagnostic(n: Notice): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    source: DIAGNOSTIC_SOURCE,
    message: `secure-ai did not analyse this file: ${n.message}.`,
  };
}

export function isDiagnosticData(v: unknown): v is DiagnosticData {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return typeof d.ruleId === 'string' && typeof d.confidence === 'string';
}
