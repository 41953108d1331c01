/**
 * PEP 508 dependency specifiers, parsed by hand with positions:
 *
 *     name [extras] (version-specifiers | "@" URL) ["; " marker]
 *
 * The name is a letter or digit, then letters, digits, `-`, `_`, `.`, ending in a letter or digit. Specifiers are
 * comma-separated `op version` clauses, optionally in parentheses (the legacy form). A URL runs to the next
 * whitespace, so a marker after a URL must be preceded by a space. Markers are checked against the marker grammar
 * (`and`/`or`, parentheses, the environment variables, quoted strings, comparison, `in`, `not in`).
 * Positions are indices into the string given.
 */
import { OPERATORS, clauseError, type Clause } from './pep440';

export interface Requirement {
  name: string;
  nameStart: number;
  nameEnd: number;
  extras: string[];
  clauses: Clause[];
  /** The clauses without whitespace or parentheses, comma-separated: `>=4.40,<5`. */
  specifier: string;
  url?: string;
  urlStart?: number;
  urlEnd?: number;
  marker?: string;
  /** The requirement without surrounding whitespace. */
  start: number;
  end: number;
}

export interface SyntaxProblem {
  message: string;
  start: number;
  end: number;
}

export type RequirementResult = { ok: true; requirement: Requirement } | { ok: false; error: SyntaxProblem };

export interface RequirementOptions {
  /** Accept pip's `${VAR}` environment variables in versions and URLs (requirements files). */
  envVars?: boolean;
}

const NAME = /[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/y;
const WS = /[ \t]*/y;
const VERSION_CHARS = /(?:[A-Za-z0-9_.*+!-])+/y;
const VERSION_CHARS_ENV = /(?:[A-Za-z0-9_.*+!-]|\$\{[A-Za-z0-9_]+\})+/y;

const MARKER_VARS = [
  'python_version',
  'python_full_version',
  'os_name',
  'sys_platform',
  'platform_release',
  'platform_system',
  'platform_version',
  'platform_machine',
  'platform_python_implementation',
  'implementation_name',
  'implementation_version',
  'extra',
  'extras',
  'dependency_groups',
  // legacy spellings packaging still accepts
  'os.name',
  'sys.platform',
  'platform.version',
  'platform.machine',
  'platform.python_implementation',
  'python_implementation',
];

class Scanner {
  pos: number;
  constructor(
    readonly s: string,
    start = 0,
  ) {
    this.pos = start;
  }
  ws(): void {
    WS.lastIndex = this.pos;
    WS.exec(this.s);
    this.pos = WS.lastIndex;
  }
  match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.s);
    if (!m) return undefined;
    this.pos = re.lastIndex;
    return m[0];
  }
  peek(n = 1): string {
    return this.s.slice(this.pos, this.pos + n);
  }
  get done(): boolean {
    return this.pos >= this.s.length;
  }
}

class Fail extends Error {
  constructor(readonly problem: SyntaxProblem) {
    super(problem.message);
  }
}

function fail(message: string, start: number, end = start + 1): never {
  throw new Fail({ message, start, end });
}

function describe(s: string, at: number): string {
  if (at >= s.length) return 'end of text';
  const ch = s[at];
  return ch === '`' ? 'a backtick' : `\`${ch}\``;
}

/** Parses `s` as one PEP 508 requirement (leading and trailing whitespace allowed). Never throws. */
export function parseRequirement(s: string, options: RequirementOptions = {}): RequirementResult {
  try {
    return { ok: true, requirement: parse(s, options) };
  } catch (e) {
    if (e instanceof Fail) {
      const end = Math.min(Math.max(e.problem.end, e.problem.start), s.length);
      return { ok: false, error: { ...e.problem, start: Math.min(e.problem.start, s.length), end } };
    }
    return { ok: false, error: { message: 'unreadable requirement', start: 0, end: s.length } };
  }
}

function parse(s: string, options: RequirementOptions): Requirement {
  const sc = new Scanner(s);
  sc.ws();
  const start = sc.pos;
  const nameStart = sc.pos;
  const name = sc.match(NAME);
  if (!name) fail(sc.done ? 'expected a package name' : `expected a package name, found ${describe(s, sc.pos)}`, sc.pos);
  const nameEnd = sc.pos;
  if (s[sc.pos] === '$' && s[sc.pos + 1] === '{') fail('a package name cannot hold an environment variable', nameStart, sc.pos + 2);
  sc.ws();
  const extras: string[] = [];
  if (sc.peek() === '[') {
    const open = sc.pos;
    sc.pos++;
    sc.ws();
    if (sc.peek() !== ']') {
      for (;;) {
        sc.ws();
        const extra = sc.match(NAME);
        if (!extra) fail(`expected an extra's name, found ${describe(s, sc.pos)}`, sc.pos);
        extras.push(extra);
        sc.ws();
        if (sc.peek() === ',') {
          sc.pos++;
          continue;
        }
        if (sc.peek() === ']') break;
        if (sc.done) fail('the extras are not closed with `]`', open, s.length);
        fail(`expected \`,\` or \`]\` in the extras, found ${describe(s, sc.pos)}`, sc.pos);
      }
    }
    sc.pos++; // ]
    sc.ws();
  }
  const clauses: Clause[] = [];
  let url: string | undefined;
  let urlStart: number | undefined;
  let urlEnd: number | undefined;
  let end = sc.pos;
  if (sc.peek() === '@') {
    sc.pos++;
    sc.ws();
    urlStart = sc.pos;
    while (!sc.done && !/\s/.test(s[sc.pos])) sc.pos++;
    urlEnd = sc.pos;
    url = s.slice(urlStart, urlEnd);
    if (!url) fail('expected a URL after `@`', urlStart);
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(url) && !options.envVars) fail(`\`${url}\` is not a URL (it has no scheme)`, urlStart, urlEnd);
    end = sc.pos;
    sc.ws();
  } else {
    const paren = sc.peek() === '(';
    const parenAt = sc.pos;
    if (paren) {
      sc.pos++;
      sc.ws();
    }
    if (paren || /^[<>=!~]/.test(sc.peek())) {
      for (;;) {
        sc.ws();
        const opAt = sc.pos;
        const op = OPERATORS.find((o) => s.startsWith(o, sc.pos));
        if (!op) fail(`expected a version operator (==, >=, <, ~=, ...), found ${describe(s, sc.pos)}`, sc.pos);
        sc.pos += op.length;
        sc.ws();
        const vAt = sc.pos;
        const version = op === '===' ? sc.match(/[^\s,;)]+/y) : sc.match(options.envVars ? VERSION_CHARS_ENV : VERSION_CHARS);
        if (!version) fail(`expected a version after \`${op}\`, found ${describe(s, sc.pos)}`, sc.pos);
        const bad = clauseError(op, version);
        if (bad) fail(bad, opAt, vAt + version.length);
        clauses.push({ op, version });
        end = sc.pos;
        sc.ws();
        if (sc.peek() === ',') {
          sc.pos++;
          continue;
        }
        break;
      }
      if (paren) {
        if (sc.peek() !== ')') fail(sc.done ? 'the version specifier is not closed with `)`' : `expected \`,\` or \`)\`, found ${describe(s, sc.pos)}`, sc.done ? parenAt : sc.pos, sc.done ? s.length : sc.pos + 1);
        sc.pos++;
        end = sc.pos;
        sc.ws();
      }
    }
  }
  if (!clauses.length && url === undefined) {
    // end of the name or of the extras
    let e = sc.pos;
    while (e > start && /\s/.test(s[e - 1])) e--;
    end = e;
  }
  let marker: string | undefined;
  if (sc.peek() === ';') {
    if (url !== undefined && !/\s/.test(s[sc.pos - 1] ?? '')) fail('a marker after a URL must be preceded by a space', sc.pos);
    sc.pos++;
    const markerStart = sc.pos;
    const m = new Scanner(s, markerStart);
    checkMarker(m);
    m.ws();
    if (!m.done) fail(`unexpected ${describe(s, m.pos)} in the marker`, m.pos);
    marker = s.slice(markerStart).trim();
    if (!marker) fail('expected a marker after `;`', markerStart);
    let e = s.length;
    while (e > start && /\s/.test(s[e - 1])) e--;
    end = e;
    sc.pos = s.length;
  }
  sc.ws();
  if (!sc.done) {
    if (url === undefined && !clauses.length && /[0-9]/.test(s[sc.pos])) fail(`expected a version operator before \`${s.slice(sc.pos).trim().split(/\s/)[0]}\` (e.g. \`==\`)`, sc.pos);
    fail(`unexpected ${describe(s, sc.pos)} after the requirement`, sc.pos);
  }
  const requirement: Requirement = { name, nameStart, nameEnd, extras, clauses, specifier: clauses.map((c) => c.op + c.version).join(','), start, end };
  if (url !== undefined) Object.assign(requirement, { url, urlStart, urlEnd });
  if (marker !== undefined) requirement.marker = marker;
  return requirement;
}

// marker grammar: or := and ('or' and)* ; and := expr ('and' expr)* ; expr := '(' or ')' | value op value
function checkMarker(sc: Scanner): void {
  markerAnd(sc);
  for (;;) {
    sc.ws();
    if (!keyword(sc, 'or')) return;
    markerAnd(sc);
  }
}

function markerAnd(sc: Scanner): void {
  markerExpr(sc);
  for (;;) {
    sc.ws();
    if (!keyword(sc, 'and')) return;
    markerExpr(sc);
  }
}

function keyword(sc: Scanner, word: string): boolean {
  if (!sc.s.startsWith(word, sc.pos)) return false;
  const after = sc.s[sc.pos + word.length];
  if (after !== undefined && /[A-Za-z0-9_.]/.test(after)) return false;
  sc.pos += word.length;
  return true;
}

let depth = 0;

function markerExpr(sc: Scanner): void {
  sc.ws();
  if (sc.peek() === '(') {
    const open = sc.pos;
    if (++depth > 100) {
      depth = 0;
      fail('the marker is nested too deeply', open);
    }
    sc.pos++;
    try {
      checkMarker(sc);
    } finally {
      depth = Math.max(0, depth - 1);
    }
    sc.ws();
    if (sc.peek() !== ')') fail(sc.done ? 'the marker is missing `)`' : `expected \`)\` in the marker, found ${describe(sc.s, sc.pos)}`, sc.done ? open : sc.pos);
    sc.pos++;
    return;
  }
  markerValue(sc);
  sc.ws();
  const opAt = sc.pos;
  const op = ['===', '~=', '==', '!=', '<=', '>=', '<', '>'].find((o) => sc.s.startsWith(o, sc.pos));
  if (op) sc.pos += op.length;
  else if (keyword(sc, 'in')) {
    /* in */
  } else if (keyword(sc, 'not')) {
    sc.ws();
    if (!keyword(sc, 'in')) fail('expected `in` after `not` in the marker', sc.pos);
  } else fail(sc.done ? 'the marker is incomplete: expected a comparison' : `expected a comparison in the marker, found ${describe(sc.s, opAt)}`, opAt);
  markerValue(sc);
}

function markerValue(sc: Scanner): void {
  sc.ws();
  const q = sc.peek();
  if (q === '"' || q === "'") {
    const close = sc.s.indexOf(q, sc.pos + 1);
    if (close === -1) fail('the marker has an unterminated string', sc.pos, sc.s.length);
    sc.pos = close + 1;
    return;
  }
  const at = sc.pos;
  const word = sc.match(/[A-Za-z_][A-Za-z0-9_.]*/y);
  if (!word) fail(sc.done ? 'the marker is incomplete' : `expected a marker variable or a quoted string, found ${describe(sc.s, at)}`, at);
  if (!MARKER_VARS.includes(word)) fail(`\`${word}\` is not a marker variable`, at, sc.pos);
}
