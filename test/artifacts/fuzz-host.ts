/**
 * The test thread's side of fuzz-worker.ts, and what every artifact report must satisfy whatever the input.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_ARTIFACT_LIMITS, type ArtifactLimits, type ArtifactReport } from '../../server/src/artifacts';
import { cpuBoundMs, wallLimitMs } from '../fuzz/harness';
import type { ScanReply, ScanRequest } from './fuzz-worker';

export interface ScanOutcome {
  cpuMs: number;
  wallMs: number;
  report: ArtifactReport;
  verdict: { severity: 'error' | 'warning'; summary: string } | undefined;
}

type Pending = { resolve: (r: ScanReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** One scanning thread, restarted after an input hangs it or kills it. */
export class ScanHost {
  private worker: Promise<Worker> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly script = path.join(__dirname, 'fuzz-worker.js');

  private start(): Promise<Worker> {
    this.worker ??= new Promise<Worker>((resolve, reject) => {
      const w = new Worker(this.script);
      w.unref();
      const fail = (err: Error) => {
        this.worker = undefined;
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(err);
        }
        this.pending.clear();
        reject(err);
      };
      w.on('message', (m: ScanReply | { ready: true }) => {
        if ('ready' in m) {
          resolve(w);
          return;
        }
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        p.resolve(m);
      });
      w.on('error', (err) => fail(new Error(`the scanning thread failed: ${err.message}`)));
      w.on('exit', (code) => fail(new Error(`the scanning thread exited (code ${code})`)));
    });
    return this.worker;
  }

  /** Scan in the thread; rejects when the scan throws, the thread dies, or no answer comes within `wallLimitMs`. */
  async scan(bytes: Uint8Array, name: string, limits?: Partial<ArtifactLimits>): Promise<ScanOutcome> {
    const worker = await this.start();
    const id = this.nextId++;
    const reply = await new Promise<ScanReply>((resolve, reject) => {
      const limit = wallLimitMs(bytes.length);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.worker = undefined;
        void worker.terminate();
        reject(new Error(`hang: no report after ${limit} ms of wall time for ${bytes.length} bytes`));
      }, limit);
      this.pending.set(id, { resolve, reject, timer });
      const request: ScanRequest = { id, bytes, name, limits };
      worker.postMessage(request);
    });
    if (!reply.ok) throw new Error(`the scan failed (after ${reply.cpuMs.toFixed(0)} ms of CPU): ${reply.error}`);
    return { cpuMs: reply.cpuMs, wallMs: reply.wallMs, report: reply.report, verdict: reply.verdict };
  }

  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await (await w).terminate();
  }
}

const FORMATS = new Set(['pickle', 'pytorch-zip', 'pytorch-legacy', 'numpy', 'numpy-zip', 'keras', 'hdf5', 'safetensors', 'zip', 'unknown']);
const KINDS = new Set(['dangerous-import', 'unknown-import', 'unreadable', 'lambda-layer', 'not-scanned', 'object-array', 'invalid-safetensors', 'limit']);
const SEVERITIES = new Set(['error', 'warning', 'info']);
const CLASSES = new Set(['safe', 'library', 'dangerous', 'unknown']);
/** What no message, summary or member may hold, whatever the file names (server/src/artifacts/text.ts). */
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

/**
 * What every report must be, whatever the input: the path and size given, a known format, imports and issues of the
 * declared shapes (every issue with a message and a summary free of control and bidi characters, with balanced code
 * spans), a hash when the input is under `maxFileBytes` (and hashing is on), a verdict that agrees with the issues, and
 * plain data.
 */
export function checkReport(bytes: Uint8Array, name: string, o: ScanOutcome, limits: Partial<ArtifactLimits> = {}): void {
  const r = o.report;
  if (r.path !== name) throw new Error(`path ${r.path} is not ${name}`);
  if (r.size !== bytes.length) throw new Error(`size ${r.size} is not ${bytes.length}`);
  if (!FORMATS.has(r.format)) throw new Error(`unknown format ${r.format}`);
  if (!Array.isArray(r.imports) || !Array.isArray(r.issues)) throw new Error('no imports or issues array');
  for (const i of r.imports) {
    if (typeof i.module !== 'string' || typeof i.name !== 'string' || !CLASSES.has(i.classification)) throw new Error(`bad import ${JSON.stringify(i)}`);
    if (i.member !== undefined && typeof i.member !== 'string') throw new Error(`bad member ${JSON.stringify(i)}`);
  }
  for (const i of r.issues) {
    if (!KINDS.has(i.kind) || !SEVERITIES.has(i.severity)) throw new Error(`bad issue ${JSON.stringify(i)}`);
    if (typeof i.message !== 'string' || !i.message || typeof i.summary !== 'string' || !i.summary) throw new Error(`issue without a message or summary: ${JSON.stringify(i)}`);
    for (const text of [i.message, i.summary, i.member ?? '']) {
      if (HIDDEN.test(text)) throw new Error(`an issue shows a control or bidi character: ${JSON.stringify(i)}`);
      if ((text.match(/`/g) ?? []).length % 2) throw new Error(`an issue has unbalanced backticks: ${JSON.stringify(i)}`);
    }
    if (i.member?.includes('`')) throw new Error(`an issue's member holds a backtick: ${JSON.stringify(i)}`);
  }
  const dangerous = r.imports.filter((i) => i.classification === 'dangerous').length;
  if (dangerous && !r.issues.some((i) => i.severity === 'error')) throw new Error('a dangerous import without an error issue');
  const worst = r.issues.some((i) => i.severity === 'error') ? 'error' : r.issues.some((i) => i.severity === 'warning') ? 'warning' : undefined;
  if (o.verdict?.severity !== worst) throw new Error(`verdict ${JSON.stringify(o.verdict)} does not match the issues (worst: ${worst})`);
  if (o.verdict && !o.verdict.summary) throw new Error('a verdict without a summary');
  const maxFile = limits.maxFileBytes ?? DEFAULT_ARTIFACT_LIMITS.maxFileBytes;
  if (limits.hash === false) {
    if (r.sha256 !== undefined || r.issues.some((i) => /hash/.test(i.summary))) throw new Error('hashed with hash: false');
  } else if (bytes.length <= maxFile && !/^[0-9a-f]{64}$/.test(r.sha256 ?? '')) throw new Error(`no sha256 for ${bytes.length} bytes`);
  JSON.stringify(r);
}

/** The scan's CPU time must stay within the suite's bound for the input's size. */
export function checkBound(bytes: Uint8Array, o: ScanOutcome): void {
  const bound = cpuBoundMs(bytes.length);
  if (o.cpuMs > bound) throw new Error(`${o.cpuMs.toFixed(0)} ms of CPU for ${bytes.length} bytes, over the ${bound.toFixed(0)} ms bound`);
}
