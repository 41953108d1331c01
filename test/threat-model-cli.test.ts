/**
 * `secure-ai threat-model` through the built CLI (dist/cli.js), and the language server's
 * `secureAi/generateThreatModel` request behind "Secure AI: Generate Threat Model" (dist/server.js over JSON-RPC, driven
 * by the command's own steps from client/src/threat-model-flow.ts). Both must produce what the pure generator
 * produces for the same folder.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { generateThreatModelFlow } from '../client/src/threat-model-flow';
import { generateThreatModelRequest, type GenerateThreatModelParams, type GenerateThreatModelResult } from '../server/src/shared/protocol';
import { buildThreatModel } from '../server/src/threat-model/build';
import { hasMarkers } from '../server/src/threat-model/document';
import { renderMarkdown } from '../server/src/threat-model/markdown';
import { gatherWorkspace } from '../server/src/threat-model/workspace';
import { FIXTURES, ROOT } from './helpers';
import { LspClient, fileUri } from './lsp-harness';

const CLI = path.join(ROOT, 'dist', 'cli.js');
const WORKSPACES = path.join(FIXTURES, 'threat-model', 'workspaces');

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A copy of a fixture workspace in a fresh temporary folder. */
function workspace(name: string): string {
  const parent = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sai-tmcli-')));
  made.push(parent);
  const dir = path.join(parent, name);
  fs.cpSync(path.join(WORKSPACES, name), dir, { recursive: true });
  return dir;
}

function cli(cwd: string, args: string[]): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [CLI, 'threat-model', ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return r;
}

/** What the pure generator writes for `dir`, with the file at `rel`. */
async function pure(dir: string, rel = 'THREAT_MODEL.md'): Promise<string> {
  const model = buildThreatModel(await gatherWorkspace(dir, { jobs: 1 }));
  return renderMarkdown(model, { dir: path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel) });
}

before(() => {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: run npm run build`);
});

describe('secure-ai threat-model', () => {
  test('writes THREAT_MODEL.md in the folder, says so on stderr, exit 0; the same text as the pure generator', async () => {
    const dir = workspace('serving');
    const r = cli(path.dirname(dir), ['serving']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^secure-ai: wrote serving\/THREAT_MODEL\.md \(\d+ threats: \d+ open, .*\)\n$/);
    const text = fs.readFileSync(path.join(dir, 'THREAT_MODEL.md'), 'utf8');
    assert.equal(text, await pure(dir));
  });

  test('regenerating keeps edits; a file it did not write needs --force', () => {
    const dir = workspace('training');
    assert.equal(cli(dir, []).status, 0);
    const file = path.join(dir, 'THREAT_MODEL.md');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('## Assumptions\n', '## Assumptions\n\n- Training runs on an isolated runner.\n'));
    const again = cli(dir, []);
    assert.equal(again.status, 0, again.stderr);
    assert.match(fs.readFileSync(file, 'utf8'), /- Training runs on an isolated runner\./);

    fs.writeFileSync(path.join(dir, 'NOTES.md'), '# notes\n');
    const refused = cli(dir, ['--output', 'NOTES.md']);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /^secure-ai: 'NOTES\.md' exists and was not written by secure-ai .*--force/);
    assert.equal(fs.readFileSync(path.join(dir, 'NOTES.md'), 'utf8'), '# notes\n');
    assert.equal(cli(dir, ['--output', 'NOTES.md', '--force']).status, 0);
    assert.ok(hasMarkers(fs.readFileSync(path.join(dir, 'NOTES.md'), 'utf8')));
  });

  test('--format json and threat-dragon go to stdout, or to a file with --output; -o - prints Markdown', () => {
    const dir = workspace('llm-app');
    const json = cli(dir, ['--format', 'json']);
    assert.equal(json.status, 0, json.stderr);
    const model = JSON.parse(json.stdout) as { format: string; threats: Array<{ id: string }>; inventory: { externalApis: unknown[] } };
    assert.equal(model.format, 'secure-ai-threat-model');
    assert.ok(model.threats.some((t) => t.id === 'ML-PROMPT-INJECTION'));
    assert.ok(model.inventory.externalApis.length > 0);

    const td = cli(dir, ['--format', 'threat-dragon', '-o', 'model.td.json']);
    assert.equal(td.status, 0, td.stderr);
    const tdModel = JSON.parse(fs.readFileSync(path.join(dir, 'model.td.json'), 'utf8')) as { version: string; detail: { diagrams: unknown[] } };
    assert.match(tdModel.version, /^2\./);
    assert.equal(tdModel.detail.diagrams.length, 1);
    assert.equal(cli(dir, ['--format', 'threat-dragon', '-o', 'model.td.json']).status, 0, 'its own export is replaced without --force');
    fs.writeFileSync(path.join(dir, 'other.json'), '{"x": 1}');
    assert.equal(cli(dir, ['--format', 'json', '-o', 'other.json']).status, 2);

    const md = cli(dir, ['-o', '-']);
    assert.equal(md.status, 0);
    assert.match(md.stdout, /^# Threat model: llm-app\n/);
    assert.ok(!fs.existsSync(path.join(dir, 'THREAT_MODEL.md')));
  });

  test('never outside the folder or the current directory; a missing folder is a usage error', () => {
    const dir = workspace('training');
    const outside = cli(dir, ['.', '-o', '../../escape.md']);
    assert.equal(outside.status, 2);
    assert.match(outside.stderr, /refusing to write '\.\.\/\.\.\/escape\.md': it is outside/);
    const missing = cli(dir, ['no-such-folder']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^secure-ai: cannot read .*no-such-folder/);
    const help = spawnSync(process.execPath, [CLI, 'threat-model', '--help'], { encoding: 'utf8' });
    assert.match(help.stdout, /--format <format>.*md, json .*threat-dragon/s);
  });
});

describe('the language server request behind "Secure AI: Generate Threat Model"', () => {
  let dir: string;
  let client: LspClient;
  before(async () => {
    dir = workspace('serving');
    client = await LspClient.start({ folders: [dir], settings: { threatModel: { path: 'docs/THREAT_MODEL.md' } } });
  });
  after(async () => {
    await client.stop();
  });

  const send = (p: GenerateThreatModelParams) => client.connection.sendRequest(generateThreatModelRequest.method, p) as Promise<GenerateThreatModelResult>;

  test('plan, then write at the path the setting names; the same text as the CLI and the pure generator', async () => {
    const plan = await send({ folderUri: fileUri(dir), mode: 'plan' });
    assert.deepEqual(plan, { uri: fileUri(path.join(dir, 'docs', 'THREAT_MODEL.md')), exists: false, ours: false, written: false });
    const r = await send({ folderUri: fileUri(dir), mode: 'write' });
    assert.equal(r.written, true);
    assert.match(r.summary!, /^\d+ threats: /);
    const text = fs.readFileSync(fileURLToPath(r.uri), 'utf8');
    assert.equal(text, await pure(dir, 'docs/THREAT_MODEL.md'));
    const viaCli = cli(dir, ['-o', '-']);
    assert.equal(viaCli.stdout, await pure(dir), 'the CLI runs the same generator');
  });

  test('the command\'s steps against the server: a file it did not write is replaced only after asking', async () => {
    const file = path.join(dir, 'docs', 'THREAT_MODEL.md');
    fs.writeFileSync(file, 'hand-written\n');
    const asked: string[] = [];
    const ui = (answer: boolean) => ({
      folders: () => [{ uri: fileUri(dir), name: 'serving' }],
      pickFolder: async () => undefined,
      request: send,
      confirmReplace: async (uri: string) => {
        asked.push(uri);
        return answer;
      },
      saveIfDirty: async () => undefined,
      withProgress: <T>(_t: string, task: () => Promise<T>) => task(),
      open: async () => undefined,
      done: async () => undefined,
      error: (m: string) => assert.fail(m),
    });
    assert.equal(await generateThreatModelFlow(ui(false)), 'cancelled');
    assert.equal(fs.readFileSync(file, 'utf8'), 'hand-written\n');
    assert.equal(await generateThreatModelFlow(ui(true)), 'written');
    assert.equal(asked.length, 2);
    assert.ok(hasMarkers(fs.readFileSync(file, 'utf8')));
    // Without force the server does not replace it: it answers written: false.
    fs.writeFileSync(file, 'hand-written again\n');
    const r = await send({ folderUri: fileUri(dir), mode: 'write' });
    assert.deepEqual([r.written, r.exists, r.ours], [false, true, false]);
    assert.equal(fs.readFileSync(file, 'utf8'), 'hand-written again\n');
  });

  test('a setting that points outside the folder, or a folder that is not a workspace folder, is refused', async () => {
    client.config.set('', { threatModel: { path: '../escape.md' } });
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await assert.rejects(send({ folderUri: fileUri(dir), mode: 'plan' }), (e: { message?: string }) => /outside/.test(e.message ?? ''));
    await assert.rejects(send({ folderUri: fileUri(dir), mode: 'write' }), (e: { message?: string }) => /outside/.test(e.message ?? ''));
    assert.ok(!fs.existsSync(path.join(path.dirname(dir), 'escape.md')));
    await assert.rejects(send({ folderUri: fileUri(os.tmpdir()), mode: 'plan' }), (e: { code?: number }) => e.code === -32602);
    await assert.rejects(client.connection.sendRequest(generateThreatModelRequest.method, { mode: 'write' }), (e: { code?: number }) => e.code === -32602);
  });
});
