/** Reads and analyses one file; used by the worker threads and by the main thread for small scans. */
import * as fs from 'node:fs';
import { analyzeBytes, type AnalyzeOptions } from '../engine/analyze';
import type { Settings } from '../shared/settings';
import { describeFsError } from './paths';
import type { FileReport } from './report';

export interface FileOutcome {
  report: FileReport;
  /**
   * The parser's WebAssembly instance failed (a trap or an abort). Its memory may be left in a bad state, so the
   * thread that ran it should not parse again.
   */
  engineBroken: boolean;
}

function isWasmFailure(err: unknown): boolean {
  // WebAssembly.RuntimeError: a trap inside the parser.
  if (err instanceof Error && err.name === 'RuntimeError') return true;
  const message = err instanceof Error ? err.message : String(err);
  return /\bAborted\(|memory access out of bounds|Out of memory|unreachable/i.test(message);
}

export function analyseFile(path: string, settings: Settings, options: AnalyzeOptions): FileOutcome {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (err) {
    if (isWasmFailure(err) || !(err as NodeJS.ErrnoException)?.code) return failed(path, err);
    return {
      report: { path, findings: [], parsed: false, notices: [{ kind: 'unreadable', message: `could not read the file: ${describeFsError(err)}` }] },
      engineBroken: false,
    };
  }
  try {
    const result = analyzeBytes(bytes, path, settings, options);
    return { report: { path, ...result }, engineBroken: false };
  } catch (err) {
    return failed(path, err);
  }
}

function failed(path: string, err: unknown): FileOutcome {
  const message = err instanceof Error ? err.message : String(err);
  return {
    report: { path, findings: [], parsed: false, notices: [{ kind: 'internal-error', message: `could not analyse: ${message}` }] },
    engineBroken: isWasmFailure(err),
  };
}
