/** Messages between the scan's main thread and its worker threads. */
import type { AnalyzeOptions } from '../engine/analyze';
import type { Settings } from '../shared/settings';
import type { FileReport } from './report';

/** Handed to each worker as `workerData`. */
export interface WorkerConfig {
  settings: Settings;
  options: Pick<AnalyzeOptions, 'select' | 'ignore' | 'project'>;
}

export interface BatchMessage {
  type: 'batch';
  files: Array<{ index: number; path: string }>;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'init-failed'; message: string }
  | { type: 'result'; index: number; report: FileReport }
  /** The engine broke on the last file; the rest of the batch was not touched and the worker should be replaced. */
  | { type: 'retire' };
