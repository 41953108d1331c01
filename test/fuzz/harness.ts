/**
 * The fuzz harness shared by the suites under test/fuzz: a seeded PRNG, the run size, the stated bounds, and the
 * failing-seed files.
 *
 * Reproducible: every input is made from its own seed, `seedFor(base, case, i)`, so the same base seed gives the same
 * inputs on every machine. `npm test` runs a small fixed budget (base seed `DEFAULT_SEED`); `npm run fuzz` runs a long
 * one from a fresh base seed (scripts/fuzz.mjs). Environment:
 * - `FUZZ_SEED`: the base seed (a number; default `DEFAULT_SEED`);
 * - `FUZZ_SCALE`: multiplies every case's number of inputs (default 1);
 * - `FUZZ_LONG=1`: also runs the cases too slow for `npm test` (10 MB files of dense code, every fixture scaled up);
 * - `FUZZ_REPLAY=<file>`: a failing-seed file written by an earlier run; only that input is tried again.
 *
 * A failing input is written to `test-results/fuzz/` (ignored by git) as `<case>-<seed>.json` (the case, the seed,
 * the error and the command that replays it) with the input beside it as `<case>-<seed>.bin`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers';

/** The robustness bound on analysing one file: this much CPU time per MB of input... */
export const CPU_MS_PER_MB = 2000;
/**
 * ...and never less than this, for small inputs: it covers a cold JIT and a garbage collection, and the engine's own
 * time limit on parsing (`TIME_LIMIT_FLOOR_MS`, 500 ms), after which a pathological file gets a notice.
 */
export const CPU_FLOOR_MS = 1000;
const MB = 1024 * 1024;

/** The CPU time (ms) one input of `bytes` bytes may take: `max(CPU_FLOOR_MS, CPU_MS_PER_MB * bytes / 1 MB)`. */
export function cpuBoundMs(bytes: number): number {
  return Math.max(CPU_FLOOR_MS, (CPU_MS_PER_MB * bytes) / MB);
}

/** A hang is declared (and the worker stopped) after this many times the CPU bound in wall time, plus a margin. */
export function wallLimitMs(bytes: number): number {
  return 10 * cpuBoundMs(bytes) + 5000;
}

export const DEFAULT_SEED = 0x5a1d;
export const RESULTS_DIR = path.join(ROOT, 'test-results', 'fuzz');

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name}=${raw} is not a number`);
  return n;
}

export const BASE_SEED = envNumber('FUZZ_SEED', DEFAULT_SEED) >>> 0;
export const SCALE = Math.max(0.01, envNumber('FUZZ_SCALE', 1));
export const LONG = process.env.FUZZ_LONG === '1';

export interface ReplayRecord {
  suite: string;
  case: string;
  seed: number;
  iteration: number;
  baseSeed: number;
  error: string;
  /** The input file beside this record. */
  input: string;
  replay: string;
}

/** The replay record named by `FUZZ_REPLAY`, if any. */
export const REPLAY: ReplayRecord | undefined = (() => {
  const file = process.env.FUZZ_REPLAY;
  if (!file) return undefined;
  return JSON.parse(fs.readFileSync(path.resolve(file), 'utf8')) as ReplayRecord;
})();

/** How many inputs a case tries: its `npm test` count times `FUZZ_SCALE`. */
export function iterations(base: number): number {
  return Math.max(1, Math.round(base * SCALE));
}

/** A 32-bit hash of a string (FNV-1a), to give every case its own stream of seeds. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The seed of input `i` of case `name` under base seed `base`. */
export function seedFor(base: number, name: string, i: number): number {
  let x = (base ^ hash(name) ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** A small, fast, seeded PRNG (mulberry32). */
export class Rng {
  private s: number;
  constructor(readonly seed: number) {
    this.s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

/**
 * The seeds a case runs: `count` seeds from the base seed (times `FUZZ_SCALE` unless `scaled` is false), or only the
 * replayed one when `FUZZ_REPLAY` names this case (and none when it names another).
 */
export function seedsFor(suite: string, name: string, count: number, scaled = true): Array<{ iteration: number; seed: number }> {
  if (REPLAY) return REPLAY.suite === suite && REPLAY.case === name ? [{ iteration: REPLAY.iteration, seed: REPLAY.seed }] : [];
  return Array.from({ length: scaled ? iterations(count) : count }, (_, i) => ({ iteration: i, seed: seedFor(BASE_SEED, name, i) }));
}

/** Write a failing input and how to replay it; returns the record's path. */
export function recordFailure(suite: string, name: string, iteration: number, seed: number, input: Uint8Array | string, error: unknown): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const stem = `${name.replace(/[^\w.-]+/g, '_')}-${seed}`;
  const inputFile = path.join(RESULTS_DIR, `${stem}.bin`);
  fs.writeFileSync(inputFile, input);
  const recordFile = path.join(RESULTS_DIR, `${stem}.json`);
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const record: ReplayRecord = {
    suite,
    case: name,
    seed,
    iteration,
    baseSeed: BASE_SEED,
    error: message,
    input: path.relative(ROOT, inputFile),
    replay: `FUZZ_REPLAY=${path.relative(ROOT, recordFile)} npm run fuzz`,
  };
  fs.writeFileSync(recordFile, `${JSON.stringify(record, null, 2)}\n`);
  return recordFile;
}

/** Counts and worst cases of a suite, printed at the end and merged into test-results/fuzz/summary.json. */
export class Stats {
  inputs = 0;
  bytes = 0;
  worstCpuMs = 0;
  worstCase = '';
  /** The largest CPU time relative to the input's bound (1 = at the bound). */
  worstRatio = 0;
  worstRatioCase = '';

  add(name: string, bytes: number, cpuMs: number): void {
    this.inputs++;
    this.bytes += bytes;
    if (cpuMs > this.worstCpuMs) {
      this.worstCpuMs = cpuMs;
      this.worstCase = `${name} (${bytes} bytes)`;
    }
    const ratio = cpuMs / cpuBoundMs(bytes);
    if (ratio > this.worstRatio) {
      this.worstRatio = ratio;
      this.worstRatioCase = `${name} (${bytes} bytes, ${cpuMs.toFixed(1)} ms)`;
    }
  }

  line(): string {
    return (
      `${this.inputs} inputs, ${(this.bytes / MB).toFixed(1)} MB; worst CPU per input ${this.worstCpuMs.toFixed(1)} ms [${this.worstCase}]; ` +
      `closest to the bound: ${(this.worstRatio * 100).toFixed(1)}% [${this.worstRatioCase}]`
    );
  }

  /** Merge into test-results/fuzz/summary.json under `suite`. */
  save(suite: string, extra: Record<string, unknown> = {}): void {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, 'summary.json');
    let all: Record<string, unknown> = {};
    try {
      all = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      // first suite of the run
    }
    all[suite] = {
      baseSeed: BASE_SEED,
      scale: SCALE,
      long: LONG,
      inputs: this.inputs,
      bytes: this.bytes,
      worstCpuMs: Math.round(this.worstCpuMs * 10) / 10,
      worstCase: this.worstCase,
      worstRatioToBound: Math.round(this.worstRatio * 1000) / 1000,
      worstRatioCase: this.worstRatioCase,
      ...extra,
    };
    fs.writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  }
}
