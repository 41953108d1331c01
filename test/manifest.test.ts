/**
 * The extension manifest (package.json) against the code: settings and their defaults, commands, activation,
 * snippets, and the lines between client, server and engine (the lint rule the design asks for, as a test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIDENCES, SEVERITIES } from '../server/src/engine/types';
import { CLIENT_SETTING_DEFAULTS, COMMANDS, CONFIG_SECTION } from '../server/src/shared/protocol';
import { DEFAULT_SETTINGS } from '../server/src/shared/settings';
import { ROOT } from './helpers';

interface Property {
  type: string;
  default: unknown;
  enum?: string[];
  additionalProperties?: { enum?: string[] };
}

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const properties: Record<string, Property> = pkg.contributes?.configuration?.properties ?? {};

test('package.json declares exactly the settings of DEFAULT_SETTINGS (plus the client trace), with the same defaults', () => {
  const expected: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(DEFAULT_SETTINGS)) expected[`${CONFIG_SECTION}.${k}`] = v;
  for (const [k, v] of Object.entries(CLIENT_SETTING_DEFAULTS)) expected[`${CONFIG_SECTION}.${k}`] = v;
  assert.deepEqual(Object.keys(properties).sort(), Object.keys(expected).sort());
  for (const [key, value] of Object.entries(expected)) assert.deepEqual(properties[key].default, value, key);
});

test('setting types and enums match the server', () => {
  const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  for (const [key, p] of Object.entries(properties)) {
    assert.equal(p.type, typeOf(p.default), key);
  }
  assert.deepEqual(properties['secureAi.run'].enum, ['onType', 'onSave']);
  assert.deepEqual([...properties['secureAi.minConfidence'].enum!].sort(), [...CONFIDENCES].sort());
  assert.deepEqual(properties['secureAi.rules'].additionalProperties?.enum, [...SEVERITIES, 'off']);
  assert.deepEqual(properties['secureAi.trace.server'].enum, ['off', 'messages', 'verbose']);
});

test('activation: Python files, notebooks, manifests and model files, never "*"; the bundled client is the entry point', () => {
  const events: string[] = pkg.activationEvents;
  assert.ok(!events.includes('*'));
  assert.deepEqual(events, [
    'onLanguage:python',
    'workspaceContains:**/*.py',
    'workspaceContains:**/*.ipynb',
    // A repository of manifests or of model files alone (a downloaded model) is worth a scan too.
    'workspaceContains:**/{requirements*.txt,pyproject.toml,setup.cfg,environment.yml}',
    'workspaceContains:**/*.{pt,pth,ckpt,pkl,joblib,safetensors,keras}',
    'onNotebook:jupyter-notebook',
  ]);
  assert.equal(pkg.main, './dist/extension.js');
  const esbuild = fs.readFileSync(path.join(ROOT, 'esbuild.mjs'), 'utf8');
  assert.match(esbuild, /client\/src\/extension\.ts', out: 'extension'/);
  assert.match(esbuild, /server\/src\/server\.ts', out: 'server'/);
  assert.match(pkg.engines.vscode, /^\^1\.1\d\d\.\d+$/);
  const typesVscode: string = pkg.devDependencies['@types/vscode'];
  assert.equal(typesVscode.replace(/^\D*/, '').split('.').slice(0, 2).join('.'), pkg.engines.vscode.replace(/^\D*/, '').split('.').slice(0, 2).join('.'), '@types/vscode matches the lowest VS Code the extension supports');
});

test('untrusted workspaces are supported: the analysis reads code and never runs it', () => {
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, true);
});

test('the contributed commands are the ones protocol.ts names', () => {
  const contributed = (pkg.contributes.commands as Array<{ command: string; title: string; category: string }>).map((c) => c.command).sort();
  assert.deepEqual(contributed, Object.values(COMMANDS).sort());
  for (const c of pkg.contributes.commands) assert.equal(c.category, 'Secure AI');
});

test('the snippets file is contributed for Python', () => {
  assert.deepEqual(pkg.contributes.snippets, [{ language: 'python', path: './snippets/python.json' }]);
  assert.ok(fs.existsSync(path.join(ROOT, 'snippets', 'python.json')));
});

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Module specifiers a file imports at run time (type-only imports are erased and do not count). */
function runtimeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*import\s+(type\s+)?[^'"]*?from\s+'([^']+)'|^\s*import\s+\w+\s*=\s*require\('([^']+)'\)|^\s*export\s+[^'"]*?from\s+'([^']+)'/gm)) {
    if (m[1]) continue;
    out.push(m[2] ?? m[3] ?? m[4]);
  }
  return out;
}

test('layering: only client/ imports vscode; the engine knows no LSP; client and server share only server/src/shared/', () => {
  const rel = (f: string) => path.relative(ROOT, f).split(path.sep).join('/');
  for (const file of sources(path.join(ROOT, 'server', 'src'))) {
    const r = rel(file);
    for (const spec of runtimeImports(file)) {
      assert.ok(spec !== 'vscode' && !spec.startsWith('vscode-languageclient'), `${r} imports ${spec}`);
      if (!r.startsWith('server/src/lsp/') && r !== 'server/src/server.ts') {
        assert.ok(!spec.startsWith('vscode-languageserver'), `${r} imports ${spec}: LSP types belong in server/src/lsp/`);
      }
      if (r.startsWith('server/src/shared/')) assert.ok(!spec.startsWith('.'), `${r} imports ${spec} at run time: shared/ is types and constants`);
    }
  }
  for (const file of sources(path.join(ROOT, 'client', 'src'))) {
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('../../server/')) assert.match(spec, /^\.\.\/\.\.\/server\/src\/shared\//, `${rel(file)} imports ${spec}`);
      else if (spec.startsWith('.')) assert.match(spec, /^\.\/[\w-]+$/, `${rel(file)} imports ${spec}`);
    }
  }
});
