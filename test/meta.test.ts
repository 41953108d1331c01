/**
 * The contract every rule keeps: registered once, one file named after it, a fixture with enough cases, docs,
 * guideline ids that exist, and a current entry in the README table and docs/rules/.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GUIDELINES } from '../server/src/guidelines/guidelines';
import { RULES } from '../server/src/rules';
import { ruleFileName, ruleMarkdown, withRulesTable } from '../server/src/rules/docs';
import { FIXTURES, ROOT } from './helpers';
import { isFixture, parseCases } from './fixture-cases';

const RULE_DIR = path.join(ROOT, 'server', 'src', 'rules');
const MIN_CASES = 8;

describe('rule registry', () => {
  test('ids are unique, well-formed and sorted', () => {
    const ids = RULES.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'duplicate rule id');
    for (const id of ids) assert.match(id, /^SAI\d{3}$/);
    assert.deepEqual(ids, [...ids].sort());
  });

  test('every rule file is registered and every registered rule has its file', () => {
    const files = fs.readdirSync(RULE_DIR).filter((f) => /^SAI\d{3}-.*\.ts$/.test(f));
    assert.deepEqual(files.sort(), RULES.map(ruleFileName).sort());
  });

  for (const rule of RULES) {
    describe(rule.id, () => {
      test('declares its metadata and docs', () => {
        assert.match(rule.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
        assert.ok(rule.hazard.length > 5);
        assert.ok(rule.message.endsWith('.'), 'the message is one sentence ending with a full stop');
        assert.ok(rule.check || rule.checkManifest || rule.reads?.length, 'the rule checks nothing');
        if (rule.check) assert.ok(rule.triggers.length > 0, 'a Python check needs trigger words');
        for (const k of ['why', 'example', 'useInstead'] as const) assert.ok(rule.docs[k].trim().length > 20, `docs.${k}`);
        assert.ok(rule.docs.references.length > 0);
        for (const r of rule.docs.references) assert.match(r, /^https:\/\//);
      });

      test('cites only guideline ids from the data file, with at least one NCSC item and one CWE', () => {
        for (const g of rule.guidelines) assert.ok(GUIDELINES.has(g), `unknown guideline id ${g}`);
        assert.ok(rule.guidelines.some((g) => g.startsWith('NCSC-')));
        assert.ok(rule.guidelines.some((g) => g.startsWith('CWE-')));
      });

      test(`has a fixture with at least ${MIN_CASES} positive and ${MIN_CASES} negative cases`, () => {
        const dir = path.join(FIXTURES, 'rules');
        const fixtures = fs.readdirSync(dir).filter((f) => f.startsWith(`${rule.id}-`) && isFixture(f));
        assert.ok(fixtures.length > 0, 'no fixture');
        const cases = fixtures.flatMap((f) => parseCases(fs.readFileSync(path.join(dir, f), 'utf8'))).filter((c) => c.ruleId === rule.id);
        assert.ok(cases.filter((c) => c.kind === 'expect').length >= MIN_CASES, 'too few `# expect:` cases');
        assert.ok(cases.filter((c) => c.kind === 'ok').length >= MIN_CASES, 'too few `# ok:` cases');
      });

      test('docs/rules page is current', () => {
        const page = path.join(ROOT, 'docs', 'rules', `${rule.id}.md`);
        assert.ok(fs.existsSync(page), `docs/rules/${rule.id}.md is missing: run npm run docs`);
        assert.equal(fs.readFileSync(page, 'utf8'), ruleMarkdown(rule), 'stale: run npm run docs');
      });
    });
  }

  test('the README rules table is current', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.equal(readme, withRulesTable(readme, RULES), 'README rules table is stale: run npm run docs');
    for (const r of RULES) assert.ok(readme.includes(`[${r.id}](docs/rules/${r.id}.md)`));
  });

  test('the README shows the two commands', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.ok(readme.includes('npm install && npx secure-ai scan examples'));
    assert.ok(readme.includes('npm test'));
  });
});

describe('fixture annotations', () => {
  test('a case runs to the line before the next annotation', () => {
    const cases = parseCases('x = 1\n# expect: SAI202\na\nb\n# ok: SAI202\n# ok: SAI201\nc\n');
    assert.deepEqual(
      cases.map((c) => [c.kind, c.ruleId, c.first, c.last]),
      [
        ['expect', 'SAI202', 2, 3],
        ['ok', 'SAI202', 6, Number.MAX_SAFE_INTEGER],
        ['ok', 'SAI201', 6, Number.MAX_SAFE_INTEGER],
      ],
    );
  });
});
