/**
 * The analysis thread for large open documents (dist/lsp-worker.js). The server keeps small documents on its own
 * thread, where an analysis takes a few milliseconds, and hands large ones here, so that a slow file never holds up
 * another file's diagnostics, hovers or code actions. The worker keeps its own copy of each document it is given,
 * with its tree-sitter tree, and re-parses it incrementally like the main thread does.
 *
 * Before each analysis the worker posts `started` with the input's size: the main thread's watchdog (off-thread.ts)
 * times the analysis from then, and stops and replaces this thread when it runs too long.
 */
import { parentPort } from 'node:worker_threads';
import { activeRules, analyze, analyzeBytes, initEngine, parseTimeoutResult } from '../engine/analyze';
import type { ProjectFacts } from '../engine/project';
import type { AnalysisResult } from '../engine/types';
import type { Settings } from '../shared/settings';
import { OpenDocument } from './documents';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';

export type ToWorker =
  | { type: 'open'; uri: string; languageId: string; version: number; text: string }
  | { type: 'change'; uri: string; version: number; changes: TextDocumentContentChangeEvent[] }
  | { type: 'close'; uri: string }
  /** `project`: the workspace's facts (manifests, flagged model files), plain data like the settings. */
  | { type: 'analyze'; id: number; uri: string; path: string; settings: Settings; project?: ProjectFacts }
  /** A file read from disk (workspace scan, file watcher): analysed once, nothing kept. */
  | { type: 'analyzeBytes'; id: number; uri: string; path: string; bytes: Uint8Array; settings: Settings; project?: ProjectFacts };

export type FromWorker =
  /** The analysis of request `id`, over `chars` characters (or bytes), starts now. */
  | { type: 'started'; id: number; chars: number }
  | { type: 'result'; id: number; uri: string; version: number; result: AnalysisResult }
  | { type: 'failed'; id: number; uri: string; message: string };

const documents = new Map<string, OpenDocument>();

/**
 * A test hook, honoured only here in the analysis thread: with `SECURE_AI_TEST_WORKER_HANG` set, an input that
 * contains its value makes the analysis spin forever, as an input that the engine cannot finish would, and one that
 * contains the value followed by `_CRASH` ends the thread (exit code 70), as running out of memory would; so that
 * test/lsp-watchdog.test.ts can check that the server stops or replaces the thread and carries on.
 */
const FAULT_MARKER = process.env.SECURE_AI_TEST_WORKER_HANG || undefined;
function faultIfMarked(input: string | Uint8Array): void {
  if (!FAULT_MARKER) return;
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (text.includes(`${FAULT_MARKER}_CRASH`)) process.exit(70);
  if (!text.includes(FAULT_MARKER)) return;
  for (;;) {
    // spin until the main thread terminates this thread
  }
}

function started(id: number, chars: number): void {
  parentPort?.postMessage({ type: 'started', id, chars } satisfies FromWorker);
}

function handle(m: ToWorker): FromWorker | undefined {
  switch (m.type) {
    case 'open':
      documents.get(m.uri)?.dispose();
      documents.set(m.uri, new OpenDocument(m.uri, m.languageId, m.version, m.text));
      return undefined;
    case 'change':
      documents.get(m.uri)?.update(m.changes, m.version);
      return undefined;
    case 'close':
      documents.get(m.uri)?.dispose();
      documents.delete(m.uri);
      return undefined;
    case 'analyzeBytes':
      started(m.id, m.bytes.length);
      try {
        faultIfMarked(m.bytes);
        return { type: 'result', id: m.id, uri: m.uri, version: 0, result: analyzeBytes(m.bytes, m.path, m.settings, { project: m.project }) };
      } catch (err) {
        return { type: 'failed', id: m.id, uri: m.uri, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
      }
    case 'analyze': {
      const doc = documents.get(m.uri);
      if (!doc) return { type: 'failed', id: m.id, uri: m.uri, message: 'the document is not open in the analysis thread' };
      try {
        const text = doc.text;
        started(m.id, text.length);
        faultIfMarked(text);
        const small = text.length <= m.settings.maxFileSizeKb * 1024;
        const needsTree = small && activeRules(m.settings).some((r) => r.mayMatch(text));
        const tree = needsTree ? doc.parse() : undefined;
        const result = needsTree && !tree ? parseTimeoutResult(text.length) : analyze(text, m.path, m.settings, { tree, project: m.project });
        return { type: 'result', id: m.id, uri: m.uri, version: doc.version, result };
      } catch (err) {
        doc.dropTree();
        return { type: 'failed', id: m.id, uri: m.uri, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
      }
    }
  }
}

if (parentPort) {
  const port = parentPort;
  // Messages that arrive before the parser is ready wait, in order.
  const backlog: ToWorker[] = [];
  let ready = false;
  port.on('message', (m: ToWorker) => {
    if (!ready) {
      backlog.push(m);
      return;
    }
    const reply = handle(m);
    if (reply) port.postMessage(reply);
  });
  void initEngine().then(() => {
    ready = true;
    for (const m of backlog.splice(0)) {
      const reply = handle(m);
      if (reply) port.postMessage(reply);
    }
  });
}
