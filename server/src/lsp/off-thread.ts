/**
 * The main thread's side of the analysis thread (analysis-worker.ts): starts it on first use, mirrors the large
 * documents it owns (open, incremental changes, close, in order), and turns `analyze` messages into promises.
 *
 * When the worker script is missing (running from unbundled sources) or the thread keeps dying, `available` turns
 * false and the session analyses every document on its own thread, as before.
 *
 * The watchdog. The thread answers one request at a time, in order, so the oldest request without an answer is the
 * one it is working on. When that one runs longer than `analysisTimeLimitMs` (timed from the worker's `started`
 * message, and from when it became the oldest before that), the thread is stopped and a new one takes its place:
 * - the stuck request resolves with a result that holds one notice ("the analysis took longer than N s and was
 *   stopped"), which the session publishes on the document as the only diagnostic; the document is not analysed
 *   again until it changes (it is left out of `onLost`, and no longer owned: its next analysis opens it afresh);
 * - the other documents the thread held are handed back through `onLost` (the session re-opens and re-analyses
 *   them), their pending `analyze` requests are rejected, and pending `analyzeBytes` requests (files from disk,
 *   which carry their bytes) are sent again to the new thread;
 * - a stop is not a crash: it does not count towards the restarts that make the thread `available` no more, so a
 *   slow input never moves the analysis of large files onto the main thread.
 * A thread that dies on its own (a crash, out of memory) is handled the same way, except that it counts as a
 * restart: the request it died on gets a "the analysis thread stopped" notice rather than being retried, so one
 * input cannot crash thread after thread (as the CLI's pool does, cli/pool.ts).
 *
 * The main thread is kept safe by the split itself: only documents under `OFF_THREAD_CHARS` run there, and their
 * parse and tree walk are bounded by the engine's own deadline (`timeLimitMs` in engine/parser.ts: about 1 s per
 * MB, at least 0.5 s), after which the file gets a `too-complex` notice. (A hover or code action on a large
 * document whose last result is out of date still analyses it there, under the same deadline: see
 * `Session.currentFindings`.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import type { ProjectFacts } from '../engine/project';
import type { AnalysisResult } from '../engine/types';
import type { Settings } from '../shared/settings';
import type { FromWorker, ToWorker } from './analysis-worker';

/** Documents of at least this many UTF-16 code units are analysed off the main thread (~1,500 lines of code). */
export const OFF_THREAD_CHARS = 64 * 1024;
const MAX_RESTARTS = 3;

/**
 * How long one analysis of `chars` characters may run in the thread before the thread is stopped and replaced. Far
 * above what any file takes (the engine gives up parsing and walking after about 1 s per MB, and the fuzz suite holds
 * every input to 2 s of CPU per MB), so it only ends an analysis that is stuck; the same order as the CLI's limit
 * (`fileTimeLimitMs` in cli/pool.ts), shorter because someone is waiting in the editor.
 *
 * `SECURE_AI_TEST_ANALYSIS_LIMIT_MS` replaces it with a fixed limit, for the tests (test/lsp-watchdog.test.ts).
 */
export function analysisTimeLimitMs(chars: number): number {
  const fixed = Number(process.env.SECURE_AI_TEST_ANALYSIS_LIMIT_MS);
  if (Number.isFinite(fixed) && fixed > 0) return fixed;
  return 10_000 + (10_000 * chars) / (1024 * 1024);
}

/** The result for a request the watchdog stopped, or that the thread died on. */
function stoppedResult(message: string): AnalysisResult {
  return { findings: [], parsed: false, notices: [{ kind: 'too-complex', message }] };
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export interface OffThreadResult {
  version: number;
  result: AnalysisResult;
}

interface Pending {
  uri: string;
  resolve: (r: OffThreadResult) => void;
  reject: (e: Error) => void;
  /** The document version the request analyses (0 for bytes from disk). */
  version: number;
  /** The size of the input: the settings' limit until the worker's `started` message tells the real one. */
  chars: number;
  /** Kept for `analyzeBytes`, which is sent again to a new thread when it was only waiting. */
  message: ToWorker;
}

export class AnalysisThread {
  private worker: Worker | undefined;
  private readonly script: string;
  private restarts = 0;
  private nextId = 1;
  /** Requests without an answer, oldest first: the first is the one the thread is on. */
  private readonly pending = new Map<number, Pending>();
  /** URIs the worker holds a copy of, with the version it was last sent. */
  private readonly owned = new Map<string, number>();
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: (message: string) => void,
    /** Called when the thread died or was stopped: the documents it held must be analysed elsewhere. */
    private readonly onLost: (uris: string[]) => void,
    script = path.join(__dirname, 'lsp-worker.js'),
    private readonly timeLimitMs: (chars: number) => number = analysisTimeLimitMs,
  ) {
    this.script = script;
  }

  get available(): boolean {
    return this.restarts <= MAX_RESTARTS && fs.existsSync(this.script);
  }

  owns(uri: string): boolean {
    return this.owned.has(uri);
  }

  private post(m: ToWorker): void {
    this.start().postMessage(m);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.script);
    w.unref();
    w.on('message', (m: FromWorker) => {
      if (this.worker !== w) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === 'started') {
        p.chars = m.chars;
        if (this.pending.keys().next().value === m.id) this.arm();
        return;
      }
      this.pending.delete(m.id);
      if (m.type === 'result') p.resolve({ version: m.version, result: m.result });
      else p.reject(new Error(m.message));
      this.arm();
    });
    let lastError = '';
    w.on('error', (err) => {
      lastError = err.message;
    });
    w.on('exit', (code) => {
      if (this.worker !== w) return; // stopped on purpose (watchdog, dispose)
      this.restarts++;
      const why = lastError || `exit code ${code}`;
      this.log(`the analysis thread stopped (${why})${this.available ? '' : '; analysing every document on the main thread from now on'}`);
      this.replace(w, `the analysis thread stopped while analysing this file (${why}); the file is analysed again when it changes`);
    });
    this.worker = w;
    return w;
  }

  /** Time the oldest pending request: the one the thread is on. */
  private arm(): void {
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    const first = this.pending.entries().next().value;
    const w = this.worker;
    if (!first || !w) return;
    const [id, p] = first;
    const limit = this.timeLimitMs(p.chars);
    this.watchdog = setTimeout(() => {
      if (this.worker !== w || this.pending.keys().next().value !== id) return;
      this.log(`analysing ${p.uri} took longer than ${seconds(limit)}: the analysis thread was stopped and replaced`);
      void w.terminate().catch(() => undefined);
      this.replace(w, `the analysis took longer than ${seconds(limit)} and was stopped; the file is analysed again when it changes`);
    }, limit);
    this.watchdog.unref();
  }

  /**
   * Let go of thread `w`: the request it was on resolves with `notice` (and its document is not retried), the
   * documents it held go back to the session, waiting `analyzeBytes` requests go to a new thread.
   */
  private replace(w: Worker, notice: string): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    const requests = [...this.pending.entries()];
    this.pending.clear();
    const stuck = requests.shift();
    const uris = [...this.owned.keys()].filter((uri) => uri !== stuck?.[1].uri);
    this.owned.clear();
    if (stuck) stuck[1].resolve({ version: stuck[1].version, result: stoppedResult(notice) });
    for (const [id, p] of requests) {
      if (p.message.type === 'analyzeBytes' && this.available) {
        this.pending.set(id, p);
        this.post(p.message);
      } else {
        p.reject(new Error('the analysis thread stopped'));
      }
    }
    this.arm();
    this.onLost(uris);
  }

  open(uri: string, languageId: string, version: number, text: string): void {
    this.owned.set(uri, version);
    this.post({ type: 'open', uri, languageId, version, text });
  }

  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): void {
    if (!this.owned.has(uri)) return;
    this.owned.set(uri, version);
    this.post({ type: 'change', uri, version, changes });
  }

  close(uri: string): void {
    if (!this.owned.delete(uri)) return;
    this.post({ type: 'close', uri });
  }

  private request(uri: string, version: number, chars: number, message: ToWorker & { id: number }): Promise<OffThreadResult> {
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { uri, resolve, reject, version, chars, message });
      this.post(message);
      if (this.pending.size === 1) this.arm();
    });
  }

  /** Analyse the thread's copy of an open document, with the workspace's facts as they are now. */
  analyze(uri: string, file: string, settings: Settings, project?: ProjectFacts): Promise<OffThreadResult> {
    const version = this.owned.get(uri) ?? 0;
    return this.request(uri, version, settings.maxFileSizeKb * 1024, { type: 'analyze', id: this.nextId++, uri, path: file, settings, project });
  }

  /** Analyse a file's bytes read from disk (nothing is kept in the thread). */
  analyzeBytes(uri: string, file: string, bytes: Uint8Array, settings: Settings, project?: ProjectFacts): Promise<AnalysisResult> {
    return this.request(uri, 0, bytes.length, { type: 'analyzeBytes', id: this.nextId++, uri, path: file, bytes, settings, project }).then((r) => r.result);
  }

  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    await w?.terminate();
  }
}
