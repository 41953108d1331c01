/**
 * pip's options as requirements files and `pip install` take them (optparse rules: `--opt=value`, `--opt value`,
 * `-ovalue`, `-o value`, bundled short flags `-Uq`, and unambiguous prefixes of long options: `--extra-index` is
 * `--extra-index-url`), plus uv's and conda's install options for `parsePipInstall`.
 */
import type { Collector } from './collect';
import type { ShellWord } from './shell';
import type { Mapped } from './text';

export type OptionKind =
  | 'index-url'
  | 'extra-index-url'
  | 'trusted-host'
  | 'find-links'
  | 'channel'
  | 'source'
  | 'insecure'
  | 'editable'
  | 'hash'
  | 'file'
  | 'other';

export interface OptionSpec {
  long: string[];
  short?: string;
  value: boolean;
  kind: OptionKind;
  /** Valid in a requirements file: `global` on its own line, `requirement` after a requirement. */
  inFile?: 'global' | 'requirement';
}

const o = (long: string[], short: string | undefined, value: boolean, kind: OptionKind = 'other', inFile?: OptionSpec['inFile']): OptionSpec => ({ long, short, value, kind, inFile });

/** pip: the requirements-file options, then the rest of `pip install`'s and pip's general options. */
export const PIP_OPTIONS: readonly OptionSpec[] = [
  o(['--index-url'], 'i', true, 'index-url', 'global'),
  o(['--extra-index-url'], undefined, true, 'extra-index-url', 'global'),
  o(['--no-index'], undefined, false, 'other', 'global'),
  o(['--constraint'], 'c', true, 'file', 'global'),
  o(['--requirement'], 'r', true, 'file', 'global'),
  o(['--editable'], 'e', true, 'editable', 'global'),
  o(['--find-links'], 'f', true, 'find-links', 'global'),
  o(['--no-binary'], undefined, true, 'other', 'global'),
  o(['--only-binary'], undefined, true, 'other', 'global'),
  o(['--prefer-binary'], undefined, false, 'other', 'global'),
  o(['--require-hashes'], undefined, false, 'other', 'global'),
  o(['--pre'], undefined, false, 'other', 'global'),
  o(['--trusted-host'], undefined, true, 'trusted-host', 'global'),
  o(['--use-feature'], undefined, true, 'other', 'global'),
  o(['--hash'], undefined, true, 'hash', 'requirement'),
  o(['--global-option'], undefined, true, 'other', 'requirement'),
  o(['--config-settings'], 'C', true, 'other', 'requirement'),
  o(['--install-option'], undefined, true, 'other', 'requirement'),
  // pip install
  o(['--upgrade'], 'U', false),
  o(['--force-reinstall'], undefined, false),
  o(['--ignore-installed'], 'I', false),
  o(['--ignore-requires-python'], undefined, false),
  o(['--no-deps'], undefined, false),
  o(['--user'], undefined, false),
  o(['--target'], 't', true),
  o(['--platform'], undefined, true),
  o(['--python-version'], undefined, true),
  o(['--implementation'], undefined, true),
  o(['--abi'], undefined, true),
  o(['--root'], undefined, true),
  o(['--prefix'], undefined, true),
  o(['--src'], undefined, true),
  o(['--upgrade-strategy'], undefined, true),
  o(['--no-build-isolation'], undefined, false),
  o(['--use-pep517'], undefined, false),
  o(['--no-use-pep517'], undefined, false),
  o(['--check-build-dependencies'], undefined, false),
  o(['--break-system-packages'], undefined, false),
  o(['--compile'], undefined, false),
  o(['--no-compile'], undefined, false),
  o(['--no-warn-script-location'], undefined, false),
  o(['--no-warn-conflicts'], undefined, false),
  o(['--no-clean'], undefined, false),
  o(['--progress-bar'], undefined, true),
  o(['--root-user-action'], undefined, true),
  o(['--report'], undefined, true),
  o(['--dry-run'], undefined, false),
  o(['--group'], undefined, true),
  o(['--no-build'], undefined, false),
  // pip's general options
  o(['--verbose'], 'v', false),
  o(['--quiet'], 'q', false),
  o(['--isolated'], undefined, false),
  o(['--require-virtualenv'], undefined, false),
  o(['--python'], undefined, true),
  o(['--log'], undefined, true),
  o(['--log-file'], undefined, true),
  o(['--no-input'], undefined, false),
  o(['--keyring-provider'], undefined, true),
  o(['--proxy'], undefined, true),
  o(['--retries'], undefined, true),
  o(['--timeout'], undefined, true),
  o(['--exists-action'], undefined, true),
  o(['--cert'], undefined, true),
  o(['--client-cert'], undefined, true),
  o(['--cache-dir'], undefined, true),
  o(['--no-cache-dir'], undefined, false),
  o(['--disable-pip-version-check'], undefined, false),
  o(['--no-color'], undefined, false),
  o(['--no-python-version-warning'], undefined, false),
  o(['--use-deprecated'], undefined, true),
  o(['--resume-retries'], undefined, true),
  o(['--help'], 'h', false),
];

/** `uv pip install`: clap parsing (no abbreviations). */
export const UV_OPTIONS: readonly OptionSpec[] = [
  o(['--index-url', '--default-index'], 'i', true, 'index-url'),
  o(['--extra-index-url'], undefined, true, 'extra-index-url'),
  o(['--index'], undefined, true, 'source'),
  o(['--find-links'], 'f', true, 'find-links'),
  o(['--allow-insecure-host', '--trusted-host'], undefined, true, 'trusted-host'),
  o(['--requirement', '--requirements'], 'r', true, 'file'),
  o(['--constraint', '--constraints'], 'c', true, 'file'),
  o(['--override', '--overrides'], undefined, true, 'file'),
  o(['--build-constraint', '--build-constraints'], 'b', true, 'file'),
  o(['--editable'], 'e', true, 'editable'),
  o(['--python'], 'p', true),
  o(['--extra'], undefined, true),
  o(['--group'], undefined, true),
  o(['--index-strategy'], undefined, true),
  o(['--keyring-provider'], undefined, true),
  o(['--torch-backend'], undefined, true),
  o(['--prerelease'], undefined, true),
  o(['--resolution'], undefined, true),
  o(['--upgrade-package'], 'P', true),
  o(['--reinstall-package'], undefined, true),
  o(['--no-build-package'], undefined, true),
  o(['--no-binary-package'], undefined, true),
  o(['--no-binary'], undefined, true),
  o(['--only-binary'], undefined, true),
  o(['--config-setting'], 'C', true),
  o(['--link-mode'], undefined, true),
  o(['--exclude-newer'], undefined, true),
  o(['--python-platform'], undefined, true),
  o(['--python-version'], undefined, true),
  o(['--target'], 't', true),
  o(['--prefix'], undefined, true),
  o(['--cache-dir'], undefined, true),
  o(['--config-file'], undefined, true),
  o(['--directory'], undefined, true),
  o(['--project'], undefined, true),
  o(['--color'], undefined, true),
  o(['--refresh-package'], undefined, true),
  o(['--upgrade'], 'U', false),
  o(['--quiet'], 'q', false),
  o(['--verbose'], 'v', false),
  o(['--native-tls'], undefined, false),
  o(['--system'], undefined, false),
  o(['--user'], undefined, false),
  o(['--break-system-packages'], undefined, false),
  o(['--no-deps'], undefined, false),
  o(['--reinstall'], undefined, false),
  o(['--force-reinstall'], undefined, false),
  o(['--compile-bytecode'], undefined, false),
  o(['--no-build-isolation'], undefined, false),
  o(['--no-build'], undefined, false),
  o(['--no-index'], undefined, false),
  o(['--offline'], undefined, false),
  o(['--refresh'], undefined, false),
  o(['--dry-run'], undefined, false),
  o(['--strict'], undefined, false),
  o(['--no-cache'], 'n', false),
  o(['--no-config'], undefined, false),
  o(['--no-progress'], undefined, false),
  o(['--no-sources'], undefined, false),
  o(['--all-extras'], undefined, false),
  o(['--exact'], undefined, false),
  o(['--preview'], undefined, false),
];

/** `conda install` / `conda create` (also mamba, micromamba). */
export const CONDA_OPTIONS: readonly OptionSpec[] = [
  o(['--channel'], 'c', true, 'channel'),
  o(['--insecure'], 'k', false, 'insecure'),
  o(['--name'], 'n', true),
  o(['--prefix'], 'p', true),
  o(['--file'], undefined, true, 'file'),
  o(['--repodata-fn'], undefined, true),
  o(['--solver'], undefined, true),
  o(['--platform', '--subdir'], undefined, true),
  o(['--clone'], undefined, true),
  o(['--root-prefix'], 'r', true),
  o(['--yes'], 'y', false),
  o(['--quiet'], 'q', false),
  o(['--verbose'], 'v', false),
  o(['--dry-run'], 'd', false),
  o(['--satisfied-skip-solve'], 'S', false),
  o(['--override-channels'], undefined, false),
  o(['--strict-channel-priority'], undefined, false),
  o(['--freeze-installed'], undefined, false),
  o(['--update-deps'], undefined, false),
  o(['--no-deps'], undefined, false),
  o(['--only-deps'], undefined, false),
  o(['--json'], undefined, false),
  o(['--offline'], undefined, false),
  o(['--use-local'], undefined, false),
  o(['--force-reinstall'], undefined, false),
  o(['--copy'], undefined, false),
];

export interface OptionValue {
  spec: OptionSpec;
  /** The option as written (`--extra-index-url`, `-i`). */
  word: ShellWord;
  value?: { text: string; map: Mapped };
}

export interface OptionEvents {
  option(v: OptionValue): void;
  argument(word: ShellWord): void;
  unknown(word: ShellWord, message: string): void;
}

function findLong(table: readonly OptionSpec[], name: string, abbreviations: boolean): OptionSpec | 'ambiguous' | undefined {
  const exact = table.find((s) => s.long.includes(name));
  if (exact || !abbreviations) return exact;
  const matches = table.filter((s) => s.long.some((l) => l.startsWith(name)));
  if (matches.length === 1) return matches[0];
  return matches.length ? 'ambiguous' : undefined;
}

/**
 * Walks words as optparse (or clap) would. Options outside `table` are reported with `unknown` and treated as flags
 * unless written `--opt=value`. After `--`, every word is an argument.
 */
export function walkOptions(words: readonly ShellWord[], table: readonly OptionSpec[], abbreviations: boolean, events: OptionEvents): void {
  let onlyArguments = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const t = w.text;
    if (onlyArguments || !t.startsWith('-') || t === '-') {
      events.argument(w);
      continue;
    }
    if (t === '--') {
      onlyArguments = true;
      continue;
    }
    if (t.startsWith('--')) {
      const eq = t.indexOf('=');
      const name = eq === -1 ? t : t.slice(0, eq);
      const spec = findLong(table, name, abbreviations);
      if (spec === 'ambiguous' || !spec) {
        events.unknown(w, spec === 'ambiguous' ? `\`${name}\` is an ambiguous abbreviation` : `unknown option \`${name}\``);
        continue;
      }
      if (!spec.value) {
        if (eq !== -1) events.unknown(w, `\`${name}\` does not take a value`);
        else events.option({ spec, word: w });
        continue;
      }
      if (eq !== -1) {
        events.option({ spec, word: w, value: { text: t.slice(eq + 1), map: w.map.slice(eq + 1) } });
        continue;
      }
      const next = words[i + 1];
      if (!next) {
        events.unknown(w, `\`${name}\` needs a value`);
        continue;
      }
      i++;
      events.option({ spec, word: w, value: { text: next.text, map: next.map } });
      continue;
    }
    // short options, possibly bundled: -Uq, -iURL, -i URL
    for (let k = 1; k < t.length; k++) {
      const spec = table.find((s) => s.short === t[k]);
      if (!spec) {
        events.unknown(w, `unknown option \`-${t[k]}\``);
        break;
      }
      if (!spec.value) {
        events.option({ spec, word: w });
        continue;
      }
      if (k + 1 < t.length) {
        const from = t[k + 1] === '=' ? k + 2 : k + 1;
        events.option({ spec, word: w, value: { text: t.slice(from), map: w.map.slice(from) } });
      } else {
        const next = words[i + 1];
        if (!next) events.unknown(w, `\`-${t[k]}\` needs a value`);
        else {
          i++;
          events.option({ spec, word: w, value: { text: next.text, map: next.map } });
        }
      }
      break;
    }
  }
}

/** `requirement` for pip's and uv's `-r`, `constraint` for their `-c`; undefined for any other option. */
export function referenceOption(spec: OptionSpec): 'requirement' | 'constraint' | undefined {
  if (spec.kind !== 'file') return undefined;
  return spec.long[0] === '--requirement' ? 'requirement' : spec.long[0] === '--constraint' ? 'constraint' : undefined;
}

/**
 * Records a `-r/--requirement` or `-c/--constraint` option (pip's and uv's; not uv's `--override` or conda's
 * `--file`); returns whether it was one.
 */
export function recordReference(col: Collector, v: OptionValue): boolean {
  const option = referenceOption(v.spec);
  if (!option) return false;
  if (v.value && v.value.text.length) col.reference(option, v.value.text, v.value.map.start(0), v.value.map.end(v.value.text.length));
  return true;
}

/** Records an index-related option; returns whether it was one. */
export function recordIndexOption(col: Collector, v: OptionValue): boolean {
  const kind = v.spec.kind;
  if (kind === 'insecure') {
    col.index('trusted-host', '', v.word.start, v.word.end, true);
    return true;
  }
  if (kind !== 'index-url' && kind !== 'extra-index-url' && kind !== 'trusted-host' && kind !== 'find-links' && kind !== 'channel' && kind !== 'source') return false;
  if (!v.value) return true;
  let { text, map } = v.value;
  // uv's `--index name=https://...`
  if (kind === 'source') {
    const m = /^[A-Za-z0-9_.-]+=(?=[A-Za-z][A-Za-z0-9+.-]*:)/.exec(text);
    if (m) {
      text = text.slice(m[0].length);
      map = map.slice(m[0].length);
    }
  }
  col.index(kind, text, map.start(0), map.end(text.length), kind === 'trusted-host' ? true : undefined);
  return true;
}
