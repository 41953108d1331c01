/**
 * The artifact fuzz suite's scanning thread: runs `scanArtifactBytes` on the inputs the test thread sends and measures
 * each scan's CPU time with `process.cpuUsage()` (the zlib thread pool included). It runs apart from the test so that
 * an input that hangs the scanner can be stopped (the test terminates the thread) and its seed written out.
 */
import { parentPort } from 'node:worker_threads';
import { scanArtifactBytes, verdictOf, type ArtifactLimits, type ArtifactReport } from '../../server/src/artifacts';

export interface ScanRequest {
  id: number;
  bytes: Uint8Array;
  name: string;
  limits?: Partial<ArtifactLimits>;
}

export type ScanReply =
  | { id: number; ok: true; cpuMs: number; wallMs: number; report: ArtifactReport; verdict: ReturnType<typeof verdictOf> }
  | { id: number; ok: false; cpuMs: number; error: string };

if (parentPort) {
  const port = parentPort;
  port.on('message', (m: ScanRequest) => {
    const wall = performance.now();
    const before = process.cpuUsage();
    const cpu = () => {
      const used = process.cpuUsage(before);
      return (used.user + used.system) / 1000;
    };
    scanArtifactBytes(m.bytes, m.name, m.limits).then(
      (report) => {
        let reply: ScanReply;
        try {
          reply = { id: m.id, ok: true, cpuMs: cpu(), wallMs: performance.now() - wall, report, verdict: verdictOf(report) };
        } catch (err) {
          reply = { id: m.id, ok: false, cpuMs: cpu(), error: `verdictOf threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` };
        }
        port.postMessage(reply);
      },
      (err: unknown) => port.postMessage({ id: m.id, ok: false, cpuMs: cpu(), error: `scanArtifactBytes threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` } satisfies ScanReply),
    );
  });
  port.postMessage({ ready: true });
}
