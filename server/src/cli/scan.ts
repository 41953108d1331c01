/**
 * `scanFiles(files, options)`: analyse files on every core. The CLI and the benchmark both call it. Small scans
 * (or `jobs: 1`) run in the calling thread, where starting workers would cost more than it saves.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { initEngine, type AnalyzeOptions } from '../engine/analyze';
import { withDefaults, type Settings } from '../shared/settings';
import { analyseFile } from './analyse-file';
import { DEFAULT_WORKER_SCRIPT, runPool } from './pool';
import type { FileReport } from './report';

export type { FileNotice, FileNoticeKind, FileReport } from './report';

export interface ScanOptions {
  /** Engine settings; unset fields take their defaults. */
  settings?: Partial<Settings>;
  /** Rule ids or prefixes to run (all when empty). */
  select?: string[];
  /** Rule ids or prefixes to leave out. */
  ignore?: string[];
  /** Worker threads; default `os.availableParallelism()`. 1 analyses in the calling thread. */
  jobs?: number;
  /** Below this many files the calling thread does the work. Default 4. */
  minFilesForWorkers?: number;
  /** The worker script; tests point it at a wrapper. Default: worker.js beside this module. */
  workerScript?: string;
  /** Wall-clock time a worker may spend on one file of `bytes` bytes (workers only). Default: `fileTimeLimitMs`. */
  fileTimeLimitMs?: (bytes: number) => number;
}

function debug(message: string): void {
  if (process.env.SECURE_AI_DEBUG === '1') process.stderr.write(`secure-ai: debug: ${message}\n`);
}

/**
 * Worker threads when `--jobs` is not given: one per core, at most four. Each worker holds its own parser and
 * WebAssembly heap (20 to 40 MB), and past four the scan of a large corpus goes over a 300 MB peak (measured: 285 MB
 * with 4 workers, 361 MB with 8, on the Debian torch + sklearn sources); `--jobs` still takes any number.
 */
export const MAX_DEFAULT_JOBS = 4;

export function defaultJobs(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length || 1;
  return Math.min(cores, MAX_DEFAULT_JOBS);
}

export async function scanFiles(files: string[], options: ScanOptions = {}): Promise<FileReport[]> {
  const settings = withDefaults(options.settings);
  const analyzeOptions: Pick<AnalyzeOptions, 'select' | 'ignore'> = { select: options.select, ignore: options.ignore };
  const jobs = Math.max(1, Math.floor(options.jobs ?? defaultJobs()));
  const workerScript = options.workerScript ?? DEFAULT_WORKER_SCRIPT;
  const minFiles = options.minFilesForWorkers ?? 4;

  // Without the worker script (run from sources by a test runner, say) the calling thread does the work.
  if (jobs > 1 && files.length >= minFiles && fs.existsSync(workerScript)) {
    const threads = Math.min(jobs, files.length);
    debug(`${files.length} files on ${threads} worker threads (${workerScript})`);
    return runPool(files, { threads, workerScript, workerConfig: { settings, options: analyzeOptions }, fileTimeLimitMs: options.fileTimeLimitMs });
  }
  debug(`${files.length} files in the main thread`);
  if (files.length === 0) return [];
  await initEngine();
  return files.map((file) => analyseFile(file, settings, analyzeOptions).report);
}
