/** web-tree-sitter and tree-sitter-python are pinned as a pair; this proves the pair loads and parses together. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getParser, initParser } from '../server/src/engine/parser';
import { ROOT } from './helpers';

test('web-tree-sitter loads the tree-sitter-python grammar and parses Python', async () => {
  const parser = await initParser();
  assert.equal(getParser(), parser);
  const tree = parser.parse('import torch as T\nstate = T.load(path, weights_only=True)\n');
  assert.ok(tree);
  assert.equal(tree.rootNode.type, 'module');
  assert.equal(tree.rootNode.hasError, false);
  const kw = tree.rootNode.descendantsOfType('keyword_argument')[0];
  assert.equal(kw?.childForFieldName('name')?.text, 'weights_only');
  tree.delete();
});

test('the grammar ABI is one the runtime supports', async () => {
  const parser = await initParser();
  const lang = parser.language;
  assert.ok(lang);
  // web-tree-sitter 0.25 reads grammars of ABI 13 to 15.
  assert.ok(lang.abiVersion >= 13 && lang.abiVersion <= 15, `ABI ${lang.abiVersion}`);
});

test('package.json pins the parser pair to exact versions', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  for (const name of ['web-tree-sitter', 'tree-sitter-python']) {
    // devDependencies since the bundle in dist/ carries the parser (the published package has no runtime dependencies).
    assert.match(pkg.dependencies?.[name] ?? pkg.devDependencies[name], /^\d+\.\d+\.\d+$/, `${name} must be pinned to an exact version`);
  }
});

test('the bundle carries both wasm files beside dist/cli.js', () => {
  for (const f of ['tree-sitter.wasm', 'tree-sitter-python.wasm']) {
    assert.ok(fs.existsSync(path.join(ROOT, 'dist', f)), `dist/${f} is missing`);
  }
});
