/**
 * The language server under hostile and broken traffic, over real JSON-RPC to `node dist/server.js --stdio`: messages
 * out of order, unknown methods, malformed params (seeded, see harness.ts), raw JSON that is not a message, a burst of
 * 1,000 edits, and the cancellation of every request. After each case the process must still be running, answer
 * requests, publish correct diagnostics for a new document, and have logged no unhandled rejection.
 *
 * Bounds: every request is answered (a result or an error) within `RESPONSE_MS` of wall time; the 1,000-edit burst
 * costs the server at most `BURST_CPU_MS` of CPU (measured from /proc on Linux).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import {
  CancellationTokenSource,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
  type Diagnostic,
} from 'vscode-languageserver-protocol/node';
import { analyze, initEngine } from '../../server/src/engine/analyze';
import { RULES } from '../../server/src/rules';
import { OpenDocument } from '../../server/src/lsp/documents';
import { DEFAULT_SETTINGS } from '../../server/src/shared/settings';
import { LspClient, SERVER, applyTextEdits, fileUri } from '../lsp-harness';
import { BASE_SEED, iterations, recordFailure, Rng, seedsFor } from './harness';

/** Every request must be answered within this much wall time. */
const RESPONSE_MS = 10_000;
/** The server's CPU time for a burst of 1,000 edits to one small document (debounced: a few analyses, not 1,000). */
const BURST_CPU_MS = 8_000;
const SUITE = 'server';
const TORCH = 'import torch\n\nstate = torch.load("checkpoint.pt")\n';

/** The server's CPU time so far in ms (utime + stime from /proc), or undefined off Linux. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime), counted from the state field (3): indices 11 and 12, in clock ticks.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

function withTimeout<T>(p: Promise<T>, what: string, ms = RESPONSE_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/** Send a request and wait for its answer, whatever it is: a result or an error. Rejects only when none comes. */
async function answered(client: LspClient, method: string, params: unknown, token?: CancellationTokenSource): Promise<{ ok: boolean; code?: number }> {
  // No `undefined` third argument: the library would send it as a second positional parameter.
  const request = token ? client.connection.sendRequest(method, params, token.token) : client.connection.sendRequest(method, params);
  const sent = request.then(
    () => ({ ok: true }),
    (err: { code?: number }) => ({ ok: false, code: err?.code }),
  );
  return withTimeout(sent, `${method} ${JSON.stringify(params)?.slice(0, 200)}`);
}

/** Write a raw frame to the server's stdin: for bodies the client library would never send. */
function rawSend(client: LspClient, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    client.proc.stdin!.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, (err) => (err ? reject(err) : resolve()));
  });
}

let docCounter = 0;

/** The server is alive and well: running, answering, analysing a new document correctly, no unhandled rejection. */
async function assertHealthy(client: LspClient, dir: string): Promise<void> {
  assert.equal(client.proc.exitCode, null, `the server exited\n${client.stderr}`);
  const docs = await withTimeout(client.connection.sendRequest('secureAi/ruleDocumentation', { ruleId: 'SAI202' }), 'ruleDocumentation');
  assert.match((docs as { markdown: string }).markdown, /^# SAI202/);
  const uri = fileUri(path.join(dir, `health-${++docCounter}.py`));
  await client.open(uri, TORCH);
  const ds = await client.diagnosticsFor(uri, (d) => d.some((x) => x.code === 'SAI202'), RESPONSE_MS);
  assert.deepEqual(
    ds.map((d) => d.code),
    ['SAI202'],
  );
  await client.close(uri);
  const bad = client.logs.filter((l) => /unhandled rejection/i.test(l));
  assert.deepEqual(bad, [], 'unhandled rejections were logged');
  assert.doesNotMatch(client.stderr, /Uncaught|FATAL|RangeError|TypeError/);
}

// ------------------------------------------------------------------ junk values

const JUNK_SCALARS: unknown[] = [
  null,
  0,
  -1,
  1.5,
  2 ** 53,
  -(2 ** 31),
  NaN,
  '',
  'x',
  'file:///',
  'file:///nowhere.py',
  'untitled:Untitled-1',
  'not a uri',
  '\u0000',
  'é😀',
  true,
  false,
];

/** A random JSON-ish value: scalars, arrays, objects with LSP-looking keys and wrong-typed values, deep nesting. */
function junk(r: Rng, depth = 0): unknown {
  const k = depth > 4 ? 0 : r.int(8);
  if (k <= 2) return r.pick(JUNK_SCALARS);
  if (k === 3) return Array.from({ length: r.int(4) }, () => junk(r, depth + 1));
  if (k === 4 && r.chance(0.2)) {
    // Deep nesting, or a long string.
    if (r.chance(0.5)) {
      let v: unknown = 1;
      for (let i = 0; i < 2000; i++) v = [v];
      return v;
    }
    return 'x'.repeat(r.int(200_000));
  }
  const keys = ['textDocument', 'uri', 'version', 'text', 'languageId', 'contentChanges', 'range', 'start', 'end', 'line', 'character', 'position', 'context', 'diagnostics', 'only', 'settings', 'secureAi', 'changes', 'type', 'event', 'added', 'removed', 'ruleId', 'folderUri', 'mode', 'id', '__proto__', 'constructor'];
  const o: Record<string, unknown> = {};
  for (let i = r.int(5); i >= 0; i--) o[r.pick(keys)] = junk(r, depth + 1);
  return o;
}

/** Params shaped like the method's, with one part broken. */
function nearlyValid(r: Rng, method: string, uri: string): unknown {
  const pos = () => (r.chance(0.7) ? { line: r.int(5), character: r.int(40) } : junk(r, 3));
  const range = () => (r.chance(0.7) ? { start: pos(), end: pos() } : junk(r, 3));
  const doc = () => (r.chance(0.8) ? { uri: r.chance(0.8) ? uri : junk(r, 3), version: r.chance(0.8) ? r.int(100) : junk(r, 3) } : junk(r, 2));
  switch (method) {
    case 'textDocument/didOpen':
      return { textDocument: { uri: r.chance(0.8) ? uri : junk(r, 3), languageId: r.pick(['python', 'plaintext', junk(r, 3)]), version: r.int(10), text: r.chance(0.8) ? TORCH : junk(r, 3) } };
    case 'textDocument/didChange':
      return { textDocument: doc(), contentChanges: r.chance(0.8) ? Array.from({ length: r.int(4) }, () => (r.chance(0.7) ? { range: range(), text: r.pick(['', 'x', '\n', 'torch.load(p)\n', junk(r, 3)]) } : junk(r, 3))) : junk(r, 2) };
    case 'textDocument/didSave':
    case 'textDocument/didClose':
      return { textDocument: doc() };
    case 'textDocument/hover':
      return { textDocument: doc(), position: pos() };
    case 'textDocument/codeAction':
      return { textDocument: doc(), range: range(), context: r.chance(0.7) ? { diagnostics: r.chance(0.7) ? [{ range: range(), message: 'x', code: r.pick(RULES).id, data: junk(r, 3) }] : junk(r, 3), only: r.chance(0.3) ? junk(r, 3) : undefined } : junk(r, 2) };
    case 'workspace/didChangeWatchedFiles':
      return { changes: r.chance(0.7) ? [{ uri: r.chance(0.5) ? uri : junk(r, 3), type: r.pick([1, 2, 3, 0, 99, junk(r, 3)]) }] : junk(r, 2) };
    case 'workspace/didChangeConfiguration':
      return { settings: r.chance(0.5) ? { secureAi: junk(r, 2) } : junk(r, 2) };
    case 'workspace/didChangeWorkspaceFolders':
      return { event: r.chance(0.7) ? { added: junk(r, 3), removed: junk(r, 3) } : junk(r, 2) };
    case 'secureAi/ruleDocumentation':
      return r.chance(0.5) ? { ruleId: junk(r, 3) } : junk(r, 2);
    default:
      return junk(r);
  }
}

const NOTIFICATIONS = [
  'textDocument/didOpen',
  'textDocument/didChange',
  'textDocument/didSave',
  'textDocument/didClose',
  'workspace/didChangeWatchedFiles',
  'workspace/didChangeConfiguration',
  'workspace/didChangeWorkspaceFolders',
  '$/setTrace',
  '$/cancelRequest',
  'initialized',
];
// `secureAi/generateThreatModel` writes files: its own tests cover it; junk here can only name no workspace folder.
const REQUESTS = ['textDocument/hover', 'textDocument/codeAction', 'secureAi/ruleDocumentation', 'secureAi/scanWorkspace', 'secureAi/generateThreatModel'];

// ------------------------------------------------------------------ the suite

before(async () => {
  assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run npm run build`);
  await initEngine();
});

describe('server: hostile traffic', () => {
  let client: LspClient;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sai-fuzz-lsp-'));
    fs.writeFileSync(path.join(dir, 'on_disk.py'), TORCH);
    client = await LspClient.start({ folders: [dir] });
  });
  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('messages out of order: change before open, close twice, save and close of unknown documents, reopen', async () => {
    const c = client.connection;
    const a = fileUri(path.join(dir, 'a.py'));
    const b = fileUri(path.join(dir, 'b.py'));
    const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    await c.sendNotification('textDocument/didChange', { textDocument: { uri: a, version: 2 }, contentChanges: [{ range, text: 'import torch\n' }] });
    await c.sendNotification('textDocument/didSave', { textDocument: { uri: a } });
    await c.sendNotification('textDocument/didClose', { textDocument: { uri: a } });
    await client.open(a, TORCH);
    await client.diagnosticsFor(a, (d) => d.length === 1);
    // Closed twice: the second close is ignored.
    await client.close(a);
    await c.sendNotification('textDocument/didClose', { textDocument: { uri: a } });
    await c.sendNotification('textDocument/didChange', { textDocument: { uri: a, version: 9 }, contentChanges: [{ range, text: 'x' }] });
    // Opened twice without a close: the second text wins. A change with an older version still applies (LSP says
    // versions increase; the server does not trust it).
    await client.open(b, TORCH);
    await c.sendNotification('textDocument/didOpen', { textDocument: { uri: b, languageId: 'python', version: 5, text: 'import torch\nx = torch.load(p, weights_only=True)\n' } });
    await client.waitUntil(() => client.diagnostics.get(b)?.version === 5 && client.diagnostics.get(b)!.diagnostics.length === 0, 'b at version 5, clean');
    await c.sendNotification('textDocument/didChange', {
      textDocument: { uri: b, version: 3 },
      contentChanges: [{ text: TORCH }],
    });
    await client.waitUntil(() => client.diagnostics.get(b)?.version === 3 && client.diagnostics.get(b)!.diagnostics.length === 1, 'b at version 3, one finding');
    // Requests about documents that are not open.
    assert.deepEqual(await answered(client, 'textDocument/hover', { textDocument: { uri: a }, position: { line: 0, character: 0 } }), { ok: true });
    assert.deepEqual(await answered(client, 'textDocument/codeAction', { textDocument: { uri: a }, range, context: { diagnostics: [] } }), { ok: true });
    // A second `initialize` and `initialized` do not break the session.
    assert.equal((await answered(client, 'initialize', { processId: null, rootUri: null, capabilities: {}, initializationOptions: { scanOnStartup: false, debounceMs: 10 } })).ok, true);
    await c.sendNotification('initialized', {});
    await assertHealthy(client, dir);
  });

  test('unknown methods: requests get MethodNotFound, notifications are ignored', async () => {
    const r = new Rng(BASE_SEED);
    const names = ['foo', 'textDocument/noSuch', 'secureAi/nope', '$/unknown', 'workspace/executeCommand', 'textDocument/completion', '', 'x'.repeat(10_000), 'é😀/\u0000'];
    for (let i = 0; i < 20; i++) names.push(`${r.pick(['textDocument', 'workspace', 'secureAi', '$', 'window'])}/${r.int(1e9).toString(36)}`);
    for (const m of names) {
      const reply = await answered(client, m, junk(r));
      assert.equal(reply.ok, false, m);
      assert.equal(reply.code, -32601, `${m}: ${JSON.stringify(reply)}`);
      await client.connection.sendNotification(m, junk(r));
    }
    await assertHealthy(client, dir);
  });

  test(`malformed params to every method the server handles (${iterations(40)} each, seeded)`, async () => {
    const uri = fileUri(path.join(dir, 'target.py'));
    await client.open(uri, TORCH);
    for (const method of [...NOTIFICATIONS, ...REQUESTS]) {
      const name = `params:${method}`;
      for (const { iteration, seed } of seedsFor(SUITE, name, 40)) {
        const r = new Rng(seed);
        const params = r.chance(0.5) ? nearlyValid(r, method, uri) : junk(r);
        try {
          if (REQUESTS.includes(method)) await answered(client, method, params);
          else await client.connection.sendNotification(method, params);
          assert.equal(client.proc.exitCode, null, 'the server exited');
        } catch (err) {
          const file = recordFailure(SUITE, name, iteration, seed, JSON.stringify(params) ?? 'undefined', err);
          throw new Error(`${name} #${iteration} (seed ${seed}) failed; written to ${file}\n${(err as Error).message}\n${client.stderr}`);
        }
      }
    }
    // Whatever the junk did to `target.py`, a full-text change makes it a known document again.
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1000, text: TORCH } });
    await client.waitUntil(() => client.diagnostics.get(uri)?.version === 1000 && client.diagnostics.get(uri)!.diagnostics.length === 1, 'target.py analysed again');
    await client.setConfig(null);
    await assertHealthy(client, dir);
  });

  test('settings the client answers with junk fall back to the defaults', async () => {
    const r = new Rng(BASE_SEED ^ 0x5e77);
    for (let i = 0; i < iterations(10); i++) {
      await client.setConfig(r.chance(0.5) ? junk(r) : { enable: junk(r, 3), rules: junk(r, 2), exclude: junk(r, 2), maxFileSizeKb: junk(r, 3), run: junk(r, 3) });
      const uri = fileUri(path.join(dir, `junk-settings-${i}.py`));
      await client.open(uri, TORCH);
      await client.diagnosticsFor(uri, () => true, RESPONSE_MS);
      await client.close(uri);
    }
    await client.setConfig(null);
    await assertHealthy(client, dir);
  });

  test('raw frames that are not JSON-RPC messages', async () => {
    const frames = [
      '{',
      'null',
      '[]',
      '42',
      '"text"',
      '{"jsonrpc":"2.0"}',
      '{"jsonrpc":"1.0","method":"textDocument/hover","id":"raw-1"}',
      '{"jsonrpc":"2.0","id":"raw-2","method":"textDocument/hover","params":"not an object"}',
      '{"jsonrpc":"2.0","id":{"an":"object"},"method":"secureAi/ruleDocumentation","params":{"ruleId":"SAI202"}}',
      '{"jsonrpc":"2.0","method":"textDocument/didOpen","params":[1,2,3]}',
      '{"jsonrpc":"2.0","id":"raw-3","result":{"unsolicited":true}}',
      '{"jsonrpc":"2.0","id":999999,"error":{"code":1,"message":"nobody asked"}}',
      `{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///deep.py","languageId":"python","version":1,"text":${JSON.stringify('['.repeat(50_000))}}}}`,
      `{"jsonrpc":"2.0","id":"raw-4","method":"textDocument/hover","params":${'['.repeat(5_000)}${']'.repeat(5_000)}}`,
    ];
    for (const f of frames) {
      await rawSend(client, f);
      assert.equal(client.proc.exitCode, null, `the server exited after ${f.slice(0, 80)}`);
    }
    await assertHealthy(client, dir);
  });

  test('a burst of 1,000 edits: the final text is analysed, once the burst ends, within the CPU bound', async () => {
    const uri = fileUri(path.join(dir, 'burst.py'));
    await client.open(uri, 'import torch\n');
    await client.diagnosticsFor(uri);
    const before = processCpuMs(client.proc.pid!);
    const r = new Rng(BASE_SEED ^ 0xb0257);
    const pieces = ['torch.load(p)', '\n', ' ', 'x = ', '(', ')', ', weights_only=True', '# c\n', 'é😀', 'import torch as T\n', 'def f(a):\n    return a\n'];
    const sends: Array<Promise<number>> = [];
    for (let i = 0; i < 1000; i++) {
      const text = client.text(uri);
      const lines = text.split('\n');
      const line = r.int(lines.length);
      const a = r.int(lines[line].length + 1);
      const b = Math.min(lines[line].length, a + (r.chance(0.3) ? r.int(5) : 0));
      // Each edit is sent at once, without waiting for the server: an editor does not wait either.
      sends.push(client.change(uri, [{ range: { start: { line, character: a }, end: { line, character: b } }, text: r.pick(pieces) }]));
    }
    await Promise.all(sends);
    const finalText = client.text(uri);
    const ds = await client.diagnosticsFor(uri, () => true, 30_000);
    assert.equal(client.diagnostics.get(uri)?.version, 1001);
    const expected = analyze(finalText, path.join(dir, 'burst.py'), DEFAULT_SETTINGS).findings.filter((f) => !f.suppressed);
    const key = (d: { range: Diagnostic['range'] }, code: unknown) => `${String(code)}@${d.range.start.line}:${d.range.start.character}`;
    assert.deepEqual(
      ds.filter((d) => d.code).map((d) => key(d, d.code)).sort(),
      expected.map((f) => key(f, f.ruleId)).sort(),
      'the published diagnostics are those of the final text',
    );
    const after = processCpuMs(client.proc.pid!);
    if (before !== undefined && after !== undefined) {
      const used = after - before;
      console.log(`# burst of 1,000 edits: ${used} ms of server CPU (bound ${BURST_CPU_MS} ms)`);
      assert.ok(used <= BURST_CPU_MS, `${used} ms of server CPU for 1,000 edits`);
    }
    // The client's copy and the server's agree: a full analysis of the same text gives the same count.
    assert.equal(applyTextEdits(finalText, []), finalText);
    await assertHealthy(client, dir);
  });

  test('edits with reversed, out-of-range and malformed ranges keep the server\'s text and tree in step', async () => {
    const uri = fileUri(path.join(dir, 'hostile-edits.py'));
    const start = `import torch\n\n${Array.from({ length: 8 }, (_, i) => `x${i} = torch.load(p${i})\n`).join('')}\ndef f(a):\n    return a\n`;
    await client.open(uri, start);
    await client.diagnosticsFor(uri, (d) => d.length === 8);
    // The same document in-process, fed the same changes: its text is what the server's text must be, and the
    // server's diagnostics (from its incrementally re-parsed tree) those of a fresh analysis of that text.
    const mirror = new OpenDocument(uri, 'python', 1, start);
    const r = new Rng(BASE_SEED ^ 0xed175);
    const num = () => (r.chance(0.75) ? r.int(12) : r.pick<unknown>([-1, -1000, 1e6, 2 ** 31, 2 ** 53, 0.5, NaN, '3', null]));
    const pos = () => ({ line: num(), character: num() });
    const key = (code: unknown, d: { range: Diagnostic['range'] }) => `${String(code)}@${JSON.stringify(d.range)}`;
    let version = 1;
    for (let round = 0; round < iterations(60); round++) {
      for (let k = 0; k < 4; k++) {
        const change = r.chance(0.9)
          ? { range: { start: pos(), end: pos() }, text: r.pick(['', 'x', '(', ')', '\n', '\r\n', 'torch.load(q)\n', 'é😀', '"""', '    ']) }
          : r.pick<unknown>([{ text: 5 }, { range: null, text: 'x' }, {}, null, { range: { start: {} }, text: '' }]);
        version++;
        await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
        try {
          mirror.update([change as never], version);
        } catch {
          // rejected as a whole, by both sides
        }
      }
      // One valid edit at a known version, so that there is a publication to wait for.
      version++;
      const at = { line: 0, character: 0 };
      await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range: { start: at, end: at }, text: '#\n' }] });
      mirror.update([{ range: { start: at, end: at }, text: '#\n' }], version);
      await client.waitUntil(() => client.diagnostics.get(uri)?.version === version, `diagnostics at version ${version}`);
      const expected = analyze(mirror.text, path.join(dir, 'hostile-edits.py'), DEFAULT_SETTINGS).findings.filter((f) => !f.suppressed);
      const got = client.diagnostics.get(uri)!.diagnostics;
      assert.deepEqual(
        got.filter((d) => d.code).map((d) => key(d.code, d)).sort(),
        expected.map((f) => key(f.ruleId, f)).sort(),
        `round ${round}: the server's diagnostics are not those of the mirrored text:\n${mirror.text}`,
      );
    }
    mirror.dispose();
    await assertHealthy(client, dir);
  });

  test('cancelling every request, before and after it is sent, and cancelling ids that do not exist', async () => {
    const uri = fileUri(path.join(dir, 'cancel.py'));
    await client.open(uri, TORCH);
    const [d] = await client.diagnosticsFor(uri, (x) => x.length === 1);
    const requests: Array<[string, unknown]> = [
      ['textDocument/hover', { textDocument: { uri }, position: d.range.start }],
      ['textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } }],
      ['secureAi/ruleDocumentation', { ruleId: 'SAI202' }],
      ['secureAi/scanWorkspace', null],
      ['secureAi/noSuchRequest', {}],
    ];
    const settled: Array<Promise<{ ok: boolean; code?: number }>> = [];
    for (const [method, params] of requests) {
      for (const when of ['before', 'after', 'later'] as const) {
        const source = new CancellationTokenSource();
        if (when === 'before') source.cancel();
        settled.push(answered(client, method, params, source));
        if (when === 'after') source.cancel();
        if (when === 'later') setImmediate(() => source.cancel());
      }
    }
    for (const id of [123456, 'no-such-id', null, -1]) await client.connection.sendNotification('$/cancelRequest', { id });
    const replies = await Promise.all(settled);
    for (const reply of replies) assert.ok(reply.ok || typeof reply.code === 'number', JSON.stringify(reply));
    await assertHealthy(client, dir);
  });
});

describe('server: notifications before initialize', () => {
  test('are dropped, and the server initialises normally afterwards', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sai-fuzz-lsp-early-'));
    const proc = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const c = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const published = new Map<string, number>();
    let notify = () => {};
    c.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: unknown[] }) => {
      published.set(p.uri, p.diagnostics.length);
      notify();
    });
    c.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => null));
    c.listen();
    try {
      const early = fileUri(path.join(dir, 'early.py'));
      await c.sendNotification('textDocument/didOpen', { textDocument: { uri: early, languageId: 'python', version: 1, text: TORCH } });
      await c.sendNotification('textDocument/didChange', { textDocument: { uri: early, version: 2 }, contentChanges: [{ text: TORCH }] });
      await c.sendNotification('workspace/didChangeConfiguration', { settings: null });
      await c.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: early, type: 1 }] });
      const hover = await withTimeout(c.sendRequest('textDocument/hover', { textDocument: { uri: early }, position: { line: 0, character: 0 } }).then(() => 'answered', () => 'error'), 'hover before initialize');
      assert.ok(hover === 'answered' || hover === 'error');
      assert.equal(proc.exitCode, null, `the server exited before initialize\n${stderr}`);
      await withTimeout(c.sendRequest('initialize', { processId: process.pid, rootUri: fileUri(dir), capabilities: { workspace: { configuration: true } }, initializationOptions: { scanOnStartup: false, debounceMs: 10 } }), 'initialize');
      await c.sendNotification('initialized', {});
      const uri = fileUri(path.join(dir, 'after.py'));
      await c.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: TORCH } });
      await withTimeout(
        new Promise<void>((resolve) => {
          notify = () => published.get(uri) === 1 && resolve();
          notify();
        }),
        'diagnostics after initialize',
      );
      assert.equal(published.has(early), false, 'a document opened before initialize is not analysed');
      assert.equal(proc.exitCode, null);
    } finally {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      await c.sendRequest('shutdown').catch(() => undefined);
      await c.sendNotification('exit').catch(() => undefined);
      await withTimeout(exited, 'exit').catch(() => proc.kill());
      c.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
