/**
 * Checks for the shell commands and line magics of Jupyter notebooks (`!pip install …`, `%pip install …`,
 * `!wget …`), which the Python parser never sees: the notebook reader masks them and hands them here.
 *
 * - `pip install` / `uv pip install` / `conda install` lines go through the manifest rules (SAI701, SAI702), as if
 *   each were a one-line requirements file. A lock file does not cover them: a notebook's install bypasses it.
 * - `wget` / `curl` of a model or data file is SAI104 (a download without an integrity check) unless some command in
 *   the notebook checks a digest (`sha256sum -c`, `shasum -a 256 -c`, `b2sum -c`).
 */
import { guidelineLabel, ruleSetting, type AnalyzeOptions } from '../engine/analyze';
import { checkManifest } from '../engine/analyze-manifest';
import { confidenceRank, type Finding, type Range } from '../engine/types';
import { parsePipInstall } from '../manifests';
import type { Settings } from '../shared/settings';
import { RULES_BY_ID } from './index';
import { displayUrl, hostOf, LOOPBACK_HOST } from './urls';

export interface ShellCommand {
  /** The command after its `!` or `%` prefix, e.g. `pip install torch>=2` (for `%pip`: `pip install …`). */
  text: string;
  /** `shell`: a `!cmd` line, a `%sx`/`%system` magic, or a line of a `%%bash`/`%%sh`/`%%script` cell; `magic`: `%pip`, `%conda`. */
  via: 'shell' | 'magic';
  /** The 1-based position of the cell among all the notebook's cells. */
  cell: number;
  /** Where `text` starts in the cell's source: 0-based line, column in UTF-16 code units. */
  line: number;
  character: number;
}

/** File extensions of model weights and data sets whose download wants a digest check (as SAI104 reads them). */
const FETCHED = /\.(pt|pth|bin|ckpt|safetensors|onnx|h5|hdf5|keras|pb|tflite|pkl|pickle|joblib|npy|npz|gguf|ggml|msgpack|csv|tsv|parquet|jsonl|arrow|feather|tfrecord|zip|tar|tgz|gz|bz2|xz|zst)$/i;
const DIGEST_CHECK = /\b(sha(1|224|256|384|512)sum|shasum|b2sum)\b[^\n]*(\s-c\b|\s--check\b)/;
const URL = /\b(https?|ftp):\/\/[^\s'"<>|;&)]+/gi;

/** A range on one line of a cell. */
function lineRange(line: number, start: number, end: number): Range {
  return { start: { line, character: start }, end: { line, character: end } };
}

function downloads(cmd: ShellCommand): Array<{ url: string; at: number }> {
  const tokens = cmd.text.trim().split(/\s+/);
  if (!/^(wget|curl|aria2c)$/.test(tokens[0] ?? '')) return [];
  // curl prints to stdout unless told to write a file: without -o/-O/-J or a redirect it is a request, not a download.
  if (tokens[0] === 'curl' && !tokens.some((t) => /^(-[a-zA-Z]*[oOJ][a-zA-Z]*|--output(=.*)?|--remote-name(-all)?|>>?.*)$/.test(t))) return [];
  const out: Array<{ url: string; at: number }> = [];
  for (const m of cmd.text.matchAll(URL)) {
    if (LOOPBACK_HOST.test(hostOf(m[0]) ?? '')) continue;
    let file = m[0];
    try {
      file = new globalThis.URL(m[0]).pathname;
    } catch {
      // keep the raw text
    }
    if (FETCHED.test(file) || /\/resolve\/[^/]+\//.test(m[0])) out.push({ url: m[0], at: m.index ?? 0 });
  }
  return out;
}

/** Findings for the commands of one notebook, with ranges inside their cells and `cell` set. */
export function checkShellCommands(commands: readonly ShellCommand[], settings: Settings, options: AnalyzeOptions = {}): Finding[] {
  const out: Finding[] = [];
  const minRank = confidenceRank(settings.minConfidence);
  const digestChecked = commands.some((c) => DIGEST_CHECK.test(c.text));
  const sai104 = RULES_BY_ID.get('SAI104');
  const sai104Setting = ruleSetting('SAI104', settings, options);

  for (const cmd of commands) {
    const found: Finding[] = [];
    const install = parsePipInstall(cmd.text);
    if (install) {
      const manifest = { kind: 'requirements' as const, dependencies: install.dependencies, indexOptions: install.indexOptions, errors: [], fullyHashed: false };
      for (const f of checkManifest(manifest, cmd.text, `cell ${cmd.cell}`, settings, options, undefined)) found.push(f);
    }
    if (sai104 && sai104Setting.on && !digestChecked && confidenceRank('medium') >= minRank) {
      for (const d of downloads(cmd)) {
        const plain = d.url.startsWith('http://') ? ' over plain HTTP' : '';
        found.push({
          ruleId: 'SAI104',
          range: lineRange(0, d.at, d.at + d.url.length),
          message:
            `\`${cmd.text.trim().split(/\s+/)[0]}\` downloads \`${displayUrl(d.url)}\`${plain} and nothing in the notebook checks its digest, ` +
            `so a tampered or swapped file is used as if it were the expected one. [${guidelineLabel(sai104)}]`,
          severity: sai104Setting.severity ?? (plain ? 'error' : sai104.severity),
          confidence: 'medium',
          guidelines: sai104.guidelines,
        });
      }
    }
    if (found.length === 0) continue;
    // Spans are on line 0 of the command's text: move them to the command's place in its cell. (The notebook layer
    // maps joined continuation lines back, and applies ignore comments: `text` has its shell comment removed.)
    for (const f of found) {
      const shift = (p: { line: number; character: number }) => ({ line: cmd.line + p.line, character: p.line === 0 ? cmd.character + p.character : p.character });
      f.range = { start: shift(f.range.start), end: shift(f.range.end) };
      if (f.fix) f.fix = { ...f.fix, edits: f.fix.edits.map((e) => ({ ...e, range: { start: shift(e.range.start), end: shift(e.range.end) } })) };
      f.cell = cmd.cell;
      out.push(f);
    }
  }
  return out;
}
