/**
 * The language server's `secureAi/exportBom` request behind "Secure AI: Export AI Bill of Materials" (dist/server.js
 * over JSON-RPC): the file the `secureAi.bom.path` setting names, inside the folder only; the threat model the
 * `secureAi.threatModel.path` setting names; a file secure-ai did not write replaced only when the client says so.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writtenBySecureAi } from '../server/src/bom';
import { exportBomRequest, type ExportBomParams, type ExportBomResult } from '../server/src/shared/protocol';
import { FIXTURES } from './helpers';
import { LspClient, SERVER, fileUri } from './lsp-harness';

const made: string[] = [];

function workspace(): string {
  const parent = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sai-bomlsp-')));
  made.push(parent);
  const dir = path.join(parent, 'workspace');
  fs.cpSync(path.join(FIXTURES, 'bom', 'workspace'), dir, { recursive: true });
  return dir;
}

describe('the language server request behind "Secure AI: Export AI Bill of Materials"', () => {
  let dir: string;
  let client: LspClient;
  before(async () => {
    assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run npm run build`);
    dir = workspace();
    client = await LspClient.start({ folders: [dir], settings: { bom: { path: 'sbom/ai.cdx.json' }, threatModel: { path: 'docs/TM.md' } } });
  });
  after(async () => {
    await client.stop();
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  });

  const send = (p: ExportBomParams) => client.connection.sendRequest(exportBomRequest.method, p) as Promise<ExportBomResult>;

  test('plan, then write at the path the setting names; the threat model the other setting names is referenced', async () => {
    const plan = await send({ folderUri: fileUri(dir), mode: 'plan' });
    assert.deepEqual(plan, { uri: fileUri(path.join(dir, 'sbom', 'ai.cdx.json')), exists: false, ours: false, written: false });
    fs.mkdirSync(path.join(dir, 'docs'));
    fs.writeFileSync(path.join(dir, 'docs', 'TM.md'), '# TM\n');
    const r = await send({ folderUri: fileUri(dir), mode: 'write' });
    assert.equal(r.written, true);
    assert.equal(r.uri, plan.uri);
    assert.match(r.summary!, /^\d+ models?, \d+ datasets?, \d+ ML librar(?:y|ies), \d+ code files?, \d+ AI services?; \d+ hashed$/);
    const text = fs.readFileSync(fileURLToPath(r.uri), 'utf8');
    assert.ok(writtenBySecureAi(text));
    const bom = JSON.parse(text);
    assert.equal(bom.specVersion, '1.6');
    assert.deepEqual(
      bom.metadata.component.externalReferences.map((x: { type: string; url: string }) => [x.type, x.url]),
      [['threat-model', 'docs/TM.md']],
    );
    const again = await send({ folderUri: fileUri(dir), mode: 'plan' });
    assert.deepEqual([again.exists, again.ours], [true, true]);
  });

  test('a file it did not write: plan says so, write without force leaves it, write with force replaces it', async () => {
    const file = path.join(dir, 'sbom', 'ai.cdx.json');
    fs.writeFileSync(file, 'hand-written\n');
    const plan = await send({ folderUri: fileUri(dir), mode: 'plan' });
    assert.deepEqual([plan.exists, plan.ours], [true, false]);
    const refused = await send({ folderUri: fileUri(dir), mode: 'write' });
    assert.deepEqual([refused.written, refused.exists, refused.ours], [false, true, false]);
    assert.equal(fs.readFileSync(file, 'utf8'), 'hand-written\n');
    const forced = await send({ folderUri: fileUri(dir), mode: 'write', force: true });
    assert.equal(forced.written, true);
    assert.ok(writtenBySecureAi(fs.readFileSync(file, 'utf8')));
  });

  test('without the setting: ai-bom.cdx.json in the folder', async () => {
    client.config.set('', {});
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    const plan = await send({ folderUri: fileUri(dir), mode: 'plan' });
    assert.equal(plan.uri, fileUri(path.join(dir, 'ai-bom.cdx.json')));
  });

  test('a setting that points outside the folder or through a link, a folder that is not a workspace folder, bad params: refused', async () => {
    client.config.set('', { bom: { path: '../escape.cdx.json' } });
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await assert.rejects(send({ folderUri: fileUri(dir), mode: 'plan' }), (e: { message?: string }) => /outside/.test(e.message ?? ''));
    await assert.rejects(send({ folderUri: fileUri(dir), mode: 'write', force: true }), (e: { message?: string }) => /outside/.test(e.message ?? ''));
    assert.ok(!fs.existsSync(path.join(path.dirname(dir), 'escape.cdx.json')));
    const elsewhere = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sai-bomlsp-out-')));
    made.push(elsewhere);
    fs.symlinkSync(elsewhere, path.join(dir, 'out'));
    client.config.set('', { bom: { path: 'out/bom.json' } });
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await assert.rejects(send({ folderUri: fileUri(dir), mode: 'write', force: true }), (e: { message?: string }) => /outside/.test(e.message ?? ''));
    assert.deepEqual(fs.readdirSync(elsewhere), []);
    await assert.rejects(send({ folderUri: fileUri(os.tmpdir()), mode: 'plan' }), (e: { code?: number }) => e.code === -32602);
    await assert.rejects(client.connection.sendRequest(exportBomRequest.method, { folderUri: fileUri(dir) }), (e: { code?: number }) => e.code === -32602);
  });
});
