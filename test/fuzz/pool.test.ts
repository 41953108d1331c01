/**
 * The scan's worker pool against inputs that break a worker: a file that hangs its worker is stopped after its time
 * limit and reported once, one that kills its worker is reported once, and the scan finishes with every other file
 * analysed by the replacement workers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileTimeLimitMs } from '../../server/src/cli/pool';
import { scanFiles } from '../../server/src/cli/scan';

const TORCH = 'import torch\nx = torch.load(p)\n';
let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sai-fuzz-pool-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the default per-file limit is far above the engine\'s own limits', () => {
  assert.equal(fileTimeLimitMs(0), 30_000);
  assert.equal(fileTimeLimitMs(2 * 1024 * 1024), 70_000);
});

test('a file that hangs its worker, and one that kills it: each reported once, the scan finishes', async () => {
  const files: string[] = [];
  for (let i = 0; i < 24; i++) {
    const name = i === 5 ? 'f05_hang_me.py' : i === 17 ? 'f17_exit_me.py' : `f${String(i).padStart(2, '0')}.py`;
    const file = path.join(dir, name);
    fs.writeFileSync(file, TORCH);
    files.push(file);
  }
  // A worker that loops for ever on one file (as a bug in a rule could) and exits on another.
  const realWorker = path.join(__dirname, '..', '..', 'server', 'src', 'cli', 'worker.js');
  const wrapper = path.join(dir, 'hanging-worker.js');
  fs.writeFileSync(
    wrapper,
    [
      "const fs = require('node:fs');",
      'const read = fs.readFileSync;',
      'fs.readFileSync = function (file, ...rest) {',
      "  if (String(file).endsWith('hang_me.py')) for (;;) {}",
      "  if (String(file).endsWith('exit_me.py')) process.exit(3);",
      '  return read.call(this, file, ...rest);',
      '};',
      `require(${JSON.stringify(realWorker)});`,
    ].join('\n'),
  );
  const started = performance.now();
  const reports = await scanFiles(files, { jobs: 2, minFilesForWorkers: 1, workerScript: wrapper, fileTimeLimitMs: () => 1500 });
  assert.ok(performance.now() - started < 30_000, 'the scan finished long before the default limit');
  assert.deepEqual(
    reports.map((r) => r.path),
    files,
  );
  const hung = reports[5];
  assert.deepEqual(hung.findings, []);
  assert.deepEqual(
    hung.notices.map((n) => n.kind),
    ['too-complex'],
  );
  assert.match(hung.notices[0].message, /^could not analyse: the analysis took longer than 2 s and was stopped$/);
  assert.deepEqual(
    reports[17].notices.map((n) => n.kind),
    ['worker-crashed'],
  );
  const others = reports.filter((_, i) => i !== 5 && i !== 17);
  assert.ok(others.every((r) => r.notices.length === 0 && r.findings.length === 1));
});
