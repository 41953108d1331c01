/** Every snippet is valid Python once its placeholders take their defaults, and our own rules find nothing in it. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze, initEngine } from '../server/src/engine/analyze';
import { ROOT, pyCompileError } from './helpers';

interface Snippet {
  prefix: string;
  description: string;
  body: string[];
}

const snippets: Record<string, Snippet> = JSON.parse(fs.readFileSync(path.join(ROOT, 'snippets', 'python.json'), 'utf8'));

/** Expand `${1:default}` and `$1` the way VS Code does when the user accepts every default. */
export function expand(body: string[]): string {
  const defaults = new Map<string, string>();
  const text = body.join('\n') + '\n';
  for (const m of text.matchAll(/\$\{(\d+):([^}]*)\}/g)) if (!defaults.has(m[1])) defaults.set(m[1], m[2]);
  return text.replace(/\$\{(\d+):([^}]*)\}/g, (_, n: string) => defaults.get(n) ?? '').replace(/\$(\d+)/g, (_, n: string) => defaults.get(n) ?? '');
}

before(async () => {
  await initEngine();
});

for (const [name, s] of Object.entries(snippets)) {
  test(`snippet ${s.prefix}`, () => {
    assert.match(s.prefix, /^sai-[a-z-]+$/, name);
    assert.ok(s.description.length > 10);
    const code = expand(s.body);
    assert.equal(pyCompileError(code), undefined, `${name} does not compile:\n${code}`);
    const findings = analyze(code, `${s.prefix}.py`).findings;
    assert.deepEqual(findings.map((f) => `${f.ruleId}: ${f.message}`), [], `${name} trips our own rules`);
  });
}
