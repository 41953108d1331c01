/** Accumulates what a parser finds, turning offsets into spans; and the facts about URLs that several formats share. */
import type { PinState } from './pep440';
import { LineIndex, type Mapped } from './text';
import type { IndexOption, ManifestDependency, ManifestError, ManifestReference } from './types';

export interface DependencyParts {
  name: string;
  normalized: string;
  specifier: string;
  pin: PinState;
  minimum?: string;
  hashes?: number;
  extras?: string[];
  marker?: string;
  group?: string;
  direct?: ManifestDependency['direct'];
  editable?: boolean;
  channel?: string;
  /** Source offsets. */
  start: number;
  end: number;
  nameStart: number;
  nameEnd: number;
}

export class Collector {
  readonly dependencies: ManifestDependency[] = [];
  readonly indexOptions: IndexOption[] = [];
  readonly errors: ManifestError[] = [];
  readonly references: ManifestReference[] = [];
  /** Requirement lines seen, and those with `--hash` (for `fullyHashed`). */
  requirementLines = 0;
  hashedLines = 0;

  constructor(readonly lines: LineIndex) {}

  error(message: string, start: number, end: number = start): void {
    this.errors.push({ message, span: this.lines.span(start, end) });
  }

  /** An error at logical characters [from, to) of a mapped text. */
  errorIn(m: Mapped, message: string, from: number, to: number): void {
    const a = Math.max(0, Math.min(from, m.length));
    const b = Math.max(a, Math.min(to, m.length));
    this.error(message, m.start(a), b > a ? m.end(b) : m.start(a));
  }

  index(option: IndexOption['option'], value: string, start: number, end: number, insecure = isInsecureUrl(value)): void {
    this.indexOptions.push({ option, value, insecure, span: this.lines.span(start, end) });
  }

  reference(option: ManifestReference['option'], path: string, start: number, end: number): void {
    this.references.push({ option, path, span: this.lines.span(start, end) });
  }

  dependency(p: DependencyParts): ManifestDependency {
    const d: ManifestDependency = {
      name: p.name,
      normalized: p.normalized,
      specifier: p.specifier,
      pin: p.pin,
      ...(p.minimum !== undefined ? { minimum: p.minimum } : {}),
      hashes: p.hashes ?? 0,
      extras: p.extras ?? [],
      ...(p.marker !== undefined ? { marker: p.marker } : {}),
      ...(p.group !== undefined ? { group: p.group } : {}),
      ...(p.direct !== undefined ? { direct: p.direct } : {}),
      ...(p.editable ? { editable: true } : {}),
      ...(p.channel !== undefined ? { channel: p.channel } : {}),
      span: this.lines.span(p.start, p.end),
      nameSpan: this.lines.span(p.nameStart, p.nameEnd),
    };
    this.dependencies.push(d);
    return d;
  }
}

/** A plain-http URL (TLS-less, so a network attacker can swap packages). `https://`, names and paths are not. */
export function isInsecureUrl(value: string): boolean {
  return /^\s*http:\/\//i.test(value);
}

const HASH_FRAGMENT = /[#&](?:sha1|sha224|sha256|sha384|sha512|md5)=[0-9a-f]+/i;
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const VCS = /^(?:git|hg|svn|bzr)\+/i;

/** What kind of direct reference a URL or path is. */
export function directKind(ref: string): 'url' | 'vcs' | 'path' {
  if (VCS.test(ref)) return 'vcs';
  if (/^file:/i.test(ref)) return 'path';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(ref)) return 'url';
  return 'path';
}

/** The revision of a VCS URL (`git+https://host/repo@<rev>#egg=x` → `<rev>`), if it names one. */
export function vcsRevision(url: string): string | undefined {
  const noFragment = url.split('#')[0];
  const scheme = noFragment.indexOf('://');
  const at = noFragment.lastIndexOf('@');
  if (at === -1 || at < scheme) return undefined;
  const rev = noFragment.slice(at + 1);
  // `user@host/...` has a slash after the @; a revision does not (a branch name may, but then it is not a commit)
  if (!rev || (scheme !== -1 && noFragment.slice(scheme + 3, at).indexOf('/') === -1)) return undefined;
  return rev;
}

/**
 * A direct reference pins when what it fetches cannot change: a VCS URL at a full commit hash (40 or 64 hex), or an
 * archive URL with a hash fragment (`#sha256=`). A local path pins too: nothing is resolved from an index. Any other
 * URL (a branch, a tag, a plain archive URL) floats.
 */
export function directPin(ref: string): PinState {
  const kind = directKind(ref);
  if (kind === 'path') return 'pinned';
  if (HASH_FRAGMENT.test(ref)) return 'pinned';
  if (kind === 'vcs') {
    const rev = vcsRevision(ref);
    if (rev && COMMIT.test(rev)) return 'pinned';
  }
  return 'floating';
}

/** The package a nameless URL or path installs: its `#egg=` fragment, else a wheel's or sdist's file name. */
export function nameOfReference(ref: string): { name: string; start: number; end: number } | undefined {
  const egg = /[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(ref);
  if (egg) {
    const start = egg.index + egg[0].length - egg[1].length;
    // `egg=name-1.0` names version 1.0 of name in old pip; the name is the part before `-<digit>`
    const name = egg[1].replace(/-\d.*$/, '');
    return { name, start, end: start + name.length };
  }
  const path = ref.split(/[?#]/)[0];
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const file = path.slice(slash + 1);
  // the extension first: without it the patterns below would backtrack over a long name for nothing
  const lower = file.toLowerCase();
  const m = lower.endsWith('.whl')
    ? /^([A-Za-z0-9][A-Za-z0-9._]*?)-\d[^-]*(?:-[^-]+)*\.whl$/i.exec(file)
    : /\.(?:tar\.gz|tar\.bz2|tar\.xz|tgz|zip)$/.test(lower)
      ? /^([A-Za-z0-9][A-Za-z0-9._-]*?)-\d[A-Za-z0-9.+!_-]*\.(?:tar\.gz|tar\.bz2|tar\.xz|tgz|zip)$/i.exec(file)
      : null;
  if (m) return { name: m[1], start: slash + 1, end: slash + 1 + m[1].length };
  return undefined;
}

/** Whether a pip requirement argument is a URL or a path rather than a PEP 508 name (pip decides the same way). */
export function looksLikeDirectReference(text: string): boolean {
  const first = text.trim().split(/\s|;/)[0] ?? '';
  if (!first) return false;
  // `name @ url` and `name[extra]@url` are PEP 508
  if (/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[[^\]]*\]\s*)?@/.test(text.trim())) return false;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(first) || VCS.test(first) || /^file:/i.test(first)) return true;
  if (/^(?:\.|\/|~|\\)/.test(first) || /^[A-Za-z]:[\\/]/.test(first)) return true;
  if (first.includes('/') || first.includes('\\')) return true;
  return /\.(?:whl|tar\.gz|tar\.bz2|tar\.xz|tgz|zip)$/i.test(first);
}
