/**
 * The tool is never turned against its user: analysing a workspace never starts a process (no `python`, `pip` or
 * shell), never opens a network connection, and never loads (imports) a workspace file. Checked three ways, with the
 * audit of audit.ts: in-process around `analyze` and `scanFiles` (worker threads included), in the CLI (`node
 * dist/cli.js scan`, worker threads included) and in the language server (open documents, the analysis thread, the
 * workspace scan, code actions and hovers); for the server also by its list of child processes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyze, analyzeBytes, initEngine } from '../../server/src/engine/analyze';
import { scanFiles } from '../../server/src/cli/scan';
import { FIXTURES, ROOT } from '../helpers';
import { LspClient, fileUri } from '../lsp-harness';
import { installAudit } from './audit';

const AUDIT = path.join(__dirname, 'audit.js');
const WORKSPACES = [path.join(FIXTURES, 'rules'), path.join(ROOT, 'examples')];

/** Python files of the fixtures and examples, plus a generated file large enough for the server's analysis thread. */
function workspaceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.py')) out.push(p);
    }
  };
  for (const w of WORKSPACES) if (fs.existsSync(w)) walk(w);
  return out.sort();
}

/** The lines of an audit log other than the `loaded` markers, and the threads that loaded the audit. */
function readAudit(file: string): { events: string[]; threads: Set<string> } {
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  return {
    events: lines.filter((l) => l.startsWith('event ')),
    threads: new Set(lines.filter((l) => l.startsWith('loaded ')).map((l) => l.split(' ').slice(1).join(':'))),
  };
}

/** Child processes of `pid` (Linux), else undefined. */
function childrenOf(pid: number): number[] | undefined {
  const tasks = `/proc/${pid}/task`;
  if (!fs.existsSync(tasks)) return undefined;
  const out: number[] = [];
  for (const t of fs.readdirSync(tasks)) {
    try {
      out.push(...fs.readFileSync(path.join(tasks, t, 'children'), 'utf8').split(/\s+/).filter(Boolean).map(Number));
    } catch {
      return undefined; // kernel without the children file
    }
  }
  return out;
}

let tmp: string;
before(async () => {
  await initEngine();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sai-audit-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('no process, network or workspace code during analysis', () => {
  test('the audit itself records and blocks what it watches', () => {
    const events: string[] = [];
    const restore = installAudit((e) => events.push(e), [tmp]);
    try {
      assert.throws(() => spawnSync('python3', ['-c', 'print(1)']), /not allowed/);
      fs.writeFileSync(path.join(tmp, 'evil.js'), 'module.exports = 1;\n');
      assert.throws(() => require(path.join(tmp, 'evil.js')), /not allowed/);
    } finally {
      restore();
    }
    assert.equal(events.length, 2, events.join('\n'));
    assert.match(events[0], /^child_process\.spawnSync\("python3"/);

    // As a preload, in a process and its worker threads.
    const log = path.join(tmp, 'self-check.log');
    const script = "require('node:child_process').execSync('echo hi'); ";
    const r = spawnSync(
      process.execPath,
      ['-e', `const { Worker } = require('node:worker_threads'); new Worker(${JSON.stringify(`try { ${script} } catch {}`)}, { eval: true }); try { ${script} } catch {}`],
      { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: `--require ${JSON.stringify(AUDIT)}`, SAI_AUDIT_LOG: log } },
    );
    assert.equal(r.status, 0, r.stderr);
    const audit = readAudit(log);
    assert.equal(audit.threads.size, 2);
    assert.equal(audit.events.length, 2, audit.events.join('\n'));
    assert.ok(audit.events.every((e) => e.endsWith('child_process.execSync("echo hi")')));
  });

  test('in-process: analyze and analyzeBytes over every fixture and example, scanFiles in this thread and in workers', async () => {
    const files = workspaceFiles();
    assert.ok(files.length >= 10, `${files.length} files`);
    const events: string[] = [];
    const restore = installAudit((e) => events.push(e), WORKSPACES);
    let findings = 0;
    try {
      for (const f of files) {
        const bytes = fs.readFileSync(f);
        findings += analyzeBytes(bytes, f).findings.length;
        analyze(bytes.toString('utf8'), f);
      }
      findings += (await scanFiles(files, { jobs: 1 })).reduce((n, r) => n + r.findings.length, 0);
    } finally {
      restore();
    }
    assert.deepEqual(events, []);
    assert.ok(findings > 50, `${findings} findings: the analysis really ran`);

    // Worker threads load their own modules: a wrapper installs the audit in each before the real worker.
    const log = path.join(tmp, 'in-process-workers.log');
    const wrapper = path.join(tmp, 'audited-worker.js');
    fs.writeFileSync(wrapper, `require(${JSON.stringify(AUDIT)});\nrequire(${JSON.stringify(path.join(ROOT, 'out', 'server', 'src', 'cli', 'worker.js'))});\n`);
    process.env.SAI_AUDIT_LOG = log;
    process.env.SAI_AUDIT_ROOTS = WORKSPACES.join(path.delimiter);
    try {
      const reports = await scanFiles(files, { jobs: 2, minFilesForWorkers: 1, workerScript: wrapper });
      assert.equal(reports.length, files.length);
      assert.ok(reports.every((r) => !r.notices.some((n) => n.kind === 'worker-crashed')));
    } finally {
      delete process.env.SAI_AUDIT_LOG;
      delete process.env.SAI_AUDIT_ROOTS;
    }
    const audit = readAudit(log);
    assert.equal(audit.threads.size, 2, `the audit ran in both workers: ${[...audit.threads].join(', ')}`);
    assert.deepEqual(audit.events, []);
  });

  test('the CLI: `secure-ai scan` over the fixtures and examples, with worker threads', () => {
    const log = path.join(tmp, 'cli.log');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'scan', ...WORKSPACES, '--no-gitignore', '--jobs', '2', '--format', 'json'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      env: { ...process.env, NODE_OPTIONS: `--require ${JSON.stringify(AUDIT)}`, SAI_AUDIT_LOG: log, SAI_AUDIT_ROOTS: WORKSPACES.join(path.delimiter) },
    });
    assert.equal(r.status, 1, r.stderr);
    assert.ok((JSON.parse(r.stdout) as { findings: unknown[] }).findings.length > 50);
    const audit = readAudit(log);
    assert.ok(audit.threads.size >= 3, `the audit ran in the main thread and the workers: ${[...audit.threads].join(', ')}`);
    assert.deepEqual(audit.events, []);
  });

  test('the language server: open documents, the analysis thread, the workspace scan, code actions and hovers', async () => {
    const log = path.join(tmp, 'server.log');
    const folder = path.join(tmp, 'workspace');
    fs.mkdirSync(folder);
    for (const f of workspaceFiles()) fs.copyFileSync(f, path.join(folder, `${path.basename(path.dirname(f))}-${path.basename(f)}`));
    const client = await LspClient.start({
      folders: [folder],
      env: { NODE_OPTIONS: `--require ${JSON.stringify(AUDIT)}`, SAI_AUDIT_LOG: log, SAI_AUDIT_ROOTS: [folder, ...WORKSPACES].join(path.delimiter) },
    });
    try {
      const result = (await client.connection.sendRequest('secureAi/scanWorkspace', null)) as { files: number; findings: number };
      assert.ok(result.findings > 50, JSON.stringify(result));
      const files = fs.readdirSync(folder).slice(0, 12);
      for (const name of files) {
        const uri = fileUri(path.join(folder, name));
        const text = fs.readFileSync(path.join(folder, name), 'utf8');
        await client.open(uri, text);
        const ds = await client.diagnosticsFor(uri);
        for (const d of ds.slice(0, 3)) {
          await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } });
          await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: d.range.start });
        }
        await client.close(uri);
      }
      // Over 64 KB: analysed in the server's analysis thread.
      const big = fileUri(path.join(folder, 'big.py'));
      await client.open(big, `${'x = 1  # padding\n'.repeat(5000)}import torch\ny = torch.load(p)\n`);
      await client.diagnosticsFor(big, (d) => d.length === 1, 30_000);
      const children = childrenOf(client.proc.pid!);
      if (children) assert.deepEqual(children, [], 'the server has no child processes');
    } finally {
      await client.stop();
    }
    const audit = readAudit(log);
    assert.ok(audit.threads.size >= 2, `the audit ran in the server and its analysis thread: ${[...audit.threads].join(', ')}`);
    assert.deepEqual(audit.events, []);
  });
});
