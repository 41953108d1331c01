/**
 * The watchdog on the language server's analysis thread (server/src/lsp/off-thread.ts). The server runs with two
 * test settings: SECURE_AI_TEST_WORKER_HANG, which makes the analysis thread (and only it) spin forever on any input
 * that contains the marker, and SECURE_AI_TEST_ANALYSIS_LIMIT_MS, a short time limit in place of the real one. A
 * large document with the marker must then get exactly one "did not analyse" notice once the limit has passed, the
 * server must answer requests and analyse small files meanwhile, the other large documents the stopped thread held
 * must be analysed again in a new thread, and so must the stuck document once it changes. A file read from disk by
 * the workspace scan that hangs the thread costs the scan that one file. Needs `npm run build` first.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol/node';
import { scanWorkspaceRequest, type ScanWorkspaceResult } from '../server/src/shared/protocol';
import { LspClient, SERVER, fileUri, rangeOf } from './lsp-harness';

const MARKER = 'SAI_TEST_HANG_7f3a';
const LIMIT_MS = 2000;
const LIMIT = '2 s'; // as the notice shows LIMIT_MS
const TORCH = 'import torch\n\nstate = torch.load("checkpoint.pt")\n';

/** `lines` lines of ordinary code (well over the 64 KB that sends a document to the analysis thread), with a flagged load every 500 lines. */
function big(lines: number, extra = ''): string {
  const out = ['import os', 'import torch', extra, ''];
  for (let i = 0; out.length < lines; i++) {
    out.push(`def step_${i}(batch, path=os.path.join("runs", "${i}")):`, `    scale = ${i % 7} * 0.5 + 1.0  # tuning`, i % 125 === 0 ? '    return torch.load(path)' : '    return [x * scale for x in batch]', '');
  }
  return out.join('\n') + '\n';
}

const msgOf = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);
const isNotice = (d: Diagnostic) => d.code === undefined && msgOf(d).startsWith(`secure-ai did not analyse this file: the analysis took longer than ${LIMIT} and was stopped`);
/** The findings SAI202 reports in `big(...)`. */
const LOADS = (text: string) => text.split('torch.load(path)').length - 1;

describe('the analysis thread watchdog', () => {
  let client: LspClient;
  let dir: string;
  before(async () => {
    assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run npm run build`);
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sai-watchdog-')));
    client = await LspClient.start({
      folders: [dir],
      env: { SECURE_AI_TEST_WORKER_HANG: MARKER, SECURE_AI_TEST_ANALYSIS_LIMIT_MS: String(LIMIT_MS) },
    });
  });
  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a stuck analysis is stopped, its document gets one notice, and the server carries on', async () => {
    const stuckUri = fileUri(path.join(dir, 'stuck.py'));
    const otherUri = fileUri(path.join(dir, 'other.py'));
    const smallUri = fileUri(path.join(dir, 'small.py'));
    const stuckText = big(3000, `# ${MARKER}`);
    assert.ok(stuckText.length > 64 * 1024);
    const started = Date.now();

    // The stuck document goes first, so the thread is on it; a second large document waits behind it in the thread.
    await client.open(stuckUri, stuckText);
    const otherText = big(3000);
    await client.open(otherUri, otherText);
    // Meanwhile the main thread serves small documents and requests.
    await client.open(smallUri, TORCH);
    const small = await client.diagnosticsFor(smallUri, (ds) => ds.some((d) => d.code === 'SAI202'));
    const hover = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri: smallUri }, position: small[0].range.start });
    assert.ok(hover, 'a hover is answered while the analysis thread is stuck');
    assert.equal(client.diagnostics.get(stuckUri), undefined, `the small file and the hover were answered before the limit (in ${Date.now() - started} ms)`);

    // The limit passes: the thread is stopped, the stuck document gets its notice.
    const [notice, ...rest] = await client.diagnosticsFor(stuckUri, (ds) => ds.length > 0, 10_000);
    assert.deepEqual(rest, [], 'a single diagnostic');
    assert.ok(isNotice(notice), msgOf(notice));
    assert.equal(notice.severity, 3, 'information');
    assert.ok(Date.now() - started >= LIMIT_MS);
    assert.ok(client.logs.some((l) => l.includes(`stuck.py took longer than ${LIMIT}: the analysis thread was stopped and replaced`)), client.logs.join('\n'));

    // The other large document comes back from the stopped thread and is analysed in the new one.
    const other = await client.diagnosticsFor(otherUri, (ds) => ds.length > 0, 10_000);
    assert.equal(other.length, LOADS(otherText));
    assert.ok(other.every((d) => d.code === 'SAI202'));

    // The stuck document is not retried on its own: one notice, published once.
    const published = () => client.published.filter((p) => p.uri === stuckUri);
    assert.equal(published().length, 1);

    // Requests still work, and the stuck document is analysed again once it changes (here: without the marker).
    const docs = await client.connection.sendRequest('secureAi/ruleDocumentation', { ruleId: 'SAI202' });
    assert.ok(docs);
    const at = rangeOf(stuckText, `# ${MARKER}`);
    await client.change(stuckUri, [{ range: at, text: '# fine now' }]);
    const again = await client.diagnosticsFor(stuckUri, (ds) => ds.length > 0, 10_000);
    assert.equal(again.length, LOADS(stuckText));
    assert.ok(again.every((d) => d.code === 'SAI202'));
  });

  test('a thread that dies on a document: that document gets one notice and is not retried, the others carry on', async () => {
    const crashUri = fileUri(path.join(dir, 'crash.py'));
    const nextUri = fileUri(path.join(dir, 'next.py'));
    const crashText = big(3000, `# ${MARKER}_CRASH`);
    const nextText = big(3000);
    await client.open(crashUri, crashText);
    await client.open(nextUri, nextText);
    const [notice, ...rest] = await client.diagnosticsFor(crashUri, (ds) => ds.length > 0, 10_000);
    assert.deepEqual(rest, []);
    assert.match(msgOf(notice), /did not analyse this file: the analysis thread stopped while analysing this file \(exit code 70\); the file is analysed again when it changes/);
    assert.ok(client.logs.some((l) => l.includes('the analysis thread stopped (exit code 70)')), client.logs.join('\n'));
    const next = await client.diagnosticsFor(nextUri, (ds) => ds.length > 0, 10_000);
    assert.equal(next.length, LOADS(nextText));
    assert.equal(client.published.filter((p) => p.uri === crashUri).length, 1, 'the crashing document is not retried');
    // One crash does not give up the thread: large documents still go there (none of this ran on the main thread).
    assert.ok(!client.logs.some((l) => l.includes('on the main thread from now on')));
  });

  test('a file from disk that hangs the thread costs the workspace scan that file only', async () => {
    const scanDir = path.join(dir, 'scan');
    fs.mkdirSync(scanDir);
    fs.writeFileSync(path.join(scanDir, 'hang.py'), big(3000, `# ${MARKER}`));
    const large = ['large1.py', 'large2.py', 'large3.py'];
    for (const f of large) fs.writeFileSync(path.join(scanDir, f), big(3000));
    fs.writeFileSync(path.join(scanDir, 'small.py'), TORCH);
    const result = (await client.connection.sendRequest(scanWorkspaceRequest.method, null)) as ScanWorkspaceResult;
    // hang.py is skipped with its notice in the log; everything else is analysed (stuck.py and other.py are open).
    assert.equal(result.skipped, 1, JSON.stringify(result));
    assert.equal(result.files, 5);
    assert.equal(result.findings, 3 * LOADS(big(3000)) + 1);
    assert.ok(client.logs.some((l) => l.includes(`hang.py: the analysis took longer than ${LIMIT} and was stopped`)), client.logs.join('\n'));
    for (const f of large) assert.equal(client.diagnostics.get(fileUri(path.join(scanDir, f)))?.diagnostics.length, LOADS(big(3000)));
    // Files that were waiting behind hang.py went to the new thread, not to the main thread.
    assert.ok(!client.logs.some((l) => l.includes('analysing it here')), client.logs.join('\n'));
  });
});
