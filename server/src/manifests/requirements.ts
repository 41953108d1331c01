/**
 * pip requirements files (`requirements*.txt`, `constraints*.txt`, pip-tools `*.in`), read as pip reads them:
 * 1. lines ending in `\` are joined with the next (a line whose first non-blank is `#` ends a continuation);
 * 2. comments are removed: `#` at the start of a line or after whitespace, to the end of the joined line;
 * 3. the line is cut at its first word starting with `-`: before it a requirement, from it the options
 *    (split as shell words, as pip's `shlex.split`);
 * 4. a requirement is a PEP 508 string, or a URL or path (named by `#egg=` or its file name); `${VAR}` environment
 *    variables are left as written (their values are unknown here) and accepted in versions and URLs.
 * Options lines: `-r/-c` (other files: recorded in `references`, followed by `workspace/project-facts.ts`), `-e`,
 * `-i/--index-url`, `--extra-index-url`, `--trusted-host`, `-f/--find-links`, `--no-index`, `--pre`,
 * `--prefer-binary`, `--require-hashes`, `--only-binary`, `--no-binary`, `--use-feature`; after a requirement:
 * `--hash`, `--config-settings`, `--global-option`.
 */
import { Collector, directKind, directPin, looksLikeDirectReference, nameOfReference } from './collect';
import { normalizeName } from './packages';
import { specifierFacts } from './pep440';
import { parseRequirement } from './pep508';
import { PIP_OPTIONS, recordIndexOption, recordReference, walkOptions, type OptionValue } from './pip-options';
import { shellWords, type ShellWord } from './shell';
import { Mapped, MappedBuilder, isSpace } from './text';

export interface RequirementContext {
  group?: string;
  hashes?: number;
  editable?: boolean;
  /** Accept pip's `${VAR}` environment variables (requirements files). */
  envVars?: boolean;
  /** Only PEP 508 (pyproject.toml, setup.cfg): a bare URL or path is an error, as packaging says. */
  pep508Only?: boolean;
}

/**
 * One requirement (PEP 508, or a URL/path) at mapped text `m`. Adds a dependency or an error; a local path that
 * names no package is skipped (nothing to resolve).
 */
export function addRequirement(col: Collector, m: Mapped, ctx: RequirementContext): void {
  const t = m.trim();
  if (!t.length) return;
  const hashes = ctx.hashes ?? 0;
  if (!ctx.pep508Only && looksLikeDirectReference(t.text)) {
    // a URL or path, optionally followed by " ; marker"
    const semi = /\s;/.exec(t.text);
    const ref = (semi ? t.slice(0, semi.index) : t).trim();
    let marker: string | undefined;
    if (semi) {
      const markerText = t.text.slice(semi.index + 2);
      const check = parseRequirement(`x;${markerText}`);
      if (!check.ok) {
        const at = semi.index + 2 + Math.max(0, check.error.start - 2);
        col.errorIn(t, check.error.message, at, semi.index + 2 + Math.max(0, check.error.end - 2));
        return;
      }
      marker = markerText.trim();
    }
    const named = nameOfReference(ref.text);
    if (!named) return;
    const kind = directKind(ref.text);
    col.dependency({
      name: named.name,
      normalized: normalizeName(named.name),
      specifier: ref.text,
      pin: hashes > 0 && kind === 'url' ? 'pinned' : directPin(ref.text),
      hashes,
      extras: [],
      ...(marker !== undefined ? { marker } : {}),
      group: ctx.group,
      direct: kind,
      editable: ctx.editable,
      start: t.start(0),
      end: t.end(t.length),
      nameStart: ref.start(named.start),
      nameEnd: ref.end(named.end),
    });
    return;
  }
  const r = parseRequirement(t.text, { envVars: ctx.envVars });
  if (!r.ok) {
    col.errorIn(t, r.error.message, r.error.start, r.error.end);
    return;
  }
  const req = r.requirement;
  const base = {
    name: req.name,
    normalized: normalizeName(req.name),
    hashes,
    extras: req.extras,
    ...(req.marker !== undefined ? { marker: req.marker } : {}),
    group: ctx.group,
    editable: ctx.editable,
    start: t.start(req.start),
    end: t.end(req.end),
    nameStart: t.start(req.nameStart),
    nameEnd: t.end(req.nameEnd),
  };
  if (req.url !== undefined) {
    const kind = directKind(req.url);
    col.dependency({ ...base, specifier: req.url, pin: hashes > 0 && kind === 'url' ? 'pinned' : directPin(req.url), direct: kind });
    return;
  }
  const facts = specifierFacts(req.clauses);
  col.dependency({ ...base, specifier: req.specifier, pin: facts.pin, ...(facts.minimum !== undefined ? { minimum: facts.minimum } : {}) });
}

/** Where pip's comment starts in a line: `#` at the start or after whitespace; the index of that whitespace. */
function commentStart(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '#' && (i === 0 || /\s/.test(s[i - 1]))) {
      let j = i;
      while (j > 0 && /\s/.test(s[j - 1])) j--;
      return j;
    }
  }
  return -1;
}

/** One logical line of a requirements file (already joined over continuations). */
export function handleRequirementsLine(col: Collector, line: Mapped, group?: string): void {
  const cut = commentStart(line.text);
  const content = (cut === -1 ? line : line.slice(0, cut)).trim();
  if (!content.length) return;
  const s = content.text;
  // the first word that starts with `-` begins the options
  let optionsAt = -1;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '-' && (i === 0 || isSpace(s.charCodeAt(i - 1)))) {
      optionsAt = i;
      break;
    }
  }
  const requirement = optionsAt === -1 ? content : content.slice(0, optionsAt).trim();
  const options = optionsAt === -1 ? undefined : content.slice(optionsAt);
  let hashes = 0;
  const editables: OptionValue[] = [];
  if (options) {
    const { commands, notes } = shellWords(options, { operators: false, comments: false });
    for (const n of notes) col.error(n.message, n.start, n.end);
    const words: ShellWord[] = commands.flat();
    walkOptions(words, PIP_OPTIONS, true, {
      option(v) {
        if (!v.spec.inFile) {
          col.error(`\`${v.spec.long[0]}\` cannot be used in a requirements file`, v.word.start, v.word.end);
          return;
        }
        if (v.spec.inFile === 'requirement' && !requirement.length) {
          col.error(`\`${v.spec.long[0]}\` applies to a requirement on the same line`, v.word.start, v.word.end);
          return;
        }
        if (v.spec.kind === 'hash') {
          hashes++;
          if (v.value && !/^[a-z0-9]+:[0-9a-f]+$/i.test(v.value.text)) col.error(`\`${v.value.text}\` is not a hash (expected \`sha256:<hex>\`)`, v.value.map.start(0), v.value.map.end(v.value.text.length));
          return;
        }
        if (v.spec.kind === 'editable' && v.value) {
          editables.push(v);
          return;
        }
        if (recordReference(col, v)) return;
        recordIndexOption(col, v);
      },
      argument(w) {
        col.error(`unexpected \`${w.text}\` after the options`, w.start, w.end);
      },
      unknown(w, message) {
        col.error(message, w.start, w.end);
      },
    });
  }
  if (requirement.length) {
    col.requirementLines++;
    if (hashes > 0) col.hashedLines++;
    addRequirement(col, requirement, { group, hashes, envVars: true });
  }
  for (const e of editables) {
    col.requirementLines++;
    addRequirement(col, e.value!.map, { group, editable: true, envVars: true });
  }
}

/** The physical lines of a text with their start offsets; line ends as Python's `splitlines` for \r\n, \n, \r. */
export function physicalLines(text: string): { text: string; start: number }[] {
  const out: { text: string; start: number }[] = [];
  const re = /\r\n|\n|\r/g;
  let start = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    out.push({ text: text.slice(start, m.index), start });
    start = m.index + m[0].length;
  }
  if (start < text.length) out.push({ text: text.slice(start), start });
  return out;
}

/** pip's `join_lines`: the logical lines of a requirements file, each mapped to the source. */
export function logicalLines(text: string): Mapped[] {
  const out: Mapped[] = [];
  let pending: MappedBuilder | undefined;
  let pendingStart = 0;
  for (const { text: raw, start: s0 } of physicalLines(text)) {
    let line = raw;
    let start = s0;
    if (s0 === 0 && line.startsWith('\uFEFF')) {
      line = line.slice(1);
      start = 1;
    }
    const isComment = /^\s*#/.test(line);
    if (!line.endsWith('\\') || isComment) {
      if (pending) {
        // a comment line ends the continuation; the space keeps it a comment after the join
        if (isComment) pending.push(' ', start, 0);
        pending.push(line, start);
        out.push(Mapped.build(pending, pendingStart));
        pending = undefined;
      } else out.push(Mapped.identity(line, start));
    } else {
      if (!pending) {
        pending = new MappedBuilder();
        pendingStart = start;
      }
      // pip strips backslashes at both ends of a continued line
      let a = 0;
      let b = line.length;
      while (a < b && line[a] === '\\') a++;
      while (b > a && line[b - 1] === '\\') b--;
      pending.push(line.slice(a, b), start + a);
    }
  }
  if (pending) out.push(Mapped.build(pending, pendingStart));
  return out;
}

export function parseRequirementsText(col: Collector, text: string): void {
  for (const line of logicalLines(text)) handleRequirementsLine(col, line);
}
