/**
 * The main thread's side of the analysis thread (analysis-worker.ts): starts it on first use, mirrors the large
 * documents it owns (open, incremental changes, close, in order), and turns `analyze` messages into promises.
 *
 * When the worker script is missing (running from unbundled sources) or the thread keeps dying, `available` turns
 * false and the session analyses every document on its own thread, as before.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import type { AnalysisResult } from '../engine/types';
import type { Settings } from '../shared/settings';
import type { FromWorker, ToWorker } from './analysis-worker';

/** Documents of at least this many UTF-16 code units are analysed off the main thread (~1,500 lines of code). */
export const OFF_THREAD_CHARS = 64 * 1024;
const MAX_RESTARTS = 3;

export interface OffThreadResult {
  version: number;
  result: AnalysisResult;
}

export class AnalysisThread {
  private worker: Worker | undefined;
  private readonly script: string;
  private restarts = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: OffThreadResult) => void; reject: (e: Error) => void }>();
  /** URIs the worker holds a copy of. */
  private readonly owned = new Set<string>();

  constructor(
    private readonly log: (message: string) => void,
    /** Called when the thread died: the documents it held must be analysed elsewhere. */
    private readonly onLost: (uris: string[]) => void,
    script = path.join(__dirname, 'lsp-worker.js'),
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
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.type === 'result') p.resolve({ version: m.version, result: m.result });
      else p.reject(new Error(m.message));
    });
    const lost = (why: string) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.restarts++;
      this.log(`the analysis thread stopped (${why})${this.available ? '' : '; analysing every document on the main thread from now on'}`);
      for (const p of this.pending.values()) p.reject(new Error('the analysis thread stopped'));
      this.pending.clear();
      const uris = [...this.owned];
      this.owned.clear();
      this.onLost(uris);
    };
    w.on('error', (err) => lost(err.message));
    w.on('exit', (code) => lost(`exit code ${code}`));
    this.worker = w;
    return w;
  }

  open(uri: string, languageId: string, version: number, text: string): void {
    this.owned.add(uri);
    this.post({ type: 'open', uri, languageId, version, text });
  }

  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): void {
    if (this.owned.has(uri)) this.post({ type: 'change', uri, version, changes });
  }

  close(uri: string): void {
    if (!this.owned.delete(uri)) return;
    this.post({ type: 'close', uri });
  }

  analyze(uri: string, file: string, settings: Settings): Promise<OffThreadResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ type: 'analyze', id, uri, path: file, settings });
    });
  }

  /** Analyse a file's bytes read from disk (nothing is kept in the thread). */
  analyzeBytes(uri: string, file: string, bytes: Uint8Array, settings: Settings): Promise<AnalysisResult> {
    const id = this.nextId++;
    return new Promise<OffThreadResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ type: 'analyzeBytes', id, uri, path: file, bytes, settings });
    }).then((r) => r.result);
  }

  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}
