/**
 * `scanFiles(files, options)`: analyse files on every core. The CLI and the benchmark both call it. Small scans
 * (or `jobs: 1`) run in the calling thread, where starting workers would cost more than it saves.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { initEngine } from '../engine/analyze';
import { withDefaults, type Settings } from '../shared/settings';
import { artifactFindings, artifactNotices } from '../rules/SAI210-unsafe-model-artifact';
import { looksLikeArtifact } from '../artifacts';
import { fileKindOf } from '../workspace/file-kinds';
import { buildFacts, readManifests, scanArtifacts } from '../workspace/project-facts';
import { analyseFile } from './analyse-file';
import { readHead } from './files';
import type { WorkerConfig } from './protocol';
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
  /** The folders scanned: a model file's relative path in code is read against them too. Default: none. */
  roots?: string[];
  /** Lock files found beside the files (see `collectFiles`). */
  lockFiles?: string[];
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

/**
 * Scan files of every kind. Model files go first, in this thread (each scan is bounded and mostly I/O), together
 * with the manifests' facts; then Python files, notebooks and manifests are analysed with those facts, so that a
 * `torch.load` of a flagged file is flagged too.
 */
export async function scanFiles(files: string[], options: ScanOptions = {}): Promise<FileReport[]> {
  const settings = withDefaults(options.settings);
  const artifactFiles = files.filter(isArtifactFile);
  const artifactScans = await scanArtifacts(artifactFiles, settings.maxModelFileSizeMb);
  // Manifests are named in messages as the report names files: relative to the current folder.
  const manifests = readManifests(files, process.cwd(), settings.maxFileSizeKb * 1024);
  const project = buildFacts(options.roots ?? [], manifests, options.lockFiles ?? [], artifactScans);
  const select = { select: options.select, ignore: options.ignore };
  const byPath = new Map<string, FileReport>();
  for (const a of artifactScans) {
    let report: FileReport;
    if (a.report) report = { path: a.file, findings: artifactFindings(a.report, settings, select), notices: artifactNotices(a.report), parsed: true };
    else if (a.skipped) report = { path: a.file, findings: [], notices: [{ kind: a.skipped.startsWith('could not read') ? 'unreadable' : 'too-large', message: a.skipped }], parsed: false };
    else report = { path: a.file, findings: [], notices: [{ kind: 'internal-error', message: `could not scan the model file: ${a.error}` }], parsed: false };
    byPath.set(a.file, report);
  }
  const rest = files.filter((f) => !byPath.has(f));
  const analysed = await analyseFiles(rest, settings, { ...select, project }, options);
  for (const r of analysed) byPath.set(r.path, r);
  return files.map((f) => byPath.get(f)!);
}

/** A model file: by extension, or (a file of no known kind, such as one named on the command line) by its first bytes. */
function isArtifactFile(file: string): boolean {
  const kind = fileKindOf(file);
  return kind === 'artifact' || (kind === undefined && looksLikeArtifact(readHead(file)));
}

async function analyseFiles(files: string[], settings: Settings, analyzeOptions: WorkerConfig['options'], options: ScanOptions): Promise<FileReport[]> {
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
