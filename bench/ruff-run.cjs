// The peer: ruff's `S` (flake8-bandit) rules through @astral-sh/ruff-wasm-nodejs, over a list of files, in one process.
const fs = require('node:fs');
const { Workspace, PositionEncoding } = require('@astral-sh/ruff-wasm-nodejs');

const files = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
const ws = new Workspace({ lint: { select: ['S'] } }, PositionEncoding.Utf16);
let diagnostics = 0;
let failed = 0;
for (const f of files) {
  try {
    diagnostics += ws.check(fs.readFileSync(f, 'utf8')).length;
  } catch {
    failed++;
  }
}
process.stdout.write(JSON.stringify({ files: files.length, diagnostics, failed }) + '\n');
