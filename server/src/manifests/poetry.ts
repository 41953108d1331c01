/**
 * Poetry's version constraints: `1.2.3` and `==1.2.3` are exact; `^1.2.3` means >=1.2.3,<2.0.0 (the first non-zero
 * component is kept: `^0.2.3` is <0.3.0, `^0.0.3` <0.0.4); `~1.2.3` means >=1.2.3,<1.3.0 (`~1` is <2); `~=` as
 * PEP 440; `1.2.*` a prefix; `*` or nothing any version; `>=`, `>`, `<`, `<=`, `!=` as written; clauses joined by
 * `,` or spaces must all hold; alternatives joined by `||`. Both `^` and `~` always have an upper bound, so they
 * are bounded.
 */
import { compareVersions, hasEnvVar, isValidVersion, weakest, type PinState } from './pep440';

export type PoetryConstraint = { pin: PinState; minimum?: string } | { error: string; start: number; end: number };

const CLAUSE = /\s*(\^|~=|~|===|==|!=|>=|<=|>|<|=)?\s*([A-Za-z0-9_.*+!-]+)\s*,?/y;

function alternative(text: string, offset: number): PoetryConstraint {
  let exact: string | undefined;
  let lower = false;
  let upper = false;
  let minimum: string | undefined;
  const raise = (v: string) => {
    const base = v.replace(/(?:\.\*)+$/, '');
    if (!base || base === '*' || hasEnvVar(base)) return;
    if (minimum === undefined || compareVersions(base, minimum) > 0) minimum = base;
  };
  let pos = 0;
  const trimmed = text.trimEnd();
  while (pos < trimmed.length) {
    CLAUSE.lastIndex = pos;
    const m = CLAUSE.exec(trimmed);
    if (!m || CLAUSE.lastIndex === pos) {
      const at = pos + (/\S/.exec(trimmed.slice(pos))?.index ?? 0);
      return { error: `unexpected \`${trimmed[at]}\` in the version constraint`, start: offset + at, end: offset + at + 1 };
    }
    const op = m[1] ?? '';
    const version = m[2];
    const vStart = offset + m.index + m[0].indexOf(version, m[0].indexOf(op) + op.length);
    pos = CLAUSE.lastIndex;
    const wildcard = version === '*' || /^\d+(?:\.\d+)*\.\*$/.test(version);
    if (!wildcard && op !== '===' && !isValidVersion(version)) return { error: `\`${version}\` is not a valid version`, start: vStart, end: vStart + version.length };
    if (version === '*') {
      if (op && op !== '=' && op !== '==') return { error: `\`${op}*\` is not a valid constraint`, start: vStart, end: vStart + 1 };
      continue;
    }
    switch (op) {
      case '':
      case '=':
      case '==':
        if (wildcard) {
          lower = upper = true;
          raise(version);
        } else exact ??= version;
        break;
      case '===':
        exact ??= version;
        break;
      case '^':
      case '~':
      case '~=':
        lower = upper = true;
        raise(version);
        break;
      case '>=':
      case '>':
        lower = true;
        raise(version);
        break;
      case '<':
      case '<=':
        upper = true;
        break;
      default: // !=
        break;
    }
  }
  if (exact !== undefined) return { pin: 'pinned', minimum: exact };
  const pin: PinState = lower && upper ? 'bounded' : 'floating';
  return minimum === undefined ? { pin } : { pin, minimum };
}

export function poetryConstraint(text: string): PoetryConstraint {
  const parts: { text: string; offset: number }[] = [];
  let from = 0;
  for (;;) {
    const at = text.indexOf('||', from);
    parts.push({ text: text.slice(from, at === -1 ? text.length : at), offset: from });
    if (at === -1) break;
    from = at + 2;
  }
  let pin: PinState | undefined;
  let minimum: string | undefined;
  let unbounded = false;
  for (const p of parts) {
    if (!p.text.trim() && parts.length > 1) return { error: 'an empty alternative in the version constraint', start: p.offset, end: p.offset };
    const r = alternative(p.text, p.offset);
    if ('error' in r) return r;
    pin = pin === undefined ? r.pin : weakest(pin, r.pin);
    if (r.minimum === undefined) unbounded = true;
    else if (minimum === undefined || compareVersions(r.minimum, minimum) < 0) minimum = r.minimum;
  }
  // two exact versions are not one version
  if (pin === 'pinned' && parts.length > 1) pin = 'bounded';
  const result: { pin: PinState; minimum?: string } = { pin: pin ?? 'floating' };
  if (!unbounded && minimum !== undefined) result.minimum = minimum;
  return result;
}
