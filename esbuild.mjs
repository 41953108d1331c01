// Bundles the CLI (and, as they land, the language server and the VS Code client) into dist/, with the two .wasm
// files the parser needs copied beside the bundles.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');

const entries = [
  { in: 'server/src/cli.ts', out: 'cli' },
  { in: 'server/src/cli/worker.ts', out: 'worker' },
  { in: 'server/src/server.ts', out: 'server' },
  { in: 'server/src/lsp/analysis-worker.ts', out: 'lsp-worker' },
  { in: 'client/src/extension.ts', out: 'extension' },
].filter((e) => existsSync(e.in));

mkdirSync('dist', { recursive: true });
for (const [from, to] of [
  ['web-tree-sitter/tree-sitter.wasm', 'dist/tree-sitter.wasm'],
  ['tree-sitter-python/tree-sitter-python.wasm', 'dist/tree-sitter-python.wasm'],
]) {
  copyFileSync(require.resolve(from), to);
}

const options = {
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  // xmlbuilder2: an optional dependency of @cyclonedx/cyclonedx-library's XML serialiser, which the AI BOM (JSON only)
  // never loads; the library requires it inside a try and reports it missing only if XML is asked for.
  external: ['vscode', 'xmlbuilder2'],
  // The sources `import` web-tree-sitter; without this esbuild would bundle its ES-module build, which reads
  // `import.meta.url` and breaks inside a CommonJS bundle. The package's own CommonJS build is the right one here.
  alias: { 'web-tree-sitter': require.resolve('web-tree-sitter') },
  logLevel: 'warning',
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
