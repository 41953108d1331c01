/**
 * IPython syntax that the Python parser cannot read, masked so that the rest of a cell parses with the same line
 * numbers (and the same columns on every line that is kept):
 *
 * - `!cmd`, `!!cmd` and line magics `%name args` at the start of a logical line (also indented inside a block) become
 *   `pass` at the same indentation, so that the block stays valid; lines joined to them with a trailing backslash
 *   become empty;
 * - `x = !cmd` and `x = %magic args` keep `x = ` and get `...` for the right-hand side;
 * - `%time stmt`, `%timeit [options] stmt`, `%prun [options] stmt` keep `stmt` at its column, behind `if 1:` (which
 *   takes the place of the magic and its options), so that the statement is still analysed;
 * - help lines (`obj?`, `obj??`, `?obj`, `??obj`) and autocall lines (`/f x`, `,f x`, `;f x`) become `pass`;
 * - automagic package commands (`pip install x` without the `%`) become `pass`;
 * - a cell magic `%%name` on the first line: the magic line is emptied; the body is kept (and masked line by line)
 *   when it is Python (`%%time`, `%%timeit`, `%%capture`, `%%prun`, `%%debug`, `%%python`, `%%python3`, `%%pypy`,
 *   `%%memit`, `%%mprun`, `%%script python…`), and emptied otherwise (`%%bash`, `%%writefile`, `%%html`, `%%sql`, …).
 *
 * "Start of a logical line" means what Python means: not inside brackets, a string or after a backslash
 * continuation, so `%` as the modulo operator on a continuation line and `!` inside a docstring are left alone.
 *
 * The shell commands are collected for the notebook command checks (`rules/notebook-commands.ts`): the text of
 * `!cmd`/`!!cmd`, `%sx`/`%system` (`via: 'shell'`), `%pip`/`%conda`/`%mamba`/`%micromamba` and their automagic forms
 * (`via: 'magic'`, with the tool's name: `pip install x`), and every line of a `%%bash`/`%%sh`/`%%script <shell>`/
 * `%%sx`/`%%system` cell. A command's text has its backslash continuations joined with a space and a trailing shell
 * comment (` # …`) removed; `line`/`character` say where it starts in the cell.
 *
 * Facts about IPython's syntax come from its documentation and observed behaviour; the code is this project's own.
 */
import type { ShellCommand } from '../rules/notebook-commands';

/**
 * Where a piece of a command's text lies in the cell: `text.slice(offset, offset + length)` starts at `line`,
 * `character`. One piece per physical line of a backslash-continued command (the pieces are joined with a space).
 */
export interface TextPiece {
  offset: number;
  line: number;
  character: number;
  length: number;
}

/** A shell command of one cell: `ShellCommand` without the cell number, with where its text lies. */
export interface CellCommand extends Omit<ShellCommand, 'cell'> {
  pieces: TextPiece[];
}

/** Columns `[from, to)` of one line replaced by masking (`to` is `Infinity` when the rest of the line is). */
export interface MaskedSpan {
  line: number;
  from: number;
  to: number;
}

export interface MaskedSource {
  /** The source with IPython syntax replaced; exactly as many lines as the input. */
  python: string;
  commands: CellCommand[];
  /** What was replaced: findings that start there, and fix edits that touch it, do not belong to the cell's code. */
  masked: MaskedSpan[];
}

/** Cell magics whose body is Python (run in this kernel, or as a Python script). */
const PYTHON_BODY = new Set(['time', 'timeit', 'capture', 'prun', 'debug', 'python', 'python2', 'python3', 'pypy', 'memit', 'mprun']);
/** Cell magics whose body is shell commands, one per line. */
const SHELL_BODY = new Set(['bash', 'sh', 'sx', 'system', '!']);
const SHELLS = new Set(['bash', 'sh', 'zsh', 'dash', 'ksh', 'fish', 'csh', 'tcsh']);
/** Line magics that install packages: the command is the magic's name and its arguments. */
const PACKAGE_MAGICS = new Set(['pip', 'conda', 'mamba', 'micromamba']);
/** Line magics that run their argument in a shell. */
const SHELL_MAGICS = new Set(['sx', 'system']);
/** Line magics whose argument (after options) is a Python statement; the options that take a value. */
const STATEMENT_MAGICS = new Map<string, Set<string>>([
  ['time', new Set()],
  ['timeit', new Set(['n', 'r', 'p'])],
  ['prun', new Set(['l', 's', 'T', 'D'])],
]);
const COMPOUND = /^(?:async\s+)?(?:for|while|if|elif|else|with|def|class|try|except|finally|match|case)\b/;
const PY_KEYWORD_AFTER_NAME = new Set(['in', 'is', 'if', 'else', 'and', 'or', 'not', 'for']);

/** Where the Python lexer is at the end of a line. */
interface LexState {
  /** Open brackets. */
  depth: number;
  /** The quote of the string that runs on to the next line (`'`, `"`, `'''` or `"""`), if any. */
  quote: string | undefined;
  /** The line ended with a backslash continuation. */
  continued: boolean;
}

/** A line split from its `\r` (kept, so masking never changes line endings). */
interface Line {
  text: string;
  cr: string;
}

function splitLines(source: string): Line[] {
  return source.split('\n').map((l) => (l.endsWith('\r') ? { text: l.slice(0, -1), cr: '\r' } : { text: l, cr: '' }));
}

/** A fresh lexer state: the start of a logical line. */
const fresh = (): LexState => ({ depth: 0, quote: undefined, continued: false });

/**
 * Run the lexer over `text` from `from`, updating `state`: strings (single, triple, with backslash escapes; the
 * prefix letters do not matter for where a string ends), comments, brackets, the backslash at the end. Returns the
 * column where a comment starts, or -1. Linear in the line's length.
 */
function lex(text: string, from: number, state: LexState): number {
  let last = text.length - 1;
  while (last >= 0 && (text[last] === ' ' || text[last] === '\t')) last--;
  let i = from;
  state.continued = false;
  while (i < text.length) {
    const c = text[i];
    if (state.quote) {
      if (c === '\\') {
        // A backslash before the line break: a single-quoted string goes on to the next line.
        if (i >= last) return -1;
        i += 2;
        continue;
      }
      if (c === state.quote[0] && text.startsWith(state.quote, i)) {
        i += state.quote.length;
        state.quote = undefined;
        continue;
      }
      i++;
      continue;
    }
    if (c === '#') return i;
    if (c === '"' || c === "'") {
      state.quote = text.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      i += state.quote.length;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') state.depth++;
    else if (c === ')' || c === ']' || c === '}') state.depth = Math.max(0, state.depth - 1);
    else if (c === '\\' && i === last) {
      state.continued = true;
      return -1;
    }
    i++;
  }
  // An unterminated single-quoted string ends with its line (the parser reports it); a triple-quoted one goes on.
  if (state.quote && state.quote.length === 1) state.quote = undefined;
  return -1;
}

/** Cut a trailing shell comment (`#` at the start of a word, outside quotes) and surrounding space. */
export function stripShellComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '\\') i++;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

/**
 * The lines `start..end` of a backslash-continued command, as one command text starting at `column` of `start`
 * (the backslashes dropped, the lines' pieces joined with a space, a trailing shell comment cut), with its pieces.
 */
function joinContinued(lines: Line[], start: number, end: number, column: number): { text: string; pieces: TextPiece[] } {
  const pieces: TextPiece[] = [];
  const parts: string[] = [];
  let offset = 0;
  for (let k = start; k <= end; k++) {
    const raw = lines[k].text;
    const from = k === start ? column : skipSpace(raw, 0);
    let t = raw.slice(from);
    if (k < end) t = t.replace(/\\\s*$/, '');
    t = t.trimEnd();
    if (t === '') continue;
    pieces.push({ offset, line: k, character: from, length: t.length });
    parts.push(t);
    offset += t.length + 1;
  }
  const text = stripShellComment(parts.join(' '));
  const kept = pieces.filter((p) => p.offset < text.length || p.offset === 0);
  for (const p of kept) p.length = Math.max(0, Math.min(p.length, text.length - p.offset));
  return { text, pieces: kept.length ? kept : [{ offset: 0, line: start, character: column, length: 0 }] };
}

/** The last line of a physical line's backslash continuation (itself when it does not end with a backslash). */
function continuationEnd(lines: Line[], start: number): number {
  let k = start;
  while (k < lines.length - 1 && /\\\s*$/.test(lines[k].text)) k++;
  return k;
}

interface Masker {
  lines: Line[];
  out: string[];
  commands: CellCommand[];
  masked: MaskedSpan[];
}

function maskWhole(m: Masker, line: number, replacement: string): void {
  m.out[line] = replacement + m.lines[line].cr;
  m.masked.push({ line, from: 0, to: Infinity });
}

function addCommand(m: Masker, joined: { text: string; pieces: TextPiece[] }, via: CellCommand['via'], line: number, character: number): void {
  if (joined.text.trim() === '') return;
  m.commands.push({ text: joined.text, via, line, character, pieces: joined.pieces });
}

/** The column where the first non-space character at or after `from` is (the line's length when there is none). */
function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return i;
}

/** The column where the statement of `%time`/`%timeit`/`%prun` starts (after the options); -1 when there is none. */
function statementStart(text: string, from: number, valued: Set<string>): number {
  let i = skipSpace(text, from);
  while (i < text.length && text[i] === '-' && /[A-Za-z-]/.test(text[i + 1] ?? '')) {
    let end = i;
    while (end < text.length && text[end] !== ' ' && text[end] !== '\t') end++;
    const flag = text.slice(i, end).replace(/^-+/, '');
    i = end;
    // `-n 10` takes the next word; `-n10` carries its value.
    if (flag.length === 1 && valued.has(flag)) {
      i = skipSpace(text, i);
      while (i < text.length && !/\s/.test(text[i])) i++;
    }
    i = skipSpace(text, i);
  }
  return i < text.length ? i : -1;
}

/**
 * The column of the `!`/`%` right of an assignment's top-level `=` (`x = !ls`, `a, b = %sx ls`), or -1. Strings and
 * brackets before the `=` are skipped; comparison, augmented and walrus operators are not assignments.
 */
function assignedMagic(text: string): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote[0] && text.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = undefined;
      }
      continue;
    }
    if (c === '#') return -1;
    if (c === '"' || c === "'") {
      quote = text.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      i += quote.length - 1;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === '=' && depth === 0) {
      if (text[i + 1] === '=') {
        i++;
        continue;
      }
      if (i > 0 && '=!<>+-*/%&|^@:'.includes(text[i - 1])) continue;
      const j = skipSpace(text, i + 1);
      if (text[j] === '!' || (text[j] === '%' && /[A-Za-z_%]/.test(text[j + 1] ?? ''))) return j;
      return -1;
    }
  }
  return -1;
}

/**
 * Mask the magic at `line` (a logical line start) if there is one. Returns the last line consumed, or -1 when the
 * line is Python. When only a prefix is replaced (`%time stmt`), the rest of the line is lexed into `state`.
 */
function maskLineMagic(m: Masker, line: number, state: LexState): number {
  const { text } = m.lines[line];
  const indent = skipSpace(text, 0);
  const t = text.slice(indent);
  if (t === '') return -1;
  const pad = text.slice(0, indent);
  const end = () => continuationEnd(m.lines, line);
  const maskRun = (last: number) => {
    maskWhole(m, line, `${pad}pass`);
    for (let k = line + 1; k <= last; k++) maskWhole(m, k, '');
    return last;
  };

  // !!cmd and !cmd: a shell command.
  if (t[0] === '!') {
    const last = end();
    const start = skipSpace(text, indent + (t[1] === '!' ? 2 : 1));
    addCommand(m, joinContinued(m.lines, line, last, start), 'shell', line, start);
    return maskRun(last);
  }
  // %%name in the middle of a cell (IPython refuses it there): masked, nothing collected.
  if (t.startsWith('%%')) return maskRun(end());
  const magic = /^%([A-Za-z_]\w*)/.exec(t);
  if (magic) {
    const name = magic[1];
    const last = end();
    const args = indent + magic[0].length;
    if (PACKAGE_MAGICS.has(name)) {
      addCommand(m, joinContinued(m.lines, line, last, indent + 1), 'magic', line, indent + 1);
      return maskRun(last);
    }
    if (SHELL_MAGICS.has(name)) {
      const start = skipSpace(text, args);
      addCommand(m, joinContinued(m.lines, line, last, start), 'shell', line, start);
      return maskRun(last);
    }
    const valued = STATEMENT_MAGICS.get(name);
    if (valued && last === line) {
      const start = statementStart(text, args, valued);
      const stmt = start === -1 ? '' : text.slice(start);
      // `if 1:` takes the magic's place; a compound statement cannot follow it on the same line.
      if (start !== -1 && start - indent >= 5 && !COMPOUND.test(stmt)) {
        m.out[line] = `${pad}${'if 1:'.padEnd(start - indent)}${stmt}${m.lines[line].cr}`;
        m.masked.push({ line, from: indent, to: start });
        lex(text, start, state);
        return line;
      }
    }
    return maskRun(last);
  }
  // Help: ?obj, ??obj, obj?, obj?? (a `?` is never Python outside strings and comments).
  if (t[0] === '?') return maskRun(end());
  if (/^[/,;]/.test(t)) return maskRun(end());
  const help = fresh();
  const comment = lex(text, 0, help);
  const code = comment === -1 ? text : text.slice(0, comment);
  if (code.trimEnd().endsWith('?') && help.depth === 0 && !help.quote) return maskRun(end());
  // Automagic package commands: `pip install x` (two names in a row are never Python).
  const auto = /^(pip|conda|mamba|micromamba)[ \t]+([A-Za-z][\w-]*)/.exec(t);
  if (auto && !PY_KEYWORD_AFTER_NAME.has(auto[2])) {
    const last = end();
    addCommand(m, joinContinued(m.lines, line, last, indent), 'magic', line, indent);
    return maskRun(last);
  }
  // x = !cmd, x = %magic args
  const at = assignedMagic(t);
  if (at !== -1) {
    const col = indent + at;
    const last = end();
    const rhs = text.slice(col);
    if (rhs[0] === '!') {
      const start = skipSpace(text, col + (rhs[1] === '!' ? 2 : 1));
      addCommand(m, joinContinued(m.lines, line, last, start), 'shell', line, start);
    } else {
      const name = /^%(\w+)/.exec(rhs)?.[1];
      if (name && PACKAGE_MAGICS.has(name)) addCommand(m, joinContinued(m.lines, line, last, col + 1), 'magic', line, col + 1);
      else if (name && SHELL_MAGICS.has(name)) {
        const start = skipSpace(text, col + 1 + name.length);
        addCommand(m, joinContinued(m.lines, line, last, start), 'shell', line, start);
      }
    }
    m.out[line] = `${text.slice(0, col)}...${m.lines[line].cr}`;
    m.masked.push({ line, from: col, to: Infinity });
    for (let k = line + 1; k <= last; k++) maskWhole(m, k, '');
    return last;
  }
  return -1;
}

/** Mask lines `from..to` (inclusive) as Python with line magics, starting at a fresh logical line. */
function maskPythonLines(m: Masker, from: number, to: number): void {
  const state = fresh();
  for (let line = from; line <= to; line++) {
    const atStart = state.depth === 0 && !state.quote && !state.continued;
    if (atStart) {
      const last = maskLineMagic(m, line, state);
      if (last !== -1) {
        line = last;
        continue;
      }
    }
    lex(m.lines[line].text, 0, state);
  }
}

/** Every line of `from..to` emptied; the non-blank, non-comment lines collected as shell commands. */
function maskShellBody(m: Masker, from: number, to: number, collect: boolean): void {
  for (let line = from; line <= to; line++) {
    const last = continuationEnd(m.lines, Math.min(line, to));
    const end = Math.min(last, to);
    if (collect) {
      const { text } = m.lines[line];
      const start = skipSpace(text, 0);
      if (start < text.length && text[start] !== '#') addCommand(m, joinContinued(m.lines, line, end, start), 'shell', line, start);
    }
    for (let k = line; k <= end; k++) maskWhole(m, k, '');
    line = end;
  }
}

/** What a cell magic's body is: Python, shell commands, or something else (masked, not analysed). */
export function cellMagicBody(firstLine: string): 'python' | 'shell' | 'other' {
  const m = /^\s*%%(!|[A-Za-z_]\w*)(.*)$/.exec(firstLine);
  if (!m) return 'other';
  const name = m[1];
  if (PYTHON_BODY.has(name)) return 'python';
  if (SHELL_BODY.has(name)) return 'shell';
  if (name === 'script') {
    // `%%script [options] <program>`: the program's base name decides.
    const words = m[2].trim().split(/\s+/).filter((w) => w && !w.startsWith('-'));
    const prog = (words[0] ?? '').split('/').pop() ?? '';
    if (SHELLS.has(prog)) return 'shell';
    if (/^(?:python[\d.]*|pypy[\d.]*)$/.test(prog)) return 'python';
  }
  return 'other';
}

/** Mask one cell's IPython syntax. Pure; never throws for any string. */
export function maskMagics(source: string): MaskedSource {
  const lines = splitLines(source);
  const m: Masker = { lines, out: lines.map((l) => l.text + l.cr), commands: [], masked: [] };
  let first = 0;
  while (first < lines.length && lines[first].text.trim() === '') first++;
  const last = lines.length - 1;
  if (first <= last && /^\s*%%/.test(lines[first].text)) {
    const body = cellMagicBody(lines[first].text);
    maskWhole(m, first, '');
    if (body === 'python') maskPythonLines(m, first + 1, last);
    else maskShellBody(m, first + 1, last, body === 'shell');
  } else {
    maskPythonLines(m, 0, last);
  }
  m.masked.sort((a, b) => a.line - b.line || a.from - b.from);
  return { python: m.out.join('\n'), commands: m.commands, masked: m.masked };
}
