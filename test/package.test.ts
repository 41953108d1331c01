/**
 * Release packaging, from the dist/ that `npm run build` left (npm test builds first; nothing here rebuilds it, so
 * that the tests running beside this one never see a half-written bundle):
 * - the VSIX: `vsce package` with the flags of `npm run package`, read back with yauzl: what must be in it, what must
 *   not, its size, and the README, manifest and icon as they ship;
 * - the npm tarball: `npm pack --ignore-scripts`, installed offline into an empty project, where the `secure-ai` it
 *   installs must scan a hazardous file, find the hazard and exit 1.
 * Neither needs the network: vsce runs with --no-dependencies, and the tarball has no runtime dependencies (dist/ is
 * self-contained), so the offline install needs nothing from the npm cache.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yauzl from 'yauzl';
import { ROOT } from './helpers';

const MB = 1024 * 1024;
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  main: string;
  icon?: string;
  repository?: { url?: string } | string;
  scripts: Record<string, string>;
  dependencies?: Record<string, string>;
  contributes: { snippets?: Array<{ path: string }> };
};

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, ...opts });
  if (r.error) throw r.error;
  return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** An environment for npm without the npm_* variables of an enclosing `npm test` (they would set its options). */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, NO_UPDATE_NOTIFIER: '1', npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' };
}

/** Every member of a zip file with its uncompressed size, and a reader for the members' contents. */
async function readZip(file: string, wanted: (name: string) => boolean): Promise<{ sizes: Map<string, number>; contents: Map<string, Buffer> }> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true }, (err, z) => (err || !z ? reject(err ?? new Error('no zip')) : resolve(z))),
  );
  const sizes = new Map<string, number>();
  const contents = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      sizes.set(entry.fileName, entry.uncompressedSize);
      if (!wanted(entry.fileName)) return zip.readEntry();
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return reject(err ?? new Error(`cannot read ${entry.fileName}`));
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', reject);
        stream.on('end', () => {
          contents.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  zip.close();
  return { sizes, contents };
}

/** Paths in a package that are never shipped: dependencies, tests, sources, build output other than dist/, maps. */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/(^|\/)node_modules\//, 'node_modules'],
  [/(^|\/)(test|out|server|client|bench|examples|docs|scripts|\.cache|test-results|\.ci)\//, 'tests, sources, build output or docs'],
  [/\.(ts|map|vsix|tgz)$/, 'TypeScript sources, source maps or packages'],
  [/(^|\/)(package-lock\.json|tsconfig\.json|esbuild\.mjs|CONTRIBUTING\.md|\.gitignore)$/, 'development files'],
];

function forbiddenIn(paths: string[]): string[] {
  return paths.flatMap((p) => FORBIDDEN.filter(([re]) => re.test(p)).map(([, why]) => `${p} (${why})`));
}

/** The dist/ scripts the extension runs: the client, the server, its analysis thread and the threat model's scan workers. */
const EXTENSION_BUNDLE = ['dist/extension.js', 'dist/server.js', 'dist/lsp-worker.js', 'dist/worker.js', 'dist/tree-sitter.wasm', 'dist/tree-sitter-python.wasm'];
/** What the `secure-ai` command needs at run time. */
const CLI_BUNDLE = ['bin/secure-ai.js', 'dist/cli.js', 'dist/worker.js', 'dist/tree-sitter.wasm', 'dist/tree-sitter-python.wasm'];

let tmp: string;
before(() => {
  for (const f of new Set([...EXTENSION_BUNDLE, ...CLI_BUNDLE])) {
    assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} is missing: run npm run build first (npm test does)`);
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sai-package-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the VSIX', () => {
  let vsix: string;
  let sizes: Map<string, number>;
  let contents: Map<string, Buffer>;
  let bytes: number;

  before(async () => {
    // The vsce flags of `npm run package` (its build step already ran).
    const script = pkg.scripts.package;
    const vsceCommand = script.split('&&').map((s) => s.trim()).find((s) => s.startsWith('vsce package'));
    assert.ok(vsceCommand, `scripts.package runs vsce package: ${script}`);
    const flags = vsceCommand.split(/\s+/).slice(2);
    assert.ok(!flags.includes('--allow-missing-repository') && !flags.includes('--skip-license'), 'the release needs its repository and licence');
    vsix = path.join(tmp, `${pkg.name}-${pkg.version}.vsix`);
    const r = run(process.execPath, [path.join(ROOT, 'node_modules/@vscode/vsce/vsce'), 'package', ...flags, '--out', vsix], { cwd: ROOT, env: npmEnv() });
    assert.equal(r.status, 0, `vsce package failed:\n${r.stdout}\n${r.stderr}`);
    bytes = fs.statSync(vsix).size;
    ({ sizes, contents } = await readZip(vsix, (n) => /^extension\/(package\.json|readme\.md|images\/icon\.png)$/.test(n)));
  });

  test('holds the bundle, the grammars, the snippets, README, LICENSE, CHANGELOG, the icon and the manifest', (t) => {
    const members = [...sizes.keys()];
    t.diagnostic(`VSIX: ${(bytes / 1024).toFixed(0)} KB, ${members.length} members: ${members.join(', ')}`);
    const required = [
      'extension.vsixmanifest',
      'extension/package.json',
      'extension/readme.md',
      'extension/LICENSE.txt',
      'extension/changelog.md',
      ...EXTENSION_BUNDLE.map((f) => `extension/${f}`),
      // Whatever the manifest points at.
      `extension/${path.posix.normalize(pkg.main)}`,
      ...(pkg.contributes.snippets ?? []).map((s) => `extension/${path.posix.normalize(s.path)}`),
      `extension/${pkg.icon}`,
    ];
    for (const f of required) assert.ok(sizes.has(f), `${f} is in the VSIX`);
    for (const f of required) assert.ok((sizes.get(f) ?? 0) > 0, `${f} is not empty`);
  });

  test('holds no node_modules, tests, sources, out/, source maps or docs', () => {
    const members = [...sizes.keys()].map((m) => m.replace(/^extension\//, ''));
    assert.deepEqual(forbiddenIn(members), []);
    // And nothing beyond the release's files: every member is accounted for.
    const allowed = /^(\[Content_Types\]\.xml|extension\.vsixmanifest|package\.json|readme\.md|LICENSE\.txt|changelog\.md|bin\/secure-ai\.js|dist\/[\w-]+\.(js|wasm)|snippets\/[\w-]+\.json|images\/icon\.png)$/;
    assert.deepEqual(members.filter((m) => !allowed.test(m)), []);
  });

  test('is well under 5 MB', (t) => {
    t.diagnostic(`VSIX size: ${bytes} bytes (${(bytes / MB).toFixed(2)} MB)`);
    assert.ok(bytes < 5 * MB, `the VSIX is ${(bytes / MB).toFixed(2)} MB`);
  });

  test('names its repository and icon, and its README links point at the repository (no relative links left)', () => {
    const manifest = JSON.parse(contents.get('extension/package.json')!.toString('utf8')) as typeof pkg;
    const repo = typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url;
    assert.equal(repo, 'https://github.com/secure-ai-dev/secure-ai-dev');
    assert.equal(manifest.icon, 'images/icon.png');
    const readme = contents.get('extension/readme.md')!.toString('utf8');
    const links = [...readme.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    assert.ok(links.length > 20, 'the README has its links');
    const relative = links.filter((l) => !/^(https:\/\/|#|mailto:)/.test(l));
    assert.deepEqual(relative, [], 'every link works outside the repository (vsce rewrites relative ones)');
    // The screenshots the README shows are served from the repository, so the VSIX need not carry them.
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    assert.ok(images.length > 0 && images.every((l) => l.startsWith('https://github.com/secure-ai-dev/secure-ai-dev/raw/main/')), images.join(', '));
    // Rule pages: the same base as the links in diagnostics and SARIF (server/src/rules/docs.ts).
    assert.ok(links.includes('https://github.com/secure-ai-dev/secure-ai-dev/blob/main/docs/rules/SAI101.md'));
  });

  test('carries a 128x128 PNG icon', () => {
    const png = contents.get('extension/images/icon.png')!;
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
    assert.equal(png.toString('ascii', 12, 16), 'IHDR');
    assert.equal(png.readUInt32BE(16), 128, 'width');
    assert.equal(png.readUInt32BE(20), 128, 'height');
  });
});

describe('the npm tarball', () => {
  test('installs offline with nothing else, and its `secure-ai scan` finds a hazard and exits 1', (t) => {
    const started = Date.now();
    assert.deepEqual(Object.keys(pkg.dependencies ?? {}), [], 'no runtime dependencies: esbuild bundles them into dist/');

    // 1. npm pack, without `prepare` (dist/ is built; rebuilding it here would race the tests that run it).
    const packDir = path.join(tmp, 'pack');
    fs.mkdirSync(packDir);
    const pack = run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], { cwd: ROOT, env: npmEnv() });
    assert.equal(pack.status, 0, `npm pack failed:\n${pack.stderr}`);
    const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>;
    const files = info.files.map((f) => f.path);
    for (const f of [...CLI_BUNDLE, 'package.json', 'README.md', 'LICENSE']) assert.ok(files.includes(f), `${f} is in the tarball`);
    assert.deepEqual(forbiddenIn(files), []);
    const tarball = path.join(packDir, info.filename);
    assert.ok(fs.existsSync(tarball));

    // 2. Install it into an empty project, offline.
    const project = path.join(tmp, 'install');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'sai-tarball-check', version: '1.0.0', private: true }));
    const install = run(NPM, ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project, env: npmEnv() });
    assert.equal(install.status, 0, `npm install of the tarball failed:\n${install.stdout}\n${install.stderr}`);
    const installed = fs.readdirSync(path.join(project, 'node_modules')).filter((n) => !n.startsWith('.'));
    assert.deepEqual(installed, [pkg.name], 'the package installs alone: it needs no other package at run time');

    // 3. Scan a folder with a hazard: in the main thread (one file) and with worker threads (dist/worker.js).
    const code = path.join(tmp, 'code');
    fs.mkdirSync(code);
    fs.writeFileSync(path.join(code, 'train.py'), 'import torch\n\nstate = torch.load("checkpoint.pt")\n');
    const bin = path.join(project, 'node_modules', '.bin', process.platform === 'win32' ? 'secure-ai.cmd' : 'secure-ai');
    const one = run(bin, ['scan', code], { cwd: tmp });
    assert.equal(one.status, 1, `exit code 1 for findings:\n${one.stdout}\n${one.stderr}`);
    assert.match(one.stdout, /3:9\s+warning\s+SAI202\s+`torch\.load` without `weights_only=True`/);
    assert.match(one.stdout, /1 finding \(1 warning\) in 1 file/);

    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(code, `m${i}.py`), `import torch\n\nw = torch.load("w${i}.pt")\n`);
    const many = run(bin, ['scan', '--jobs', '2', '--format', 'json', code], { cwd: tmp, env: { ...process.env, SECURE_AI_DEBUG: '1' } });
    assert.equal(many.status, 1, many.stderr);
    assert.match(many.stderr, /on 2 worker threads \(.*node_modules[\\/]secure-ai-dev[\\/]dist[\\/]worker\.js\)/);
    const report = JSON.parse(many.stdout) as { findings: Array<{ ruleId: string }>; version: string };
    assert.equal(report.findings.length, 6);
    assert.ok(report.findings.every((f) => f.ruleId === 'SAI202'));
    assert.equal(report.version, pkg.version, 'the installed CLI reads its own package.json');

    t.diagnostic(`npm tarball: ${(info.size / 1024).toFixed(0)} KB, ${files.length} files; pack + install + two scans took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
