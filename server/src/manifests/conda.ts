/**
 * conda match specs, as environment.yml files and `conda install` take them:
 *
 *     [channel[/subdir]::]name[ version[ build]]      pytorch 2.1.0 py3.10_cuda11.8*
 *     [channel::]name<op>version[,<op>version][|...]  pytorch>=2,<3   pytorch=2.1   pytorch==2.1.0=py310_0
 *     name[version='>=2.1', build=py310*]             bracket form (keys version, build, channel, subdir)
 *
 * What pins (decided here, as conda reads versions):
 * - `==2.1.0`, a bare `2.1.0` in the space form, and `=2.1.0=<build>` name one version: pinned;
 * - `=2.1.0` is conda's fuzzy match (`2.1.0.*`): with three or more release components that is one release (any
 *   build, or a rare fourth component), so it counts as pinned; `=2.1` (two or fewer) is the range `2.1.*`: bounded;
 * - `2.1.*` / `2.1*` prefixes and `>=a,<b` ranges are bounded; `>=2`, `<3`, `!=2` alone and no version float;
 * - alternatives (`2.0|2.1`) are as weak as their weakest, and several exact versions are bounded, not pinned.
 */
import type { SyntaxProblem } from './pep508';
import { compareVersions, weakest, type PinState } from './pep440';

export interface CondaSpec {
  name: string;
  nameStart: number;
  nameEnd: number;
  channel?: string;
  channelStart?: number;
  channelEnd?: number;
  /** The version (and build) as written after the name, trimmed: `=2.1.0`, `>=2`, `2.1.0 py310_0`. */
  specifier: string;
  pin: PinState;
  minimum?: string;
  start: number;
  end: number;
}

export type CondaResult = { ok: true; spec: CondaSpec } | { ok: false; error: SyntaxProblem };

const VERSION_TEXT = /^[A-Za-z0-9_.+!*-]+$/;

interface Facts {
  pin: PinState;
  minimum?: string;
}

class Bad extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

/** Facts of a version expression (`,` and, `|` or). `bare` is what a version without an operator means. */
function versionFacts(expr: string, offset: number, bare: 'exact' | 'fuzzy', withBuild: boolean): Facts {
  let pin: PinState | undefined;
  let minimum: string | undefined;
  let unbounded = false;
  const alts = expr.split('|');
  let at = offset;
  for (const alt of alts) {
    let exact: string | undefined;
    let lower = false;
    let upper = false;
    let altMin: string | undefined;
    const raise = (v: string) => {
      const base = v.replace(/\.?\*$/, '');
      if (!base) return;
      if (altMin === undefined || compareVersions(base, altMin) > 0) altMin = base;
    };
    let clauseAt = at;
    for (const clause of alt.split(',')) {
      const m = /^\s*(==|!=|<=|>=|~=|<|>|=)?\s*(.*?)\s*$/.exec(clause)!;
      const op = m[1] ?? '';
      const v = m[2];
      if (!v || !VERSION_TEXT.test(v)) throw new Bad(v ? `\`${v}\` is not a conda version` : 'expected a version', clauseAt, clauseAt + clause.length);
      const prefix = v.endsWith('*');
      const meaning = op === '' ? (prefix ? 'prefix' : bare) : op === '==' ? (prefix ? 'prefix' : 'exact') : op === '=' ? (prefix ? 'prefix' : 'fuzzy') : op;
      if (meaning === 'exact') exact ??= v;
      else if (meaning === 'fuzzy') {
        // `=1.2.3` is 1.2.3.*: one release when it has three components (or names a build)
        if (withBuild || v.split('.').length >= 3) exact ??= v;
        else {
          lower = upper = true;
          raise(v);
        }
      } else if (meaning === 'prefix') {
        if (v !== '*') {
          lower = upper = true;
          raise(v);
        }
      } else if (meaning === '>=' || meaning === '>') {
        lower = true;
        raise(v);
      } else if (meaning === '<' || meaning === '<=') upper = true;
      else if (meaning === '~=') {
        lower = upper = true;
        raise(v);
      }
      clauseAt += clause.length + 1;
    }
    const facts: Facts = exact !== undefined ? { pin: 'pinned', minimum: exact } : { pin: lower && upper ? 'bounded' : 'floating', ...(altMin !== undefined ? { minimum: altMin } : {}) };
    pin = pin === undefined ? facts.pin : weakest(pin, facts.pin);
    if (facts.minimum === undefined) unbounded = true;
    else if (minimum === undefined || compareVersions(facts.minimum, minimum) < 0) minimum = facts.minimum;
    at += alt.length + 1;
  }
  if (pin === 'pinned' && alts.length > 1) pin = 'bounded';
  return { pin: pin ?? 'floating', ...(!unbounded && minimum !== undefined ? { minimum } : {}) };
}

/** Parses one match spec; positions are indices into `s`. Never throws. */
export function parseCondaSpec(s: string): CondaResult {
  try {
    return { ok: true, spec: parse(s) };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, error: { message: e.message, start: Math.min(e.start, s.length), end: Math.min(Math.max(e.end, e.start), s.length) } };
    return { ok: false, error: { message: 'unreadable conda spec', start: 0, end: s.length } };
  }
}

function parse(s: string): CondaSpec {
  let start = 0;
  let end = s.length;
  while (start < end && /\s/.test(s[start])) start++;
  while (end > start && /\s/.test(s[end - 1])) end--;
  if (start === end) throw new Bad('expected a package spec', start, start);
  let pos = start;
  let channel: Pick<CondaSpec, 'channel' | 'channelStart' | 'channelEnd'> = {};
  const dc = s.indexOf('::', start);
  if (dc !== -1 && dc < end) {
    if (dc === start) throw new Bad('expected a channel before `::`', start, start + 2);
    channel = { channel: s.slice(start, dc), channelStart: start, channelEnd: dc };
    pos = dc + 2;
  }
  const nameRe = /[A-Za-z0-9_][A-Za-z0-9_.+-]*/y;
  nameRe.lastIndex = pos;
  const nm = nameRe.exec(s);
  if (!nm || nm.index !== pos) throw new Bad(pos >= end ? 'expected a package name' : `expected a package name, found \`${s[pos]}\``, pos, pos + 1);
  const name = nm[0].replace(/[-.]+$/, '');
  const nameStart = pos;
  const nameEnd = pos + name.length;
  const rest = s.slice(nameEnd, end);
  const restAt = nameEnd;
  const specifier = rest.trim();
  let facts: Facts = { pin: 'floating' };
  if (!rest) {
    /* no version */
  } else if (rest.startsWith('[')) {
    const close = rest.lastIndexOf(']');
    if (close !== rest.length - 1) throw new Bad('the bracket of the spec is not closed with `]`', restAt, end);
    const body = rest.slice(1, -1);
    const fields = new Map<string, { value: string; at: number }>();
    const re = /\s*([A-Za-z_]+)\s*=\s*(?:'([^']*)'|"([^"]*)"|([^,\]]*?))\s*(?:,|$)/y;
    let p = 0;
    while (p < body.length) {
      re.lastIndex = p;
      const m = re.exec(body);
      if (!m || re.lastIndex === p) throw new Bad('expected `key=value` in the bracket', restAt + 1 + p, restAt + 1 + body.length);
      const value = m[2] ?? m[3] ?? m[4] ?? '';
      fields.set(m[1].toLowerCase(), { value, at: restAt + 1 + m.index + m[0].indexOf(value) });
      p = re.lastIndex;
    }
    const version = fields.get('version');
    const build = fields.get('build');
    if (fields.has('channel') && !channel.channel) {
      const c = fields.get('channel')!;
      channel = { channel: c.value, channelStart: c.at, channelEnd: c.at + c.value.length };
    }
    if (version) facts = versionFacts(version.value, version.at, 'exact', !!build && !build.value.includes('*'));
  } else if (/^\s/.test(rest)) {
    // space form: version [build]
    const parts: { text: string; at: number }[] = [];
    const re = /\S+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(rest))) parts.push({ text: m[0], at: restAt + m.index });
    // `>= 1.8`: an operator written apart from its version
    if (parts.length >= 2 && /^(?:==|!=|<=|>=|~=|<|>|=)$/.test(parts[0].text)) parts.splice(0, 2, { text: parts[0].text + parts[1].text, at: parts[0].at });
    if (parts.length > 2) throw new Bad(`unexpected \`${parts[2].text}\` after the version and build`, parts[2].at, parts[2].at + parts[2].text.length);
    facts = versionFacts(parts[0].text, parts[0].at, 'exact', parts.length === 2 && !parts[1].text.includes('*'));
  } else if (/^[=<>!~]/.test(rest)) {
    // glued form; `=version=build` and `==version=build` name a build
    const vb = /^(==?)([^=<>!~,|\s]+)=([^=<>!~,|\s]+)$/.exec(rest);
    if (vb) facts = versionFacts(vb[1] + vb[2], restAt, 'exact', !vb[3].includes('*'));
    else {
      if (/\s/.test(rest)) {
        const ws = /\s/.exec(rest)!.index;
        throw new Bad(`unexpected \`${rest.slice(ws).trim()}\` after the version`, restAt + ws, end);
      }
      facts = versionFacts(rest, restAt, 'exact', false);
    }
  } else throw new Bad(`unexpected \`${rest[0]}\` after the package name`, restAt, restAt + 1);
  return { name, nameStart, nameEnd, ...channel, specifier, ...facts, start, end };
}
