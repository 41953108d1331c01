// `npm run bench`: secure-ai against ruff-wasm's `S` rules over the Python sources of Debian's python3-torch and
// python3-sklearn packages, both measured in this one run. Reports wall time (median of RUNS), the ratio, and peak
// RSS of each. The corpus is fetched once with `apt-get download` and cached in .cache/bench-corpus.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism, tmpdir } from 'node:os';
import { measureLspLatency } from './lsp-latency.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CACHE = resolve('.cache/bench-corpus');
const PACKAGES = ['python3-torch', 'python3-sklearn', 'python3-sklearn-lib'];
const ROOT = join(CACHE, 'root');

function fail(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

function fetchCorpus() {
  if (existsSync(join(CACHE, 'ready'))) return;
  mkdirSync(join(CACHE, 'debs'), { recursive: true });
  const download = () => spawnSync('apt-get', ['download', ...PACKAGES], { cwd: join(CACHE, 'debs'), encoding: 'utf8' });
  let r = download();
  if (r.status !== 0) {
    console.error('bench: apt-get download failed; running apt-get update once');
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    r = download();
  }
  if (r.status !== 0) fail(`cannot download ${PACKAGES.join(' ')} with apt-get (as root, with Debian's archive reachable):\n${r.stderr}`);
  for (const deb of readdirSync(join(CACHE, 'debs')).filter((f) => f.endsWith('.deb'))) {
    execFileSync('dpkg-deb', ['-x', join(CACHE, 'debs', deb), ROOT]);
  }
  writeFileSync(join(CACHE, 'ready'), new Date().toISOString());
}

function pythonFiles(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) pythonFiles(p, out);
    else if (e.isFile() && e.name.endsWith('.py')) out.push(p);
  }
  return out;
}

function measure(args) {
  const r = spawnSync(process.execPath, ['bench/measure.cjs', ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const m = /@@measure (.*)/.exec(r.stderr);
  if (!m) fail(`no measurement from ${args.join(' ')}:\n${r.stderr.slice(-2000)}`);
  return { ...JSON.parse(m[1]), stdout: r.stdout, stderr: r.stderr };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

if (!existsSync('dist/cli.js')) fail('dist/cli.js is missing: run npm run build');
fetchCorpus();
const files = pythonFiles(ROOT).sort();
const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
const listFile = join(tmpdir(), 'secure-ai-bench-files.txt');
writeFileSync(listFile, files.join('\n') + '\n');
const report = join(tmpdir(), 'secure-ai-bench-report.json');
const jobs = availableParallelism();

const tools = {
  'ruff-wasm (S rules, 1 process)': ['bench/ruff-run.cjs', listFile],
  [`secure-ai (--jobs ${jobs})`]: ['dist/cli.js', 'scan', ROOT, '--no-gitignore', '--format', 'json', '--output', report, '--jobs', String(jobs)],
  'secure-ai (--jobs 1)': ['dist/cli.js', 'scan', ROOT, '--no-gitignore', '--format', 'json', '--output', report, '--jobs', '1'],
};

console.log(`corpus: ${files.length} Python files, ${(bytes / 1e6).toFixed(1)} MB (${PACKAGES.join(', ')}); ${RUNS} runs each, interleaved`);
const results = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
for (let i = 0; i < RUNS; i++) {
  for (const [name, args] of Object.entries(tools)) results[name].push(measure(args));
}

const summary = {};
for (const [name, runs] of Object.entries(results)) {
  const last = runs[runs.length - 1];
  let detail = '';
  if (name.startsWith('ruff')) {
    const out = JSON.parse(last.stdout.trim().split('\n').pop());
    if (out.files !== files.length) fail(`ruff saw ${out.files} files, expected ${files.length}`);
    detail = `${out.diagnostics} diagnostics, ${out.failed} files failed`;
  } else {
    const out = JSON.parse(readFileSync(report, 'utf8'));
    detail = `${out.findings.length} findings, ${out.notices.length} notices, ${out.summary?.files ?? '?'} files`;
    if (last.code > 1) fail(`secure-ai exited ${last.code}:\n${last.stderr.slice(-2000)}`);
  }
  summary[name] = { ms: median(runs.map((r) => r.ms)), maxRssMb: Math.max(...runs.map((r) => r.maxRssMb)), detail };
}

const ruff = summary['ruff-wasm (S rules, 1 process)'].ms;
console.log('');
console.log('| tool | median wall time | speed-up vs ruff-wasm | peak RSS | output |');
console.log('|---|---|---|---|---|');
for (const [name, s] of Object.entries(summary)) {
  console.log(`| ${name} | ${(s.ms / 1000).toFixed(2)} s | ${(ruff / s.ms).toFixed(2)}x | ${s.maxRssMb.toFixed(0)} MB | ${s.detail} |`);
}

// Issue 8's target for the full scan's peak RSS (worker threads included; it grows by about 20 to 40 MB per worker).
const PEAK_RSS_TARGET_MB = 300;
const peak = summary[`secure-ai (--jobs ${jobs})`].maxRssMb;
console.log('');
console.log(`peak RSS of the corpus scan with ${jobs} worker threads: ${peak.toFixed(0)} MB (target: under ${PEAK_RSS_TARGET_MB} MB): ${peak < PEAK_RSS_TARGET_MB ? 'ok' : 'OVER THE TARGET'}`);

// Editor latency: single-character edits in a generated file, over JSON-RPC to dist/server.js, debounce excluded.
console.log('');
console.log('| language server: edit to diagnostics | lines | p50 | p95 | max |');
console.log('|---|---|---|---|---|');
for (const lines of [500, 5000]) {
  const r = await measureLspLatency({ lines, edits: 200 });
  console.log(`| single-character edits, debounce excluded | ${lines} | ${r.p50Ms} ms | ${r.p95Ms} ms | ${r.maxMs} ms |`);
}
