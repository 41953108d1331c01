// Edit-to-diagnostics latency of the language server: single-character edits in a generated 5,000-line Python file,
// over real JSON-RPC to `node dist/server.js --stdio`.
//
// The clock starts when a `didChange` is written to the server's stdin and stops when the `publishDiagnostics` for
// that version arrives. The debounce is excluded by starting the server with `initializationOptions.debounceMs = 0`
// (the timer still fires, after 0 ms); each edit waits for its own diagnostics before the next is sent, so every
// sample is one incremental re-parse plus one analysis of the whole file, never a collapsed burst.
//
// `node bench/lsp-latency.mjs [edits]` prints one JSON line; `measureLspLatency()` returns the same object.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVER = join(ROOT, 'dist', 'server.js');

/** A 5,000-line ML-flavoured module: imports, functions, classes, a few flagged loads, comments and strings. */
export function generateFile(lines = 5000) {
  const out = ['"""Generated for the latency benchmark."""', 'import os', 'import numpy as np', 'import torch', 'import yaml', ''];
  let i = 0;
  while (out.length < lines - 12) {
    const n = i++;
    out.push(
      `def step_${n}(batch, path=os.path.join("runs", "${n}")):`,
      `    """Step ${n}: scale and shift the batch."""`,
      `    scale = ${n % 7} * 0.5 + 1.0  # tuning constant`,
      '    values = [x * scale for x in batch if x is not None]',
      n % 50 === 0 ? '    state = torch.load(path)' : `    state = {"step": ${n}, "path": path}`,
      n % 97 === 0 ? '    cfg = yaml.load(open(path))' : `    cfg = {"lr": 1e-3, "name": f"run-{${n}}"}`,
      '    return values, state, cfg',
      '',
    );
  }
  while (out.length < lines - 1) out.push(`# padding ${out.length}`);
  out.push('');
  return out.join('\n');
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Run the benchmark. Edits alternate between inserting one character and deleting it again at a pseudo-random
 * place (in code, comments and strings), so the file keeps its findings and stays the same size.
 */
export async function measureLspLatency({ edits = 300, lines = 5000, warmup = 20 } = {}) {
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run npm run build`);
  const rpc = require('vscode-languageserver-protocol/node');
  const proc = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = rpc.createProtocolConnection(new rpc.StreamMessageReader(proc.stdout), new rpc.StreamMessageWriter(proc.stdin));
  const waiting = new Map();
  let findings = 0;
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    const w = waiting.get(p.version);
    if (w) {
      waiting.delete(p.version);
      findings = p.diagnostics.length;
      w(performance.now());
    }
  });
  conn.onRequest('workspace/configuration', (p) => p.items.map(() => null));
  conn.onRequest('client/registerCapability', () => null);
  conn.listen();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    workspaceFolders: null,
    capabilities: { workspace: { configuration: true } },
    initializationOptions: { debounceMs: 0, scanOnStartup: false },
  });
  await conn.sendNotification('initialized', {});

  const text = generateFile(lines);
  const uri = pathToFileURL(join(ROOT, '.cache', 'lsp-latency.py')).href;
  const fileLines = text.split('\n');
  let version = 1;
  const published = (v) => new Promise((resolve) => waiting.set(v, resolve));
  let done = published(version);
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version, text } });
  await done;
  const initialFindings = findings;

  let seed = 12345;
  const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const samples = [];
  let pending;
  for (let k = 0; k < warmup + edits; k++) {
    let change;
    if (!pending) {
      const line = Math.floor(rand() * (fileLines.length - 1));
      const character = Math.floor(rand() * (fileLines[line].length + 1));
      pending = { line, character };
      change = { range: { start: pending, end: pending }, text: 'x' };
    } else {
      change = { range: { start: pending, end: { line: pending.line, character: pending.character + 1 } }, text: '' };
      pending = undefined;
    }
    version++;
    done = published(version);
    const t0 = performance.now();
    await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
    const t1 = await done;
    if (k >= warmup) samples.push(t1 - t0);
  }
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
  await new Promise((resolve) => (proc.exitCode !== null ? resolve() : proc.once('exit', resolve)));
  conn.dispose();

  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x) => Math.round(x * 100) / 100;
  return {
    bench: 'lsp-edit-to-diagnostics',
    lines: fileLines.length,
    bytes: Buffer.byteLength(text),
    findings: initialFindings,
    edits: samples.length,
    debounceMs: 0,
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    maxMs: round(sorted[sorted.length - 1]),
    meanMs: round(samples.reduce((a, b) => a + b, 0) / samples.length),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const edits = Number(process.argv[2] ?? 300);
  measureLspLatency({ edits })
    .then((r) => console.log(JSON.stringify(r)))
    .catch((err) => {
      console.error(`lsp-latency: ${err.stack ?? err}`);
      process.exit(1);
    });
}
