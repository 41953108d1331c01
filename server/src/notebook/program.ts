/**
 * A notebook's code cells as one Python program, in order, so that what one cell imports or assigns is known in the
 * cells after it (Jupyter runs them in one namespace), with the map between program positions and cell positions.
 *
 * Each Python code cell contributes its masked source (magics.ts), cells separated by one line break: a cell of `n`
 * lines occupies `n` program lines, and columns are the cell's own. Markdown and raw cells, cells in another
 * language and malformed cells contribute nothing but keep their numbers (1-based among all the notebook's cells).
 */
import type { ShellCommand } from '../rules/notebook-commands';
import type { Finding, Fix, Position, Range } from '../engine/types';
import { maskMagics, type MaskedSpan, type TextPiece } from './magics';
import { isPythonLanguage, type NotebookCell } from './parse';

/** The program lines of one cell. */
export interface CellSpan {
  /** 1-based among all the notebook's cells. */
  cell: number;
  /** The cell's first line in the program (0-based). */
  start: number;
  /** How many lines the cell has (at least 1). */
  lines: number;
}

export interface CellRange {
  cell: number;
  range: Range;
}

/** Is the cell part of the program: a well-formed code cell in Python (its own language, if it has one). */
export function isPythonCell(cell: NotebookCell): boolean {
  return cell.kind === 'code' && !cell.skipped && (cell.language === undefined || isPythonLanguage(cell.language));
}

const before = (a: Position, b: Position) => a.line < b.line || (a.line === b.line && a.character < b.character);

export class NotebookProgram {
  /** The program text. */
  readonly text: string;
  /** One per Python code cell, in order. */
  readonly spans: readonly CellSpan[];
  /** The shell commands of every cell (`!cmd`, `%pip`, `%%bash` lines), with cell positions. */
  readonly commands: readonly ShellCommand[];
  private readonly byCell = new Map<number, CellSpan>();
  /** Masked column spans per program line. */
  private readonly masked = new Map<number, MaskedSpan[]>();
  /** The length of each original cell line, per program line (masking may change a line's length). */
  private readonly lineLengths: number[] = [];
  /** Where each command's text lies in its cell, by `cell:line` of the command's start. */
  private readonly pieces = new Map<string, TextPiece[]>();

  constructor(cells: readonly NotebookCell[]) {
    const parts: string[] = [];
    const spans: CellSpan[] = [];
    const commands: ShellCommand[] = [];
    let start = 0;
    cells.forEach((cell, i) => {
      if (!isPythonCell(cell)) return;
      const n = i + 1;
      const m = maskMagics(cell.source);
      const original = cell.source.split('\n');
      const span: CellSpan = { cell: n, start, lines: original.length };
      spans.push(span);
      this.byCell.set(n, span);
      for (const line of original) this.lineLengths.push(line.endsWith('\r') ? line.length - 1 : line.length);
      for (const s of m.masked) {
        const at = start + s.line;
        const list = this.masked.get(at) ?? [];
        list.push(s);
        this.masked.set(at, list);
      }
      for (const { pieces, ...c } of m.commands) {
        commands.push({ ...c, cell: n });
        this.pieces.set(`${n}:${c.line}`, pieces);
      }
      parts.push(m.python);
      start += original.length;
    });
    this.text = parts.join('\n');
    this.spans = spans;
    this.commands = commands;
  }

  /** The span holding a program line, by binary search; undefined past the end. */
  spanAt(line: number): CellSpan | undefined {
    let lo = 0;
    let hi = this.spans.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.spans[mid];
      if (line < s.start) hi = mid - 1;
      else if (line >= s.start + s.lines) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** A program position as a cell position. */
  toCell(p: Position): { cell: number; position: Position } | undefined {
    const s = this.spanAt(p.line);
    if (!s) return undefined;
    return { cell: s.cell, position: { line: p.line - s.start, character: p.character } };
  }

  /** A cell position as a program position; undefined when the cell is not in the program or the line not in it. */
  toProgram(cell: number, p: Position): Position | undefined {
    const s = this.byCell.get(cell);
    if (!s || p.line < 0 || p.line >= s.lines) return undefined;
    return { line: s.start + p.line, character: p.character };
  }

  /**
   * A program range as a range in one cell; undefined when it spans two cells. A range that ends at the start of
   * the next cell's first line (a node that takes its line break along) ends at the end of its own cell instead.
   * Columns past the end of the cell's line (masking made the program's line longer) are clamped to it.
   */
  rangeToCell(r: Range): CellRange | undefined {
    const s = this.spanAt(r.start.line);
    if (!s) return undefined;
    let end = r.end;
    const last = s.start + s.lines - 1;
    if (end.line > last) {
      if (end.line === last + 1 && end.character === 0) end = { line: last, character: this.lineLengths[last] };
      else return undefined;
    }
    const clamp = (p: Position): Position => ({ line: p.line - s.start, character: Math.min(p.character, this.lineLengths[p.line] ?? p.character) });
    return { cell: s.cell, range: { start: clamp(r.start), end: clamp(end) } };
  }

  /** Does the position lie in a masked span (`from` inclusive, `to` exclusive)? */
  isMasked(p: Position): boolean {
    return (this.masked.get(p.line) ?? []).some((s) => p.character >= s.from && p.character < s.to);
  }

  /** Does the range touch masked text (an empty range: lies strictly inside a masked span)? */
  touchesMasked(r: Range): boolean {
    for (let line = r.start.line; line <= r.end.line; line++) {
      for (const s of this.masked.get(line) ?? []) {
        const from: Position = { line, character: s.from };
        const to: Position = { line, character: s.to };
        const empty = r.start.line === r.end.line && r.start.character === r.end.character;
        if (empty ? before(from, r.start) && before(r.start, to) : before(r.start, to) && before(from, r.end)) return true;
      }
    }
    return false;
  }

  /** A fix in cell coordinates, or undefined when an edit lies in another cell or touches masked text. */
  private fixToCell(fix: Fix, cell: number): Fix | undefined {
    const edits = [];
    for (const e of fix.edits) {
      if (this.touchesMasked(e.range)) return undefined;
      const mapped = this.rangeToCell(e.range);
      if (!mapped || mapped.cell !== cell) return undefined;
      edits.push({ range: mapped.range, newText: e.newText });
    }
    return { ...fix, edits };
  }

  /**
   * A position that a command check computed as the command's start plus an offset into its text (on the command's
   * line), as the place in the cell where that character of the text is: a backslash-continued command's text runs
   * over several lines. Positions of no known command are clamped to their line.
   */
  private commandPosition(cell: number, p: Position, lines: readonly string[]): Position {
    const pieces = this.pieces.get(`${cell}:${p.line}`);
    if (pieces && pieces.length) {
      const offset = p.character - pieces[0].character;
      let piece = pieces[0];
      for (const q of pieces) if (q.offset <= offset) piece = q;
      return { line: piece.line, character: piece.character + Math.max(0, Math.min(offset - piece.offset, piece.length)) };
    }
    const line = Math.max(0, Math.min(p.line, lines.length - 1));
    return { line, character: Math.max(0, Math.min(p.character, lines[line]?.length ?? 0)) };
  }

  /**
   * A finding of the notebook command checks (`checkShellCommands`, whose ranges are the command's start plus offsets
   * into its text) with its range and fix edits at their places in the cell. `lines` are the cell's lines.
   */
  commandFindingToCell(f: Finding, lines: readonly string[]): Finding {
    const cell = f.cell ?? 0;
    const map = (r: Range): Range => {
      const start = this.commandPosition(cell, r.start, lines);
      const end = this.commandPosition(cell, r.end, lines);
      return before(end, start) ? { start, end: start } : { start, end };
    };
    const out: Finding = { ...f, range: map(f.range) };
    if (f.fix) out.fix = { ...f.fix, edits: f.fix.edits.map((e) => ({ range: map(e.range), newText: e.newText })) };
    return out;
  }

  /**
   * An engine finding on the program as a finding in its cell (`cell` set, range and fix edits in cell
   * coordinates). Undefined when it spans cells or starts on masked text. A fix that would edit another cell
   * (an import added at the top of the program) or masked text is dropped, the finding kept. A suppression comment
   * in another cell does not count.
   */
  findingToCell(f: Finding): Finding | undefined {
    if (this.isMasked(f.range.start)) return undefined;
    const mapped = this.rangeToCell(f.range);
    if (!mapped) return undefined;
    const out: Finding = { ...f, range: mapped.range, cell: mapped.cell };
    delete out.fix;
    delete out.suppressed;
    if (f.fix) {
      const fix = this.fixToCell(f.fix, mapped.cell);
      if (fix) out.fix = fix;
    }
    if (f.suppressed) {
      const at = this.toCell({ line: f.suppressed.line, character: 0 });
      if (at && at.cell === mapped.cell) out.suppressed = { ...f.suppressed, line: at.position.line };
    }
    return out;
  }
}

/** The Python code cells of a notebook as one program. */
export function buildProgram(cells: readonly NotebookCell[]): NotebookProgram {
  return new NotebookProgram(cells);
}
