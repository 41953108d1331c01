/** The engine's vocabulary. Pure data: no LSP or vscode types. Positions are 0-based, columns in UTF-16 code units. */

export type Severity = 'error' | 'warning' | 'info' | 'hint';
export type Confidence = 'high' | 'medium' | 'low';

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info', 'hint'];
export const CONFIDENCES: readonly Confidence[] = ['low', 'medium', 'high'];

export function confidenceRank(c: Confidence): number {
  return CONFIDENCES.indexOf(c);
}

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

/** ruff's three kinds: a safe fix keeps behaviour apart from the hazard; an unsafe one may change behaviour. */
export type FixSafety = 'safe' | 'unsafe';

export interface Fix {
  title: string;
  safety: FixSafety;
  edits: TextEdit[];
}

export interface Suppression {
  /** The line (0-based) of the `# secure-ai: ignore[...]` comment. */
  line: number;
  reason?: string;
}

export interface Finding {
  ruleId: string;
  range: Range;
  message: string;
  severity: Severity;
  confidence: Confidence;
  guidelines: string[];
  fix?: Fix;
  /** Set when an ignore comment covers the finding; such findings are hidden unless asked for. */
  suppressed?: Suppression;
  /**
   * In a Jupyter notebook: the 1-based position of the cell among all the notebook's cells (markdown ones included).
   * The range, and the fix's edits, are then relative to that cell's source.
   */
  cell?: number;
}

/** A file-level message that is not a finding: "could not decode", "too large". */
export interface Notice {
  kind: 'too-large' | 'not-decodable' | 'too-complex' | 'invalid-format' | 'not-scanned' | 'internal-error';
  message: string;
}

export interface AnalysisResult {
  findings: Finding[];
  notices: Notice[];
  /** False when the prefilter found none of the rules' trigger tokens, so the file was never parsed. */
  parsed: boolean;
}
