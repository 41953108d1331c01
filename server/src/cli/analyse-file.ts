/** Reads and analyses one file; used by the worker threads and by the main thread for small scans. */
import * as fs from 'node:fs';
import { analyzeBytes, type AnalyzeOptions } from '../engine/analyze';
import { analyzeManifest } from '../engine/analyze-manifest';
import { decode } from '../engine/decode';
import type { AnalysisResult } from '../engine/types';
import { analyzeNotebookBytes } from '../notebook';
import { fileKindOf } from '../workspace/file-kinds';
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
    const result = analyzeFileBytes(bytes, path, settings, options);
    return { report: { path, ...result }, engineBroken: false };
  } catch (err) {
    return failed(path, err);
  }
}

/** Analyse one file's bytes by its kind: a notebook, a dependency manifest, or Python source. */
export function analyzeFileBytes(bytes: Uint8Array, path: string, settings: Settings, options: AnalyzeOptions): AnalysisResult {
  const kind = fileKindOf(path);
  if (kind === 'notebook') {
    // The size limit applies to the notebook's code, not its JSON (outputs make notebooks large): see notebook/analyze.
    const nb = analyzeNotebookBytes(bytes, path, settings, options);
    const skipped = nb.warnings.map((message) => ({ kind: 'invalid-format' as const, message }));
    return { findings: nb.findings, notices: [...nb.notices, ...skipped], parsed: nb.parsed };
  }
  if (kind !== 'manifest') return analyzeBytes(bytes, path, settings, options);
  if (bytes.length > settings.maxFileSizeKb * 1024) return analyzeBytes(bytes, path, settings, options); // the size notice
  const decoded = decode(bytes);
  if (!decoded.ok) return { findings: [], parsed: false, notices: [{ kind: 'not-decodable', message: decoded.message }] };
  return analyzeManifest(decoded.text, path, settings, options);
}

function failed(path: string, err: unknown): FileOutcome {
  const message = err instanceof Error ? err.message : String(err);
  return {
    report: { path, findings: [], parsed: false, notices: [{ kind: 'internal-error', message: `could not analyse: ${message}` }] },
    engineBroken: isWasmFailure(err),
  };
}
