/**
 * The fuzz suites' analysis thread: runs `analyze` / `analyzeBytes` on the inputs the test thread sends and measures
 * the CPU time of each call with `process.cpuUsage()`. It runs apart from the test so that an input that makes the
 * engine loop can be stopped (the test terminates the thread) and its seed written out.
 */
import { parentPort } from 'node:worker_threads';
import { analyze, analyzeBytes, initEngine } from '../../server/src/engine/analyze';
import type { AnalysisResult } from '../../server/src/engine/types';
import type { Settings } from '../../server/src/shared/settings';

export interface EngineRequest {
  id: number;
  /** Bytes go through `analyzeBytes` (size limit, decoding), text through `analyze`. */
  input: Uint8Array | string;
  path: string;
  settings: Settings;
}

export type EngineReply =
  | { id: number; ok: true; cpuMs: number; wallMs: number; result: AnalysisResult }
  | { id: number; ok: false; cpuMs: number; error: string };

if (parentPort) {
  const port = parentPort;
  void initEngine().then(
    () => {
      port.on('message', (m: EngineRequest) => {
        const wall = performance.now();
        const before = process.cpuUsage();
        let reply: EngineReply;
        try {
          const result = typeof m.input === 'string' ? analyze(m.input, m.path, m.settings) : analyzeBytes(m.input, m.path, m.settings);
          const used = process.cpuUsage(before);
          reply = { id: m.id, ok: true, cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall, result };
        } catch (err) {
          const used = process.cpuUsage(before);
          reply = { id: m.id, ok: false, cpuMs: (used.user + used.system) / 1000, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
        }
        port.postMessage(reply);
      });
      port.postMessage({ ready: true });
    },
    (err: unknown) => port.postMessage({ ready: false, error: String(err) }),
  );
}
