// `npm run test:e2e` (after `npm run build` and `npm run compile-tests`, which the npm script runs first):
//   1. scripts/e2e/install-code-server.sh: code-server 4.100.3 cached under .cache/code-server, plus Debian's
//      chromium, ripgrep and libkrb5-dev when missing;
//   2. `vsce package --no-dependencies`: the VSIX under .cache/e2e/ (dist/ is self-contained);
//   3. node --test on out/test/e2e/*.e2e.js, which install the VSIX into fresh code-server profiles.
// Options: --update-docs copies the passing run's screenshots that the README shows into docs/screenshots/.
//          Arguments that are not options filter the e2e files by name.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = join(ROOT, 'test-results', 'e2e');
const VSIX = join(ROOT, '.cache', 'e2e', 'secure-ai-dev.vsix');
/** The screenshots the README shows, as the e2e run names them. */
const DOCS_SHOTS = ['squiggle-and-hover.png', 'quick-fix-menu.png', 'problems-panel.png'];

const args = process.argv.slice(2);
const updateDocs = args.includes('--update-docs');
const filters = args.filter((a) => !a.startsWith('--'));
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.error) throw r.error;
  return r;
}

// 1. code-server, chromium
const install = run('bash', [join(ROOT, 'scripts/e2e/install-code-server.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (install.status !== 0) {
  console.error('[e2e] installing code-server failed');
  process.exit(install.status ?? 1);
}
const codeServer = install.stdout.trim().split('\n').pop();
console.error(`[e2e] code-server ready (${elapsed()})`);

// 2. the VSIX
if (!existsSync(join(ROOT, 'dist', 'extension.js'))) {
  console.error('[e2e] dist/extension.js is missing: run `npm run build` first (npm run test:e2e does)');
  process.exit(1);
}
mkdirSync(dirname(VSIX), { recursive: true });
rmSync(VSIX, { force: true });
const vsce = run(process.execPath, [
  join(ROOT, 'node_modules/@vscode/vsce/vsce'), 'package',
  '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links',
  '--out', VSIX,
], { stdio: ['ignore', 'ignore', 'inherit'] });
if (vsce.status !== 0 || !existsSync(VSIX)) {
  console.error('[e2e] vsce package failed');
  process.exit(vsce.status || 1);
}
console.error(`[e2e] packaged ${VSIX.slice(ROOT.length + 1)} (${elapsed()})`);

// 3. the scenarios
const dir = join(ROOT, 'out', 'test', 'e2e');
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.e2e.js')).filter((f) => !filters.length || filters.some((x) => f.includes(x))) : [];
if (!files.length) {
  console.error('[e2e] no out/test/e2e/*.e2e.js: run `npm run compile-tests` first (npm run test:e2e does)');
  process.exit(1);
}
const tests = run(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...files.map((f) => join(dir, f))], {
  env: {
    ...process.env,
    SECURE_AI_E2E_CODE_SERVER: codeServer,
    SECURE_AI_E2E_VSIX: VSIX,
    SECURE_AI_E2E_ARTIFACTS: ARTIFACTS,
  },
});
console.error(`[e2e] ${tests.status === 0 ? 'passed' : 'FAILED'} in ${elapsed()}; screenshots in ${join('test-results', 'e2e')}`);

if (tests.status === 0 && updateDocs) {
  const docs = join(ROOT, 'docs', 'screenshots');
  mkdirSync(docs, { recursive: true });
  for (const name of DOCS_SHOTS) copyFileSync(join(ARTIFACTS, 'screenshots', name), join(docs, name));
  console.error(`[e2e] copied ${DOCS_SHOTS.join(', ')} to docs/screenshots/`);
}
process.exit(tests.status ?? 1);
