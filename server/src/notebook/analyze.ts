/**
 * `analyzeNotebook(text, path, settings) -> findings`: a Jupyter notebook analysed like a Python file. Its Python
 * code cells are one program (program.ts), so an import in cell 1 resolves for a call in cell 5; the engine's
 * findings come back in cell coordinates with `finding.cell` set (1-based among all cells), and the notebook's shell
 * commands (`!pip install …`) go to `checkShellCommands`. Synchronous and pure like `analyze`: call
 * `await initEngine()` once per thread first.
 *
 * Size: `maxFileSizeKb` applies to the notebook's code (the program), not to its JSON, whose outputs (images,
 * tables) often make it megabytes large and are never analysed; the JSON itself is refused above
 * `NOTEBOOK_JSON_FACTOR` times the limit (64 MB by default), which bounds the cost of reading it.
 */
import { analyze, type AnalyzeOptions } from '../engine/analyze';
import { decode } from '../engine/decode';
import { parseIgnoreComment } from '../engine/suppress';
import type { AnalysisResult, Finding, Notice } from '../engine/types';
import { checkShellCommands } from '../rules/notebook-commands';
import { DEFAULT_SETTINGS, type Settings } from '../shared/settings';
import { isPythonLanguage, parseNotebook, type NotebookCell } from './parse';
import { NotebookProgram } from './program';

/** A notebook's JSON may be this many times `maxFileSizeKb` (its code alone is held to the limit itself). */
export const NOTEBOOK_JSON_FACTOR = 32;

export interface NotebookAnalysis extends AnalysisResult {
  /** Every cell of the notebook, in order (cell `n` is `cells[n - 1]`); empty when the notebook could not be read. */
  cells: NotebookCell[];
  /** The notebook's language (`python` unless its metadata says otherwise). */
  language: string;
  /** Cells that were skipped because their JSON is malformed; the rest of the notebook was analysed. */
  warnings: string[];
}

const notice = (kind: Notice['kind'], message: string): NotebookAnalysis => ({
  findings: [],
  notices: [{ kind, message }],
  parsed: false,
  cells: [],
  language: 'python',
  warnings: [],
});

const IGNORE_AT = /#\s*secure-ai:\s*ignore\[/;

/** A `# secure-ai: ignore[...]` comment naming `ruleId` on the finding's lines, or on its own line directly above. */
export function commandSuppression(lines: string[], f: Finding): Finding['suppressed'] {
  const check = (line: number, ownLineOnly: boolean) => {
    const text = lines[line];
    if (text === undefined) return undefined;
    const at = text.search(IGNORE_AT);
    if (at === -1 || (ownLineOnly && text.slice(0, at).trim() !== '')) return undefined;
    const parsed = parseIgnoreComment(text.slice(at));
    return parsed && parsed.ids.includes(f.ruleId) ? { line, reason: parsed.reason } : undefined;
  };
  for (let line = f.range.start.line; line <= f.range.end.line; line++) {
    const s = check(line, false);
    if (s) return s;
  }
  return check(f.range.start.line - 1, true);
}

const byPosition = (a: Finding, b: Finding) =>
  (a.cell ?? 0) - (b.cell ?? 0) ||
  a.range.start.line - b.range.start.line ||
  a.range.start.character - b.range.start.character ||
  a.ruleId.localeCompare(b.ruleId);

/**
 * Analyse a program built from a notebook's cells (the language server builds it from the editor's cells and hands
 * in a tree it re-parsed incrementally, as `options.tree`). Findings in cell coordinates, sorted by cell and position.
 */
export function analyzeProgram(
  program: NotebookProgram,
  cells: readonly NotebookCell[],
  path: string,
  settings: Settings = DEFAULT_SETTINGS,
  options: AnalyzeOptions = {},
): AnalysisResult {
  const result = analyze(program.text, path, settings, options);
  // A notice means the code was not analysed: nothing else is reported with it, as for a Python file.
  if (result.notices.length) return result;
  const findings: Finding[] = [];
  for (const f of result.findings) {
    const mapped = program.findingToCell(f);
    if (mapped) findings.push(mapped);
  }
  const lines = new Map<number, string[]>();
  for (const f of checkShellCommands(program.commands, settings, options)) {
    if (f.cell === undefined) continue;
    let cellLines = lines.get(f.cell);
    if (!cellLines) {
      cellLines = (cells[f.cell - 1]?.source ?? '').split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
      lines.set(f.cell, cellLines);
    }
    const finding = program.commandFindingToCell(f, cellLines);
    delete finding.suppressed;
    const suppressed = f.suppressed ?? commandSuppression(cellLines, f);
    if (suppressed) finding.suppressed = suppressed;
    findings.push(finding);
  }
  findings.sort(byPosition);
  return { findings, notices: [], parsed: result.parsed };
}

/** Analyse cells (as `parseNotebook` gives them, or as an editor holds them). */
export function analyzeCells(cells: readonly NotebookCell[], path: string, settings: Settings = DEFAULT_SETTINGS, options: AnalyzeOptions = {}): AnalysisResult {
  return analyzeProgram(new NotebookProgram(cells), cells, path, settings, options);
}

/**
 * Analyse a notebook's JSON text. Unreadable JSON, nbformat 3 or a notebook in another language than Python get one
 * `invalid-format` notice and no findings; malformed cells are skipped (listed in `warnings`) and the rest analysed.
 */
export function analyzeNotebook(text: string, path: string, settings: Settings = DEFAULT_SETTINGS, options: AnalyzeOptions = {}): NotebookAnalysis {
  const limit = settings.maxFileSizeKb * 1024 * NOTEBOOK_JSON_FACTOR;
  if (text.length > limit) {
    return notice('too-large', `the notebook is ${Math.ceil(text.length / 1024)} KB, over ${NOTEBOOK_JSON_FACTOR} times the ${settings.maxFileSizeKb} KB limit (setting maxFileSizeKb), so it was not analysed`);
  }
  const parsed = parseNotebook(text);
  if (!parsed.ok) return notice('invalid-format', `${parsed.message}, so it was not analysed`);
  const { cells, language, warnings } = parsed;
  if (!isPythonLanguage(language)) {
    return { ...notice('invalid-format', `the notebook's language is ${language}, not Python, so it was not analysed`), cells, language, warnings };
  }
  return { ...analyzeCells(cells, path, settings, options), cells, language, warnings };
}

/** Analyse a notebook file's bytes: the size limit and decoding first (UTF-8, or UTF-16 with a byte-order mark). */
export function analyzeNotebookBytes(bytes: Uint8Array, path: string, settings: Settings = DEFAULT_SETTINGS, options: AnalyzeOptions = {}): NotebookAnalysis {
  const limit = settings.maxFileSizeKb * 1024 * NOTEBOOK_JSON_FACTOR;
  if (bytes.length > limit) {
    return notice('too-large', `the notebook is ${Math.ceil(bytes.length / 1024)} KB, over ${NOTEBOOK_JSON_FACTOR} times the ${settings.maxFileSizeKb} KB limit (setting maxFileSizeKb), so it was not analysed`);
  }
  const decoded = decode(bytes);
  if (!decoded.ok) return notice('not-decodable', decoded.message);
  return analyzeNotebook(decoded.text, path, settings, options);
}

/** Is this path a notebook (by its extension)? */
export function isNotebookPath(path: string): boolean {
  return /\.ipynb$/i.test(path);
}
