/**
 * A pool of worker threads that analyses a list of files. Files go out in small batches and come back one result
 * at a time, each into its own slot, so the output order is the input order whatever the timing. A worker that
 * dies is replaced: the file it was on is reported once with a notice and never retried, the rest of its batch
 * goes back in the queue. A worker that spends longer than its time limit on one file is stopped and replaced the
 * same way, so that no input can keep a scan from finishing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BatchMessage, WorkerConfig, WorkerMessage } from './protocol';
import type { FileReport } from './report';

/** Where the worker script sits: dist/worker.js beside dist/cli.js, or worker.js beside this file under out/. */
export const DEFAULT_WORKER_SCRIPT = path.join(__dirname, 'worker.js');

export interface PoolConfig {
  threads: number;
  workerScript: string;
  workerConfig: WorkerConfig;
  /** Wall-clock time a worker may spend on one file of `bytes` bytes before it is stopped. Default `fileTimeLimitMs`. */
  fileTimeLimitMs?: (bytes: number) => number;
}

/**
 * The default limit on one file: far above what any file takes (the engine gives up on parsing after about 1 s per
 * MB, and ordinary code takes 0.2 s per MB), so it only ends a worker that is stuck.
 */
export function fileTimeLimitMs(bytes: number): number {
  return 30_000 + (20_000 * bytes) / (1024 * 1024);
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Set once the pool has let go of the worker (retired, crashed or finished); later events are ignored. */
  gone: boolean;
  /** Indices sent and not yet answered, in the order the worker handles them. */
  pending: number[];
  lastError?: Error;
  /** Stops the worker when the file it is on takes too long. */
  watchdog?: NodeJS.Timeout;
}

function crashMessage(slot: Slot, code: number): string {
  const err = slot.lastError as (Error & { code?: string }) | undefined;
  if (err?.code === 'ERR_WORKER_OUT_OF_MEMORY') return 'could not analyse: the worker analysing this file ran out of memory';
  const why = err ? err.message : `exit code ${code}`;
  return `could not analyse: worker crashed (${why})`;
}

function sizeOf(path: string): number {
  try {
    return fs.statSync(path).size;
  } catch {
    return 0; // the worker reports the unreadable file
  }
}

export function runPool(paths: readonly string[], config: PoolConfig): Promise<FileReport[]> {
  return new Promise<FileReport[]>((resolve, reject) => {
    const results: Array<FileReport | undefined> = new Array(paths.length);
    let remaining = paths.length;
    // Indices still to send, largest files first so that no worker is left with a big file at the end; files
    // from a dead worker's batch go back at the front. Results keep the caller's order.
    const sizes = paths.map(sizeOf);
    const queue: number[] = paths.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a]);
    const slots = new Set<Slot>();
    let settled = false;

    const limitFor = config.fileTimeLimitMs ?? fileTimeLimitMs;
    /** Time the file the worker is on now: the first of its batch not answered yet. */
    const arm = (slot: Slot) => {
      clearTimeout(slot.watchdog);
      slot.watchdog = undefined;
      const index = slot.pending[0];
      if (index === undefined || slot.gone) return;
      const limit = limitFor(sizes[index]);
      slot.watchdog = setTimeout(() => {
        if (slot.gone || settled || slot.pending[0] !== index) return;
        slot.pending.shift();
        record(index, {
          path: paths[index],
          findings: [],
          parsed: false,
          notices: [{ kind: 'too-complex', message: `could not analyse: the analysis took longer than ${Math.round(limit / 1000)} s and was stopped` }],
        });
        void slot.worker.terminate().catch(() => undefined);
        replace(slot);
      }, limit);
      slot.watchdog.unref();
    };

    const release = async () => {
      const all = [...slots];
      slots.clear();
      for (const s of all) {
        s.gone = true;
        clearTimeout(s.watchdog);
      }
      await Promise.all(all.map((s) => s.worker.terminate().catch(() => undefined)));
    };

    const finish = () => {
      if (settled) return;
      settled = true;
      void release().then(() => resolve(results as FileReport[]));
    };

    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      void release().then(() => reject(err));
    };

    const record = (index: number, report: FileReport) => {
      if (results[index] !== undefined) return;
      results[index] = report;
      remaining--;
    };

    const batchSize = () => Math.max(1, Math.min(16, Math.floor(queue.length / (config.threads * 3))));

    const feed = (slot: Slot) => {
      if (slot.gone || !slot.ready || slot.pending.length) return;
      if (queue.length === 0) {
        // Nothing left to hand out: an idle worker is not needed any more.
        slot.gone = true;
        slots.delete(slot);
        void slot.worker.terminate().catch(() => undefined);
        if (remaining === 0) finish();
        return;
      }
      const indices = queue.splice(0, batchSize());
      slot.pending = indices;
      const message: BatchMessage = { type: 'batch', files: indices.map((index) => ({ index, path: paths[index] })) };
      slot.worker.postMessage(message);
      arm(slot);
    };

    const replace = (slot: Slot) => {
      slot.gone = true;
      clearTimeout(slot.watchdog);
      slots.delete(slot);
      if (slot.pending.length) queue.unshift(...slot.pending);
      slot.pending = [];
      if (remaining === 0) return finish();
      if (queue.length && slots.size < config.threads) spawn();
    };

    const spawn = () => {
      let worker: Worker;
      try {
        worker = new Worker(config.workerScript, { workerData: config.workerConfig });
      } catch (err) {
        return fail(err instanceof Error ? err : new Error(String(err)));
      }
      const slot: Slot = { worker, ready: false, gone: false, pending: [] };
      slots.add(slot);

      worker.on('message', (m: WorkerMessage) => {
        if (slot.gone || settled) return;
        switch (m.type) {
          case 'ready':
            slot.ready = true;
            feed(slot);
            break;
          case 'init-failed':
            fail(new Error(`a worker could not start the engine: ${m.message}`));
            break;
          case 'result': {
            const at = slot.pending.indexOf(m.index);
            if (at < 0) return;
            slot.pending.splice(at, 1);
            record(m.index, m.report);
            if (remaining === 0) return finish();
            arm(slot);
            feed(slot);
            break;
          }
          case 'retire':
            void worker.terminate().catch(() => undefined);
            replace(slot);
            break;
        }
      });
      worker.on('error', (err) => {
        slot.lastError = err;
      });
      worker.on('exit', (code) => {
        if (slot.gone || settled) return;
        if (!slot.ready) {
          const why = slot.lastError ? slot.lastError.message : `exit code ${code}`;
          return fail(new Error(`a worker failed to start: ${why}`));
        }
        // The worker answers its batch in order, so the first unanswered file is the one it died on.
        const culprit = slot.pending.shift();
        if (culprit !== undefined) {
          record(culprit, {
            path: paths[culprit],
            findings: [],
            parsed: false,
            notices: [{ kind: 'worker-crashed', message: crashMessage(slot, code) }],
          });
        }
        replace(slot);
      });
    };

    if (paths.length === 0) return finish();
    const threads = Math.max(1, Math.min(config.threads, paths.length));
    for (let i = 0; i < threads; i++) spawn();
  });
}
