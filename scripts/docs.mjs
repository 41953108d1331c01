// Regenerates docs/rules/<id>.md and the README's rules table from the rule objects (compiled to out/ by tsc).
// `node scripts/docs.mjs` writes; `--check` exits 1 when a committed copy is stale.
import { readFileSync, writeFileSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { RULES } = require('../out/server/src/rules/index.js');
const { ruleMarkdown, withRulesTable } = require('../out/server/src/rules/docs.js');

const check = process.argv.includes('--check');
const stale = [];
function put(path, text) {
  let old;
  try { old = readFileSync(path, 'utf8'); } catch { old = undefined; }
  if (old === text) return;
  stale.push(path);
  if (!check) writeFileSync(path, text);
}

mkdirSync('docs/rules', { recursive: true });
const wanted = new Set(RULES.map((r) => `${r.id}.md`));
for (const f of readdirSync('docs/rules')) {
  if (!wanted.has(f)) { stale.push(`docs/rules/${f}`); if (!check) unlinkSync(`docs/rules/${f}`); }
}
for (const r of RULES) put(`docs/rules/${r.id}.md`, ruleMarkdown(r));
put('README.md', withRulesTable(readFileSync('README.md', 'utf8'), RULES));

if (stale.length) console.log(`${check ? 'stale' : 'wrote'}: ${stale.join(', ')}`);
process.exit(check && stale.length ? 1 : 0);
