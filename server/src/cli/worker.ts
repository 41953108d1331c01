/**
 * A scan worker thread: initialises the engine once, then analyses the batches of files the main thread sends,
 * posting one result per file as soon as it is done. Bundled to dist/worker.js; compiled by tsc beside pool.js.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { initEngine } from '../engine/analyze';
import { analyseFile } from './analyse-file';
import type { BatchMessage, WorkerConfig, WorkerMessage } from './protocol';

function post(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

async function start(): Promise<void> {
  const config = workerData as WorkerConfig;
  try {
    await initEngine();
  } catch (err) {
    post({ type: 'init-failed', message: err instanceof Error ? err.message : String(err) });
    return;
  }
  parentPort!.on('message', (message: BatchMessage) => {
    for (const { index, path } of message.files) {
      const outcome = analyseFile(path, config.settings, config.options);
      post({ type: 'result', index, report: outcome.report });
      if (outcome.engineBroken) {
        post({ type: 'retire' });
        parentPort!.removeAllListeners('message');
        return;
      }
    }
  });
  post({ type: 'ready' });
}

if (!isMainThread && parentPort) void start();
