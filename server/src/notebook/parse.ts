/**
 * Jupyter notebooks (nbformat 4) to cells. Pure and total: any string gives a result, never an exception.
 *
 * nbformat 4 facts used here: the top level is an object with `cells` (a list), `metadata` and `nbformat`; a cell
 * has `cell_type` (`code`, `markdown` or `raw`) and `source`, a string or a list of strings to be concatenated; the
 * notebook's language is `metadata.kernelspec.language` or `metadata.language_info.name`; VS Code records a cell
 * whose language differs from the notebook's in `metadata.vscode.languageId`. nbformat 3 keeps its cells under
 * `worksheets` and is not read.
 */

export type CellKind = 'code' | 'markdown' | 'raw';

export interface NotebookCell {
  kind: CellKind;
  /** The cell's text, `source` joined. */
  source: string;
  /** The cell's own language when it differs from the notebook's (`metadata.vscode.languageId`). */
  language?: string;
  /** Why the cell is not analysed, when its JSON is malformed (it keeps its place, so cell numbers stay right). */
  skipped?: string;
}

export type ParsedNotebook =
  | {
      ok: true;
      cells: NotebookCell[];
      /** The notebook's language, lower-cased (`python` when the metadata does not say). */
      language: string;
      /** What was skipped and why: one message per malformed cell. */
      warnings: string[];
    }
  | { ok: false; message: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Python by any of the names kernels give it (`python`, `python3`, `ipython3`). */
export function isPythonLanguage(language: string): boolean {
  return /^i?python[\d.]*$/i.test(language.trim());
}

function languageOf(metadata: unknown): string {
  if (!isRecord(metadata)) return 'python';
  const kernelspec = metadata.kernelspec;
  if (isRecord(kernelspec) && typeof kernelspec.language === 'string' && kernelspec.language.trim()) return kernelspec.language.trim().toLowerCase();
  const info = metadata.language_info;
  if (isRecord(info) && typeof info.name === 'string' && info.name.trim()) return info.name.trim().toLowerCase();
  return 'python';
}

/** A cell's `source`: a string, or a list of strings joined; undefined for anything else. */
function sourceOf(source: unknown): string | undefined {
  if (typeof source === 'string') return source;
  if (Array.isArray(source) && source.every((s) => typeof s === 'string')) return source.join('');
  return undefined;
}

/** Parse a notebook's JSON text (a leading byte-order mark is ignored). */
export function parseNotebook(text: string): ParsedNotebook {
  let root: unknown;
  try {
    root = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { ok: false, message: `the notebook is not valid JSON (${why})` };
  }
  if (!isRecord(root)) return { ok: false, message: 'the notebook is not a JSON object' };
  const major = root.nbformat;
  if ((typeof major === 'number' && major < 4) || (!('cells' in root) && Array.isArray(root.worksheets))) {
    return {
      ok: false,
      message: `the notebook is in nbformat ${typeof major === 'number' ? major : 3}, which is not read; convert it with \`jupyter nbconvert --to notebook --nbformat 4\``,
    };
  }
  if (!Array.isArray(root.cells)) return { ok: false, message: 'the notebook has no `cells` list' };

  const warnings: string[] = [];
  const cells: NotebookCell[] = root.cells.map((raw: unknown, i: number): NotebookCell => {
    const n = i + 1;
    const skip = (why: string, kind: CellKind = 'raw'): NotebookCell => {
      warnings.push(`cell ${n} was not analysed: ${why}`);
      return { kind, source: '', skipped: why };
    };
    if (!isRecord(raw)) return skip('it is not a JSON object');
    const type = raw.cell_type;
    if (type !== 'code' && type !== 'markdown' && type !== 'raw') {
      // Not code whatever it is: kept in place, nothing to analyse, nothing to warn about unless it is not a string.
      if (typeof type !== 'string') return skip('its `cell_type` is missing or not a string');
      return { kind: 'raw', source: sourceOf(raw.source) ?? '' };
    }
    const source = sourceOf(raw.source);
    if (source === undefined) {
      if (type !== 'code') return { kind: type, source: '' };
      return skip(raw.source === undefined ? 'it has no `source`' : 'its `source` is not a string or a list of strings', 'code');
    }
    const cell: NotebookCell = { kind: type, source };
    const meta = raw.metadata;
    const vscodeMeta = isRecord(meta) ? meta.vscode : undefined;
    if (isRecord(vscodeMeta) && typeof vscodeMeta.languageId === 'string' && vscodeMeta.languageId.trim()) cell.language = vscodeMeta.languageId.trim();
    return cell;
  });
  return { ok: true, cells, language: languageOf(root.metadata), warnings };
}
