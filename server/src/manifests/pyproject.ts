/**
 * pyproject.toml, parsed with smol-toml (positions from `toml-positions.ts`):
 * - PEP 621 `[project] dependencies` and `[project.optional-dependencies]` (group `optional: <extra>`);
 * - PEP 735 `[dependency-groups]` (group `group: <name>`; `{include-group = ...}` entries are references, skipped);
 * - PEP 518 `[build-system] requires` (group `build-system`);
 * - Poetry `[tool.poetry.dependencies]` (main, `python` skipped), `[tool.poetry.dev-dependencies]` and
 *   `[tool.poetry.group.<g>.dependencies]` (group `poetry group <g>`): a constraint string, a table (`version`,
 *   `git` + `rev`/`tag`/`branch`, `url`, `path`, `extras`, `markers`), or a list of such tables;
 * - uv `[tool.uv] dev-dependencies` (group `uv dev`) and PDM `[tool.pdm.dev-dependencies]` (group `pdm dev: <g>`);
 * - index URLs: `[[tool.poetry.source]]`, `[[tool.uv.index]]` and `[[tool.pdm.source]]` (`source`; PDM's
 *   `verify_ssl = false` is insecure), `[tool.uv]` / `[tool.uv.pip]` `index-url`, `extra-index-url`, `find-links`,
 *   `allow-insecure-host` (as `trusted-host`).
 * Invalid TOML gives one error at smol-toml's position and nothing else.
 */
import { directKind, directPin, type Collector } from './collect';
import { normalizeName } from './packages';
import { poetryConstraint } from './poetry';
import { addRequirement } from './requirements';
import { Mapped } from './text';
import { TomlPositions, type TomlPath } from './toml-positions';

// smol-toml's "require" export is a CommonJS build whose types are written as an ES module, which node16 resolution
// will not let a CommonJS file import; the one function used is typed here.
const { parse: parseToml } = require('smol-toml') as { parse(text: string): unknown };

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** Parses TOML; on failure records one error at the parser's position and returns undefined. */
export function parseTomlOrError(col: Collector, text: string): Table | undefined {
  try {
    const doc = parseToml(text);
    return isTable(doc) ? doc : {};
  } catch (e) {
    const err = e as { message?: unknown; line?: unknown; column?: unknown };
    const message = String(err.message ?? 'invalid TOML').split('\n')[0];
    const line = typeof err.line === 'number' ? err.line - 1 : 0;
    const column = typeof err.column === 'number' ? err.column - 1 : 0;
    const at = col.lines.offsetAt(line, column);
    col.error(message, at, Math.min(col.lines.lineEnd(at), at + 1));
    return undefined;
  }
}

class Pyproject {
  readonly pos: TomlPositions;

  constructor(
    readonly col: Collector,
    readonly text: string,
  ) {
    this.pos = TomlPositions.scan(text);
  }

  /** The string at `path` mapped to the source (decoded text checked against smol-toml's value). */
  stringAt(path: TomlPath, value: string): Mapped {
    const loc = this.pos.get(path);
    if (loc?.str && loc.str.text === value) return loc.str;
    const near = loc ?? this.pos.nearest(path);
    return near ? Mapped.atomic(value, near.start, near.end) : Mapped.atomic(value, 0, 0);
  }

  range(path: TomlPath): { start: number; end: number } {
    const loc = this.pos.get(path) ?? this.pos.nearest(path);
    return loc ? { start: loc.start, end: loc.end } : { start: 0, end: 0 };
  }

  wrongType(path: TomlPath, what: string): void {
    const r = this.range(path);
    this.col.error(`\`${path.join('.')}\` must be ${what}`, r.start, r.end);
  }

  /** A PEP 508 list. */
  pep508List(path: TomlPath, list: unknown, group: string | undefined, tablesAllowed = false): void {
    if (list === undefined) return;
    if (!Array.isArray(list)) {
      this.wrongType(path, 'an array of requirement strings');
      return;
    }
    list.forEach((item, i) => {
      if (typeof item === 'string') addRequirement(this.col, this.stringAt([...path, i], item), { group, pep508Only: true });
      else if (!(tablesAllowed && isTable(item))) this.wrongType([...path, i], 'a requirement string');
    });
  }

  /** A table of lists (optional dependencies, dependency groups). */
  pep508Tables(path: TomlPath, table: unknown, group: (name: string) => string, tablesAllowed = false): void {
    if (table === undefined) return;
    if (!isTable(table)) {
      this.wrongType(path, 'a table');
      return;
    }
    for (const [name, list] of Object.entries(table)) this.pep508List([...path, name], list, group(name), tablesAllowed);
  }

  /** `[tool.poetry.dependencies]` and its kin. */
  poetryTable(path: TomlPath, table: unknown, group: string | undefined): void {
    if (table === undefined) return;
    if (!isTable(table)) {
      this.wrongType(path, 'a table');
      return;
    }
    for (const [name, value] of Object.entries(table)) {
      if (name.toLowerCase() === 'python') continue;
      const key = this.pos.get([...path, name]);
      let nameStart = key?.keyStart ?? this.range(path).start;
      let nameEnd = key?.keyEnd ?? nameStart;
      if (key && (this.text[nameStart] === '"' || this.text[nameStart] === "'") && nameEnd - nameStart >= 2) {
        nameStart++;
        nameEnd--;
      }
      if (Array.isArray(value)) value.forEach((v, i) => this.poetryEntry([...path, name, i], name, v, group, nameStart, nameEnd));
      else this.poetryEntry([...path, name], name, value, group, nameStart, nameEnd);
    }
  }

  private poetryEntry(path: TomlPath, name: string, value: unknown, group: string | undefined, nameStart: number, nameEnd: number): void {
    const loc = this.pos.get(path);
    // a list element spans itself; a `name = value` entry spans from its key to the end of its value
    const element = typeof path[path.length - 1] === 'number';
    // (for a `[tool.poetry.dependencies.name]` table the header comes before its key)
    const start = element ? (loc?.start ?? nameStart) : loc ? Math.min(loc.keyStart, loc.start) : nameStart;
    const end = loc?.end ?? nameEnd;
    const base = { name, normalized: normalizeName(name), group, start, end, nameStart, nameEnd, hashes: 0 };
    const constraint = (text: string, at: TomlPath) => {
      const c = poetryConstraint(text);
      if ('error' in c) {
        const m = this.stringAt(at, text);
        this.col.errorIn(m, c.error, c.start, c.end);
        return undefined;
      }
      return c;
    };
    if (typeof value === 'string') {
      const c = constraint(value, path);
      if (c) this.col.dependency({ ...base, specifier: value.trim(), ...c });
      return;
    }
    if (!isTable(value)) {
      this.wrongType(path, 'a version string or a table');
      return;
    }
    const extras = Array.isArray(value.extras) ? value.extras.filter((e): e is string => typeof e === 'string') : [];
    const marker = typeof value.markers === 'string' ? { marker: value.markers } : {};
    if (typeof value.git === 'string') {
      const rev = typeof value.rev === 'string' ? value.rev : undefined;
      const pin = rev && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(rev) ? 'pinned' : 'floating';
      this.col.dependency({ ...base, specifier: value.git, pin, extras, ...marker, direct: 'vcs' });
      return;
    }
    if (typeof value.url === 'string') {
      this.col.dependency({ ...base, specifier: value.url, pin: directPin(value.url), extras, ...marker, direct: directKind(value.url) === 'vcs' ? 'vcs' : 'url' });
      return;
    }
    if (typeof value.path === 'string') {
      this.col.dependency({ ...base, specifier: value.path, pin: 'pinned', extras, ...marker, direct: 'path' });
      return;
    }
    if (typeof value.version === 'string') {
      const c = constraint(value.version, [...path, 'version']);
      if (c) this.col.dependency({ ...base, specifier: value.version.trim(), ...c, extras, ...marker });
      return;
    }
    this.col.dependency({ ...base, specifier: '', pin: 'floating', extras, ...marker });
  }

  /** A URL option: a string or a list of strings. */
  urls(path: TomlPath, value: unknown, option: 'index-url' | 'extra-index-url' | 'find-links' | 'trusted-host' | 'source', insecure?: boolean): void {
    if (value === undefined) return;
    const one = (v: unknown, at: TomlPath) => {
      if (typeof v !== 'string') {
        this.wrongType(at, 'a string');
        return;
      }
      const m = this.stringAt(at, v);
      this.col.index(option, v, m.start(0), m.end(v.length), option === 'trusted-host' ? true : insecure);
    };
    if (Array.isArray(value)) value.forEach((v, i) => one(v, [...path, i]));
    else one(value, path);
  }

  sources(path: TomlPath, value: unknown, pdm = false): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) {
      this.wrongType(path, 'an array of tables');
      return;
    }
    value.forEach((src, i) => {
      if (!isTable(src) || src.url === undefined) return;
      const insecure = pdm && src.verify_ssl === false ? true : undefined;
      this.urls([...path, i, 'url'], src.url, 'source', insecure);
    });
  }
}

/** Reads a pyproject.toml into `col`; returns the project's name when it has one. */
export function parsePyprojectInto(col: Collector, text: string): { projectName?: string } {
  const doc = parseTomlOrError(col, text);
  if (!doc) return {};
  const p = new Pyproject(col, text);
  const project = isTable(doc.project) ? doc.project : undefined;
  if (project) {
    p.pep508List(['project', 'dependencies'], project.dependencies, undefined);
    p.pep508Tables(['project', 'optional-dependencies'], project['optional-dependencies'], (n) => `optional: ${n}`);
  }
  p.pep508Tables(['dependency-groups'], doc['dependency-groups'], (n) => `group: ${n}`, true);
  if (isTable(doc['build-system'])) p.pep508List(['build-system', 'requires'], doc['build-system'].requires, 'build-system');
  const tool = isTable(doc.tool) ? doc.tool : {};
  const poetry = isTable(tool.poetry) ? tool.poetry : undefined;
  if (poetry) {
    p.poetryTable(['tool', 'poetry', 'dependencies'], poetry.dependencies, undefined);
    p.poetryTable(['tool', 'poetry', 'dev-dependencies'], poetry['dev-dependencies'], 'poetry group dev');
    if (isTable(poetry.group))
      for (const [g, body] of Object.entries(poetry.group)) if (isTable(body)) p.poetryTable(['tool', 'poetry', 'group', g, 'dependencies'], body.dependencies, `poetry group ${g}`);
    p.sources(['tool', 'poetry', 'source'], poetry.source);
  }
  const uv = isTable(tool.uv) ? tool.uv : undefined;
  if (uv) {
    p.pep508List(['tool', 'uv', 'dev-dependencies'], uv['dev-dependencies'], 'uv dev');
    p.sources(['tool', 'uv', 'index'], uv.index);
    for (const [base, t] of [
      [['tool', 'uv'], uv],
      [['tool', 'uv', 'pip'], isTable(uv.pip) ? uv.pip : {}],
    ] as const) {
      p.urls([...base, 'index-url'], t['index-url'], 'index-url');
      p.urls([...base, 'extra-index-url'], t['extra-index-url'], 'extra-index-url');
      p.urls([...base, 'find-links'], t['find-links'], 'find-links');
      p.urls([...base, 'allow-insecure-host'], t['allow-insecure-host'], 'trusted-host');
    }
  }
  const pdm = isTable(tool.pdm) ? tool.pdm : undefined;
  if (pdm) {
    p.pep508Tables(['tool', 'pdm', 'dev-dependencies'], pdm['dev-dependencies'], (n) => `pdm dev: ${n}`);
    p.sources(['tool', 'pdm', 'source'], pdm.source, true);
  }
  const name = typeof project?.name === 'string' ? project.name : typeof poetry?.name === 'string' ? poetry.name : undefined;
  return name !== undefined ? { projectName: name } : {};
}
