/**
 * The test thread's side of engine-worker.ts, and what every analysis result must satisfy whatever the input.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { decode } from '../../server/src/engine/decode';
import { applyEdits } from '../../server/src/engine/edits';
import type { AnalysisResult, Position, Range } from '../../server/src/engine/types';
import { RULES_BY_ID } from '../../server/src/rules';
import { DEFAULT_SETTINGS, type Settings } from '../../server/src/shared/settings';
import type { EngineReply, EngineRequest } from './engine-worker';
import { cpuBoundMs, wallLimitMs } from './harness';

export interface Outcome {
  cpuMs: number;
  wallMs: number;
  result: AnalysisResult;
}

type Pending = { resolve: (r: EngineReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** One analysis thread, restarted after an input hangs it or kills it. */
export class EngineHost {
  private worker: Promise<Worker> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly script = path.join(__dirname, 'engine-worker.js');

  private start(): Promise<Worker> {
    this.worker ??= new Promise<Worker>((resolve, reject) => {
      const w = new Worker(this.script);
      // A thread stopped after a hang must not keep the test process alive while it winds down.
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
      w.on('message', (m: EngineReply | { ready: boolean; error?: string }) => {
        if ('ready' in m) {
          if (m.ready) resolve(w);
          else fail(new Error(`the engine did not start: ${m.error}`));
          return;
        }
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        p.resolve(m);
      });
      w.on('error', (err) => fail(new Error(`the analysis thread failed: ${err.message}`)));
      w.on('exit', (code) => fail(new Error(`the analysis thread exited (code ${code})`)));
    });
    return this.worker;
  }

  /**
   * Analyse `input` in the thread. Rejects when the engine throws, when the thread dies, and when no answer comes
   * within `wallLimitMs` (the thread is then stopped: a hang).
   */
  async analyze(input: Uint8Array | string, settings: Settings = DEFAULT_SETTINGS, file = 'fuzz.py'): Promise<Outcome> {
    const worker = await this.start();
    const id = this.nextId++;
    const bytes = byteLength(input);
    const reply = await new Promise<EngineReply>((resolve, reject) => {
      const limit = wallLimitMs(bytes);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.worker = undefined;
        void worker.terminate();
        reject(new Error(`hang: no result after ${limit} ms of wall time for ${bytes} bytes`));
      }, limit);
      this.pending.set(id, { resolve, reject, timer });
      const request: EngineRequest = { id, input, path: file, settings };
      worker.postMessage(request);
    });
    if (!reply.ok) throw new Error(`analyze threw (after ${reply.cpuMs.toFixed(0)} ms of CPU): ${reply.error}`);
    return { cpuMs: reply.cpuMs, wallMs: reply.wallMs, result: reply.result };
  }

  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await (await w).terminate();
  }
}

export function byteLength(input: Uint8Array | string): number {
  return typeof input === 'string' ? Buffer.byteLength(input) : input.length;
}

const MAX_FIXES_APPLIED = 25;
const NOTICE_KINDS = new Set(['too-large', 'not-decodable', 'too-complex', 'internal-error']);

function checkPosition(p: Position, lines: string[], what: string): void {
  if (!Number.isInteger(p.line) || !Number.isInteger(p.character) || p.line < 0 || p.character < 0) {
    throw new Error(`${what}: ${JSON.stringify(p)} is not a position`);
  }
  if (p.line >= lines.length) throw new Error(`${what}: line ${p.line} is past the last line (${lines.length - 1})`);
  if (p.character > lines[p.line].length) throw new Error(`${what}: character ${p.character} is past the end of line ${p.line} (${lines[p.line].length})`);
}

function checkRange(r: Range, lines: string[], what: string): void {
  checkPosition(r.start, lines, `${what} start`);
  checkPosition(r.end, lines, `${what} end`);
  if (r.start.line > r.end.line || (r.start.line === r.end.line && r.start.character > r.end.character)) {
    throw new Error(`${what}: ${JSON.stringify(r)} ends before it starts`);
  }
}

/**
 * What every result must be, whatever the input: findings, or a single notice that says why the file was not
 * analysed, never both; every finding of a known rule, at a range inside the text, with a message; every fix's edits
 * inside the text and applicable together.
 */
export function checkResult(input: Uint8Array | string, result: AnalysisResult): void {
  if (!Array.isArray(result.findings) || !Array.isArray(result.notices)) throw new Error('the result has no findings or notices array');
  if (result.notices.length > 1) throw new Error(`more than one notice: ${JSON.stringify(result.notices)}`);
  for (const n of result.notices) {
    if (!NOTICE_KINDS.has(n.kind)) throw new Error(`unknown notice kind ${n.kind}`);
    if (typeof n.message !== 'string' || n.message.length === 0) throw new Error('a notice without a message');
  }
  if (result.notices.length && result.findings.length) throw new Error('findings and a "could not analyse" notice together');
  if (result.findings.length === 0) return;

  let text: string;
  if (typeof input === 'string') text = input;
  else {
    const d = decode(input);
    if (!d.ok) throw new Error('findings for input that does not decode');
    text = d.text;
  }
  // tree-sitter counts rows at '\n' only; a '\r' before it is part of the line.
  const lines = text.split('\n');
  const within = (r: Range, what: string) => checkRange(r, lines, what);
  let applied = 0;
  for (const f of result.findings) {
    if (!RULES_BY_ID.has(f.ruleId)) throw new Error(`finding of unknown rule ${f.ruleId}`);
    if (typeof f.message !== 'string' || f.message.length === 0) throw new Error(`${f.ruleId}: a finding without a message`);
    within(f.range, `${f.ruleId} range`);
    if (f.fix) {
      if (f.fix.edits.length === 0) throw new Error(`${f.ruleId}: a fix without edits`);
      for (const e of f.fix.edits) within(e.range, `${f.ruleId} fix edit`);
      // Applying a fix copies the text: the first few per result are applied, which is where a bug would show.
      if (applied++ < MAX_FIXES_APPLIED) {
        try {
          applyEdits(text, f.fix.edits);
        } catch (err) {
          throw new Error(`${f.ruleId}: the fix "${f.fix.title}" does not apply: ${(err as Error).message}`);
        }
      }
    }
  }
}

/** Throws when the outcome took more CPU than the stated bound for its size. */
export function checkBound(input: Uint8Array | string, outcome: Outcome): void {
  const bytes = byteLength(input);
  const bound = cpuBoundMs(bytes);
  if (outcome.cpuMs > bound) {
    throw new Error(`${outcome.cpuMs.toFixed(0)} ms of CPU for ${bytes} bytes, over the bound of ${bound.toFixed(0)} ms`);
  }
}
