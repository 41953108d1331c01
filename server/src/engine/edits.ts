/** Ranges and text edits built from tree nodes, for findings and their fixes. */
import type { Node } from './parser';
import type { CallSite, SemanticModel } from './semantic';
import type { Position, Range, TextEdit } from './types';

export function rangeOf(node: Node): Range {
  return {
    start: { line: node.startPosition.row, character: node.startPosition.column },
    end: { line: node.endPosition.row, character: node.endPosition.column },
  };
}

export function replaceNode(node: Node, newText: string): TextEdit {
  return { range: rangeOf(node), newText };
}

/**
 * Add `keyword=value` as the call's last argument, right after the current last one (so a trailing comma or a
 * multi-line layout stays valid). Undefined when the call has no argument list (`f(x for x in y)`).
 */
export function addKeywordArgument(call: CallSite, text: string): TextEdit | undefined {
  const args = call.argumentList;
  if (!args) return undefined;
  const items = args.namedChildren.filter((n): n is Node => !!n && n.type !== 'comment');
  if (items.length === 0) {
    const close = args.lastChild;
    if (!close || close.type !== ')') return undefined;
    const at = rangeOf(close).start;
    return { range: { start: at, end: at }, newText: text };
  }
  const last = items[items.length - 1];
  // The token after the last argument, found among the list's children: `last.nextSibling` walks down from the root
  // in web-tree-sitter, which costs the nesting depth on every call (quadratic on deeply nested calls).
  const children = args.children;
  const lastAt = children.findIndex((n) => n?.id === last.id);
  const comma = lastAt >= 0 ? children[lastAt + 1] : null;
  if (comma?.type === ',' && last.startPosition.row > args.startPosition.row && last.startPosition.row < args.endPosition.row) {
    // One argument per line with a trailing comma: a new line in the same style.
    const lineStart = last.startIndex - last.startPosition.column;
    const indent = call.model.text.slice(lineStart, last.startIndex);
    if (indent.trim() === '') {
      const at = rangeOf(comma).end;
      return { range: { start: at, end: at }, newText: `\n${indent}${text},` };
    }
  }
  const at = rangeOf(last).end;
  return { range: { start: at, end: at }, newText: `, ${text}` };
}

/** Set keyword `name` to `value`: replace the value when the keyword is there, else add it. */
export function setKeywordArgument(call: CallSite, name: string, value: string): TextEdit | undefined {
  const existing = call.keywords.get(name);
  if (existing) return replaceNode(existing, value);
  return addKeywordArgument(call, `${name}=${value}`);
}

/** Offsets (UTF-16) of each line start, to turn positions into string indices. */
export function offsetAt(text: string, lineStarts: number[], line: number, character: number): number {
  const base = line < lineStarts.length ? lineStarts[line] : text.length;
  return Math.min(base + character, text.length);
}

/**
 * Apply non-overlapping edits to `text`. Identical edits (two fixes adding the same `import`) apply once; other
 * overlapping edits throw: a fix that collides with another is a bug.
 */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const seen = new Set<string>();
  edits = edits.filter((e) => {
    const key = JSON.stringify(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const spans = edits
    .map((e) => ({
      from: offsetAt(text, starts, e.range.start.line, e.range.start.character),
      to: offsetAt(text, starts, e.range.end.line, e.range.end.character),
      text: e.newText,
    }))
    .sort((a, b) => b.from - a.from || b.to - a.to);
  let out = text;
  let limit = Infinity;
  for (const s of spans) {
    if (s.to > limit) throw new Error(`overlapping edits at offset ${s.from}`);
    out = out.slice(0, s.from) + s.text + out.slice(s.to);
    limit = s.from;
  }
  return out;
}

const BLOCK_PARENTS = new Set(['module', 'block']);

/** The statement holding `node` that sits directly in a block or the module. */
export function enclosingStatement(node: Node): Node | undefined {
  for (let n: Node | null = node; n; n = n.parent) {
    if (n.parent && BLOCK_PARENTS.has(n.parent.type)) return n;
  }
  return undefined;
}

/**
 * What the fix helpers need to know about the text of the file being analysed, computed once per text: every fix of
 * a file asks again, and scanning the whole text each time would cost a quadratic time on a file with many findings.
 */
let lastText: { text: string; lineStarts: number[]; eol: string } | undefined;
function textInfo(text: string): { lineStarts: number[]; eol: string } {
  if (lastText?.text !== text) {
    const lineStarts = [0];
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    lastText = { text, lineStarts, eol: text.includes('\r\n') ? '\r\n' : '\n' };
  }
  return lastText;
}

function lineBounds(text: string, row: number): { start: number; end: number } {
  const { lineStarts } = textInfo(text);
  if (row >= lineStarts.length) return { start: text.length, end: text.length };
  const start = lineStarts[row];
  let end = text.indexOf('\n', start);
  if (end === -1) end = text.length;
  if (end > start && text[end - 1] === '\r') end--;
  return { start, end };
}

/**
 * Insert `line` as a new line after the statement holding `node`, at the statement's indentation. Undefined when the
 * statement does not start its own line (`if x: y = f()`), where a new line would not belong to the same block.
 */
export function insertLineAfterStatement(text: string, node: Node, line: string): TextEdit | undefined {
  const stmt = enclosingStatement(node);
  if (!stmt) return undefined;
  const first = lineBounds(text, stmt.startPosition.row);
  const indent = text.slice(first.start, first.start + stmt.startPosition.column);
  if (indent.trim() !== '') return undefined;
  const last = lineBounds(text, stmt.endPosition.row);
  const at = { line: stmt.endPosition.row, character: last.end - last.start };
  const eol = textInfo(text).eol;
  return { range: { start: at, end: at }, newText: `${eol}${indent}${line}` };
}


// ------------------------------------------------------------------ adding an import

/**
 * Python's standard-library modules (the public names of Python 3.11's `sys.stdlib_module_names`, which still has the
 * ones 3.12 and 3.13 removed): an added import of one belongs among the file's standard-library imports.
 */
const STDLIB = new Set(
  (
    'abc aifc argparse array ast asynchat asyncio asyncore atexit audioop base64 bdb binascii bisect builtins bz2 ' +
    'calendar cgi cgitb chunk cmath cmd code codecs codeop collections colorsys compileall concurrent configparser ' +
    'contextlib contextvars copy copyreg cProfile crypt csv ctypes curses dataclasses datetime dbm decimal difflib ' +
    'dis distutils doctest email encodings ensurepip enum errno faulthandler fcntl filecmp fileinput fnmatch ' +
    'fractions ftplib functools gc genericpath getopt getpass gettext glob graphlib grp gzip hashlib heapq hmac ' +
    'html http imaplib imghdr imp importlib inspect io ipaddress itertools json keyword lib2to3 linecache locale ' +
    'logging lzma mailbox mailcap marshal math mimetypes mmap modulefinder msilib msvcrt multiprocessing netrc nis ' +
    'nntplib nt ntpath nturl2path numbers opcode operator optparse os ossaudiodev pathlib pdb pickle pickletools ' +
    'pipes pkgutil platform plistlib poplib posix posixpath pprint profile pstats pty pwd py_compile pyclbr pydoc ' +
    'pyexpat queue quopri random re readline reprlib resource rlcompleter runpy sched secrets select selectors ' +
    'shelve shlex shutil signal site smtpd smtplib sndhdr socket socketserver spwd sqlite3 sre_compile ' +
    'sre_constants sre_parse ssl stat statistics string stringprep struct subprocess sunau symtable sys sysconfig ' +
    'syslog tabnanny tarfile telnetlib tempfile termios textwrap threading time timeit tkinter token tokenize ' +
    'tomllib trace traceback tracemalloc tty turtle types typing unicodedata unittest urllib uu uuid venv warnings ' +
    'wave weakref webbrowser winreg winsound wsgiref xdrlib xml xmlrpc zipapp zipfile zipimport zlib zoneinfo'
  ).split(' '),
);

/** The module a top-level import names: `os.path` for `import os.path as p`, `typing` for `from typing import Any`. */
function importedModule(s: Node): string {
  const n = s.type === 'import_from_statement' ? s.childForFieldName('module_name') : s.childForFieldName('name');
  const text = n?.type === 'aliased_import' ? n.childForFieldName('name')?.text : n?.text;
  return (text ?? '').trim();
}

function isDocstring(n: Node): boolean {
  return n.type === 'expression_statement' && n.namedChildCount === 1 && /^(concatenated_)?string$/.test(n.firstNamedChild?.type ?? '');
}

const importEdits = new WeakMap<SemanticModel, Map<string, TextEdit | null>>();

/**
 * The edit that adds `import <module>` (a standard-library module) to the file, for a fix that uses the module where
 * nothing imports it yet; undefined when the file's leading imports already hold `import <module>`. Where it goes,
 * as isort and ruff would put it:
 * - among the standard-library imports that open the file's leading import block (the imports right after the
 *   docstring and the `from __future__` imports), in alphabetical order: `import` statements first, then `from`
 *   imports (isort's default); in a block where an `import` follows a `from` import (force-sort-within-sections),
 *   by module name alone;
 * - else, when the block opens with other imports, before them, with a blank line between;
 * - else (no leading imports: none at all, or only inside `try:` or `if TYPE_CHECKING:`), after the docstring and
 *   `from __future__` imports, else after the comment lines that open the file (a shebang, an encoding line, a
 *   licence header) and the blank lines after them, with blank lines around it.
 * It never splits a line that holds several statements or a trailing comment.
 *
 * The place is the same for every fix of the file, so it is worked out once per file and module (it reads the
 * module's statements, which would make a file with n fixes quadratic); each call gets its own copy of the edit.
 */
export function addImportEdit(model: SemanticModel, module: string): TextEdit | undefined {
  let byModule = importEdits.get(model);
  if (!byModule) importEdits.set(model, (byModule = new Map()));
  let edit = byModule.get(module);
  if (edit === undefined) byModule.set(module, (edit = importEditOnce(model, module) ?? null));
  if (!edit) return undefined;
  const { start, end } = edit.range;
  return { range: { start: { ...start }, end: { ...end } }, newText: edit.newText };
}

function importEditOnce(model: SemanticModel, module: string): TextEdit | undefined {
  const text = model.text;
  const { eol, lineStarts } = textInfo(text);
  const line = `import ${module}`;

  // The module's leading statements, through a cursor that stops after the first statement that is not a docstring
  // or an import (and what shares its lines): `root.namedChildren` would build every top-level node.
  const read: Node[] = []; // every top-level node read, comments included
  let after: Node | undefined; // the docstring or the last `from __future__` import
  const imports: Node[] = [];
  let next: Node | undefined; // the first other statement
  let stage: 'docstring' | 'future' | 'imports' = 'docstring';
  let lastRow = -1;
  const cursor = model.tree.rootNode.walk();
  try {
    for (let more = cursor.gotoFirstChild(); more; more = cursor.gotoNextSibling()) {
      if (!cursor.nodeIsNamed) continue;
      const n = cursor.currentNode;
      if (next && n.startPosition.row > lastRow) break;
      read.push(n);
      lastRow = Math.max(lastRow, n.endPosition.row);
      if (next || n.type === 'comment') continue;
      if (stage === 'docstring' && isDocstring(n)) {
        after = n;
        stage = 'future';
      } else if (stage !== 'imports' && n.type === 'future_import_statement') {
        after = n;
        stage = 'future';
      } else if (n.type === 'import_statement' || n.type === 'import_from_statement') {
        if (n.type === 'import_statement' && n.namedChildren.some((c) => c?.type === 'dotted_name' && c.text === module)) return undefined;
        imports.push(n);
        stage = 'imports';
      } else {
        next = n;
      }
    }
  } finally {
    cursor.delete();
  }

  const insert = (at: Position, newText: string): TextEdit => ({ range: { start: at, end: { ...at } }, newText });
  /** The end of `n`'s last line, past whatever shares that line (`import os; x = """...`, a trailing comment). */
  const endOfLines = (n: Node): Position => {
    let row = n.endPosition.row;
    for (let i = read.indexOf(n) + 1; i < read.length && read[i].startPosition.row <= row; i++) row = Math.max(row, read[i].endPosition.row);
    const b = lineBounds(text, row);
    return { line: row, character: b.end - b.start };
  };
  /** Insert `line` on its own line before `n`; after `n`'s line when `n` does not start its line (`import a; import b`). */
  const before = (n: Node, blank: boolean): TextEdit =>
    n.startPosition.column === 0
      ? insert({ line: n.startPosition.row, character: 0 }, `${line}${eol}${blank ? eol : ''}`)
      : insert(endOfLines(n), `${eol}${line}`);
  const isBlank = (row: number) => {
    const b = lineBounds(text, row);
    return text.slice(b.start, b.end).trim() === '';
  };

  const stdlib: Node[] = [];
  for (const s of imports) {
    if (!STDLIB.has(importedModule(s).split('.')[0])) break;
    stdlib.push(s);
  }
  if (stdlib.length) {
    const firstFrom = stdlib.findIndex((s) => s.type === 'import_from_statement');
    const bySections = firstFrom !== -1 && stdlib.slice(firstFrom).every((s) => s.type === 'import_from_statement');
    const sorted = bySections ? stdlib.slice(0, firstFrom) : stdlib;
    const later = sorted.find((s) => importedModule(s).toLowerCase() > module) ?? (bySections ? stdlib[firstFrom] : undefined);
    if (later) return before(later, false);
    return insert(endOfLines(stdlib[stdlib.length - 1]), `${eol}${line}`);
  }
  if (imports.length) return before(imports[0], true);
  if (after) {
    const end = endOfLines(after);
    const more = end.line + 1 < lineStarts.length && !isBlank(end.line + 1);
    return insert(end, `${eol}${eol}${line}${more ? eol : ''}`);
  }
  if (!next) {
    // Nothing but comments: at the end.
    const end = { line: lineStarts.length - 1, character: text.length - lineStarts[lineStarts.length - 1] };
    return insert(end, `${end.character > 0 ? eol : ''}${line}${eol}`);
  }
  // The lines above the first statement hold only comments and blank lines: skip the comments that open the file
  // (a shebang and an encoding line must stay first) and the blank lines after them.
  const first = next.startPosition.row;
  let row = 0;
  while (row < first && !isBlank(row)) row++;
  while (row < first && isBlank(row)) row++;
  return insert({ line: row, character: 0 }, `${line}${eol}${eol}`);
}
