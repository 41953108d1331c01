/**
 * The data-driven fixture runner. Each `test/fixtures/rules/SAInnn-*.py` is annotated on the line above each case
 * with `# expect: SAInnn` or `# ok: SAInnn`; a case runs from the line after its annotations to the line before the
 * next annotation. Every reported finding must fall in an `expect` case of its rule, every `expect` case must get a
 * finding and every `ok` case none. Where `<fixture>.fixed.py` exists, applying every fix must produce it exactly,
 * and the result must compile.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze, initEngine } from '../server/src/engine/analyze';
import { analyzeManifest } from '../server/src/engine/analyze-manifest';
import type { ProjectFacts } from '../server/src/engine/project';
import type { ManifestKind } from '../server/src/manifests';
import { applyEdits } from '../server/src/engine/edits';
import { RULES_BY_ID } from '../server/src/rules';
import { DEFAULT_SETTINGS } from '../server/src/shared/settings';
import { FIXTURES, pyCompileError } from './helpers';
import { fixedTwin, fixtureFiles, parseCases } from './fixture-cases';

const DIR = path.join(FIXTURES, 'rules');

/**
 * The project every Python fixture is analysed in: the model scanner has flagged two files under `models/` (which
 * need not exist: these are the scanner's conclusions, which SAI210 puts on the calls that load them).
 */
const FIXTURE_PROJECT: ProjectFacts = {
  roots: [DIR],
  artifacts: {
    [path.join(DIR, 'models', 'evil.pt')]: { severity: 'error', summary: 'its pickle imports `os.system`' },
    [path.join(DIR, 'models', 'objects.npy')]: { severity: 'error', summary: 'its object array\'s pickle imports `os.system`' },
    [path.join(DIR, 'models', 'odd.pkl')]: { severity: 'warning', summary: 'its pickle imports `acme.Model`, which is not on the allowlist' },
  },
};

/** Manifest fixtures say their kind by extension; their names do not follow the manifests' own. */
const MANIFEST_KIND: Record<string, ManifestKind> = { '.txt': 'requirements', '.toml': 'pyproject', '.cfg': 'setup-cfg', '.yml': 'conda-environment' };
before(async () => {
  await initEngine();
});

describe('rule fixtures', () => {
  for (const file of fixtureFiles()) {
    const ruleId = file.slice(0, 6);
    test(file, () => {
      assert.ok(RULES_BY_ID.has(ruleId), `${file}: no rule ${ruleId} is registered`);
      const text = fs.readFileSync(path.join(DIR, file), 'utf8');
      const cases = parseCases(text);
      const ext = path.extname(file);
      const result =
        ext === '.py'
          ? // SAI210 reads `__file__`, so it sees the fixture where it lies; other rules see a bare name (under test/, some
            // rules would take the file for a test module).
            analyze(text, ruleId === 'SAI210' ? path.join(DIR, file) : file, DEFAULT_SETTINGS, { select: [ruleId], project: FIXTURE_PROJECT })
          : analyzeManifest(text, path.join(DIR, file), DEFAULT_SETTINGS, { select: [ruleId], kind: MANIFEST_KIND[ext] });
      assert.deepEqual(result.notices, [], `${file}: notices`);
      const reported = result.findings.filter((f) => !f.suppressed);
      const problems: string[] = [];
      for (const f of reported) {
        const line = f.range.start.line;
        const home = cases.find((c) => c.ruleId === f.ruleId && c.kind === 'expect' && line >= c.first && line <= c.last);
        if (!home) problems.push(`line ${line + 1}: unexpected ${f.ruleId}: ${f.message}`);
      }
      for (const c of cases.filter((c) => c.ruleId === ruleId)) {
        const hits = reported.filter((f) => f.ruleId === c.ruleId && f.range.start.line >= c.first && f.range.start.line <= c.last);
        if (c.kind === 'expect' && hits.length === 0) problems.push(`line ${c.first + 1}: expected ${c.ruleId}, got nothing`);
        if (c.kind === 'ok' && hits.length > 0) problems.push(`line ${c.first + 1}: ${c.ruleId} should stay quiet, got: ${hits[0].message}`);
      }
      assert.deepEqual(problems, [], `${file}:\n  ${problems.join('\n  ')}`);

      const fixedPath = path.join(DIR, fixedTwin(file));
      const fixes = reported.filter((f) => f.fix).length;
      assert.ok(fixes === 0 || fs.existsSync(fixedPath), `${file}: ${fixes} findings carry fixes but ${path.basename(fixedPath)} is missing`);
      if (fs.existsSync(fixedPath)) {
        const edits = reported.flatMap((f) => f.fix?.edits ?? []);
        const fixed = applyEdits(text, edits);
        assert.equal(fixed, fs.readFileSync(fixedPath, 'utf8'), `${file}: applying every fix differs from ${path.basename(fixedPath)}`);
        if (ext === '.py') assert.equal(pyCompileError(fixed, path.basename(fixedPath)), undefined, `${file}: the fixed code does not compile`);
      }
    });
  }
});
