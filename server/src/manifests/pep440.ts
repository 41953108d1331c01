/**
 * PEP 440 versions: parsing (with the spec's normalisation variants: `1.0-beta.2`, `v1.0`, `1.0.post`, `1.0-1`),
 * ordering, and what a version specifier says about pinning.
 */

export interface Version {
  epoch: string;
  /** Release components as digit strings without leading zeros ("0" for zero). */
  release: string[];
  pre?: { label: 'a' | 'b' | 'rc'; n: string };
  post?: string;
  dev?: string;
  local?: string[];
}

// The pattern of the specification's appendix (canonical and the accepted variants), anchored.
const VERSION =
  /^\s*v?(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)(?:[-_.]?(alpha|beta|preview|pre|a|b|c|rc)[-_.]?([0-9]+)?)?(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?(?:[-_.]?(dev)[-_.]?([0-9]+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

const num = (s: string | undefined): string => (s ?? '0').replace(/^0+(?=\d)/, '');

export function parseVersion(text: string): Version | undefined {
  if (text.length > 1000) return undefined;
  const m = VERSION.exec(text);
  if (!m) return undefined;
  const v: Version = { epoch: num(m[1]), release: m[2].split('.').map(num) };
  if (m[3]) {
    const l = m[3].toLowerCase();
    const label = l === 'alpha' || l === 'a' ? 'a' : l === 'beta' || l === 'b' ? 'b' : 'rc';
    v.pre = { label, n: num(m[4]) };
  }
  if (m[5] !== undefined) v.post = num(m[5]);
  else if (m[6]) v.post = num(m[7]);
  if (m[8]) v.dev = num(m[9]);
  if (m[10]) v.local = m[10].toLowerCase().split(/[-_.]/);
  return v;
}

export function isValidVersion(text: string): boolean {
  return parseVersion(text) !== undefined;
}

/** Compares two non-negative integers written in digits, of any length. */
function cmpNum(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

const PRE_ORDER = { a: 0, b: 1, rc: 2 } as const;

function cmpParsed(a: Version, b: Version): number {
  let c = cmpNum(a.epoch, b.epoch);
  if (c) return c;
  // release, trailing zeros ignored (1.0 == 1.0.0)
  const n = Math.max(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    c = cmpNum(a.release[i] ?? '0', b.release[i] ?? '0');
    if (c) return c;
  }
  // pre-release: a dev release of the plain version sorts before its pre-releases; no pre-release sorts after them
  const preRank = (v: Version): [number, number, string] =>
    v.pre ? [1, PRE_ORDER[v.pre.label], v.pre.n] : v.post === undefined && v.dev !== undefined ? [0, 0, '0'] : [2, 0, '0'];
  const pa = preRank(a);
  const pb = preRank(b);
  if (pa[0] !== pb[0]) return pa[0] < pb[0] ? -1 : 1;
  if (pa[1] !== pb[1]) return pa[1] < pb[1] ? -1 : 1;
  c = cmpNum(pa[2], pb[2]);
  if (c) return c;
  // post-release: none sorts first
  if ((a.post === undefined) !== (b.post === undefined)) return a.post === undefined ? -1 : 1;
  if (a.post !== undefined && b.post !== undefined) {
    c = cmpNum(a.post, b.post);
    if (c) return c;
  }
  // dev release: none sorts last
  if ((a.dev === undefined) !== (b.dev === undefined)) return a.dev === undefined ? 1 : -1;
  if (a.dev !== undefined && b.dev !== undefined) {
    c = cmpNum(a.dev, b.dev);
    if (c) return c;
  }
  // local label: none sorts first; segments compare numerically when both are numbers, numbers after strings
  if ((a.local === undefined) !== (b.local === undefined)) return a.local === undefined ? -1 : 1;
  if (a.local && b.local) {
    const m = Math.max(a.local.length, b.local.length);
    for (let i = 0; i < m; i++) {
      const x = a.local[i];
      const y = b.local[i];
      if (x === undefined) return -1;
      if (y === undefined) return 1;
      const xn = /^\d+$/.test(x);
      const yn = /^\d+$/.test(y);
      if (xn && yn) c = cmpNum(x, y);
      else if (xn !== yn) c = xn ? 1 : -1;
      else c = x < y ? -1 : x > y ? 1 : 0;
      if (c) return c;
    }
  }
  return 0;
}

/** Loose ordering for strings that are not PEP 440 versions: runs of digits numerically, other runs as text. */
function cmpLoose(a: string, b: string): number {
  const ta = a.toLowerCase().match(/\d+|[a-z]+/g) ?? [];
  const tb = b.toLowerCase().match(/\d+|[a-z]+/g) ?? [];
  const n = Math.max(ta.length, tb.length);
  for (let i = 0; i < n; i++) {
    // a missing run counts as 0 against a number (1.0 == 1.0.0) and sorts first against text
    const x = ta[i] ?? (/^\d/.test(tb[i]!) ? '0' : undefined);
    const y = tb[i] ?? (/^\d/.test(ta[i]!) ? '0' : undefined);
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d/.test(x);
    const yn = /^\d/.test(y);
    const c = xn && yn ? cmpNum(x, y) : xn !== yn ? (xn ? 1 : -1) : x < y ? -1 : x > y ? 1 : 0;
    if (c) return c;
  }
  return 0;
}

/**
 * PEP 440 ordering: negative when a < b, 0 when equal (`1.0` equals `1.0.0`), positive when a > b. Epochs, release
 * segments, pre-, post- and dev-releases and local labels are ordered as the specification says. A string that is
 * not a valid version (a conda version such as `1.2.3_1`) is compared loosely, by its runs of digits (numerically)
 * and letters, so the result is still a total, deterministic order.
 */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (x && y) return Math.sign(cmpParsed(x, y));
  return Math.sign(cmpLoose(a, b));
}

export type PinState = 'pinned' | 'bounded' | 'floating';

export interface Clause {
  op: string;
  version: string;
}

export const OPERATORS = ['===', '~=', '==', '!=', '<=', '>=', '<', '>'] as const;

/** Whether a version contains a pip environment variable (`${TORCH_VERSION}`): its value is unknown here. */
export const hasEnvVar = (v: string): boolean => v.includes('${');

/**
 * Checks one clause as packaging does: `==`/`!=` take a version with an optional local label or a `.*` suffix,
 * `~=` a version of at least two release components, ordered comparisons a version with neither, `===` anything.
 * Returns a message, or undefined when the clause is valid. Versions holding `${VAR}` are accepted.
 */
export function clauseError(op: string, version: string): string | undefined {
  if (op === '===' || hasEnvVar(version)) return undefined;
  if (op === '==' || op === '!=') {
    if (version.endsWith('.*')) {
      const base = parseVersion(version.slice(0, -2));
      return base && !base.local && !/\.\*$/.test(version.slice(0, -2)) ? undefined : `\`${version}\` is not a valid version prefix`;
    }
    return parseVersion(version) ? undefined : `\`${version}\` is not a valid PEP 440 version`;
  }
  const v = parseVersion(version);
  if (!v) return `\`${version}\` is not a valid PEP 440 version`;
  if (v.local) return `\`${op}\` does not take a local version label (\`${version}\`)`;
  if (op === '~=' && v.release.length < 2) return `\`~=\` needs a version with at least two components (\`${version}\`)`;
  return undefined;
}

export interface SpecifierFacts {
  pin: PinState;
  minimum?: string;
}

/**
 * What a set of clauses (all of which must hold) pins:
 * - pinned: an exact `==X` (no wildcard) or `===X`;
 * - bounded: a lower bound (`>=`, `>`, `~=`, `==X.*`) and an upper bound (`<`, `<=`, `~=`, `==X.*`);
 * - floating: anything else (nothing, only a lower bound, only an upper bound, only `!=`).
 * The minimum is a version that every allowed version is at least: the exact version, else the highest lower bound
 * (for `>X` that is X itself, excluded); undefined when nothing bounds from below or the bound is an env variable.
 */
export function specifierFacts(clauses: readonly Clause[]): SpecifierFacts {
  let lower = false;
  let upper = false;
  let exact: string | undefined;
  let exactKnown = false;
  let minimum: string | undefined;
  const raise = (v: string) => {
    if (hasEnvVar(v)) return;
    if (minimum === undefined || compareVersions(v, minimum) > 0) minimum = v;
  };
  for (const { op, version } of clauses) {
    if (op === '===' || (op === '==' && !version.endsWith('*'))) {
      if (exact === undefined) {
        exact = version;
        exactKnown = !hasEnvVar(version) && (op === '==' || isValidVersion(version));
      }
    } else if (op === '==') {
      lower = upper = true;
      raise(version.replace(/\.?\*$/, ''));
    } else if (op === '~=') {
      lower = upper = true;
      raise(version);
    } else if (op === '>=' || op === '>') {
      lower = true;
      raise(version);
    } else if (op === '<' || op === '<=') upper = true;
  }
  if (exact !== undefined) return exactKnown ? { pin: 'pinned', minimum: exact } : { pin: 'pinned' };
  const pin: PinState = lower && upper ? 'bounded' : 'floating';
  return minimum === undefined ? { pin } : { pin, minimum };
}

/** Rank of a pin state, strongest first; used to combine alternatives. */
export function weakest(a: PinState, b: PinState): PinState {
  const rank = { pinned: 0, bounded: 1, floating: 2 } as const;
  return rank[a] >= rank[b] ? a : b;
}
