/**
 * The threat-model generator on fixture workspaces (a training-only repository, a serving app, an LLM app and an
 * empty folder), against golden files; the Mermaid diagram through Mermaid's own parser; the Threat Dragon export
 * against a v2 schema; and regeneration keeping a person's edits.
 *
 * The goldens are test/fixtures/threat-model/golden/<name>.md and .json. After a deliberate change (to the generator,
 * or a rule that now fires on a fixture), rewrite them with `UPDATE_GOLDEN=1 node --test out/test/threat-model.test.js`
 * and read the diff.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { buildThreatModel, unknownGuidelineIds } from '../server/src/threat-model/build';
import { blockBody, hasMarkers } from '../server/src/threat-model/document';
import { generateThreatModel, OutputError } from '../server/src/threat-model';
import { renderMarkdown } from '../server/src/threat-model/markdown';
import { checkFlowchart, flowchart } from '../server/src/threat-model/mermaid';
import { threatDragon } from '../server/src/threat-model/threat-dragon';
import type { ThreatModel } from '../server/src/threat-model/types';
import { gatherWorkspace } from '../server/src/threat-model/workspace';
import { GUIDELINES } from '../server/src/guidelines/guidelines';
import { FIXTURES } from './helpers';

const TM = path.join(FIXTURES, 'threat-model');
const WORKSPACES = path.join(TM, 'workspaces');
const GOLDEN = path.join(TM, 'golden');
const NOW = new Date('2025-06-02T09:00:00Z');
const update = process.env.UPDATE_GOLDEN === '1';

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sai-tm-')));
  made.push(d);
  return d;
}

function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}

/**
 * The model of a folder as the goldens hold it: a fixed date and version, no git commit, and the rules' own wording
 * (messages, fix titles, hazards) replaced by placeholders, so that the goldens change when the generator or the
 * set of findings changes, not when a rule's sentence is reworded.
 */
async function modelOf(dir: string, name?: string): Promise<ThreatModel> {
  const facts = await gatherWorkspace(dir, { now: NOW, version: '0.0.0-test', jobs: 1 });
  delete facts.project.git;
  if (name) facts.project.name = name;
  facts.findings = facts.findings.map((f) => ({ ...f, message: `(message of ${f.ruleId})`, ...(f.fix ? { fix: `(fix of ${f.ruleId})` } : {}) }));
  const m = buildThreatModel(facts);
  for (const b of m.backlog) if (b.ruleId) b.title = `(hazard of ${b.ruleId})`;
  return m;
}

let emptyDir: string;
const models = new Map<string, ThreatModel>();
const CASES = ['training', 'serving', 'llm-app', 'empty'] as const;

before(async () => {
  emptyDir = path.join(tmp(), 'empty');
  fs.mkdirSync(emptyDir);
  for (const name of CASES) {
    const dir = name === 'empty' ? emptyDir : path.join(WORKSPACES, name);
    models.set(name, await modelOf(dir));
  }
});

function golden(file: string, actual: string): void {
  const p = path.join(GOLDEN, file);
  if (update) {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(p, actual);
    return;
  }
  assert.ok(fs.existsSync(p), `${p} is missing: run with UPDATE_GOLDEN=1`);
  assert.equal(actual, fs.readFileSync(p, 'utf8'), `${file} differs from its golden (UPDATE_GOLDEN=1 rewrites it; read the diff first)`);
}

describe('golden files', () => {
  for (const name of CASES) {
    test(`${name}: Markdown and JSON match the goldens`, () => {
      const m = models.get(name)!;
      golden(`${name}.md`, renderMarkdown(m, { dir: '' }));
      golden(`${name}.json`, `${JSON.stringify(m, null, 2)}\n`);
    });
  }

  test('what each workspace shows: the facts the goldens rest on', () => {
    const training = models.get('training')!;
    assert.deepEqual(training.inventory.files.map((f) => [f.path, f.role]), [['train.py', 'training']]);
    assert.ok(training.inventory.models.some((m) => m.name === 'distilbert/distilbert-base-uncased' && m.pinned === 'yes'));
    assert.ok(training.inventory.datasets.some((d) => d.name === 'data/scraped.jsonl' && d.provenance === 'no'));
    assert.ok(training.inventory.datasets.some((d) => d.name === 'data/extra_reviews.csv' && d.provenance === 'recorded'));
    assert.deepEqual(training.inventory.secrets.map((s) => s.name), ['WANDB_API_KEY'], 'TOKENIZERS_PARALLELISM is configuration, not a secret');
    const accepted = training.threats.find((t) => t.id === 'ML-UNSAFE-ARTEFACT')!;
    assert.equal(accepted.status, 'Accepted');
    assert.match(accepted.basis, /our own checkpoint, written by this script/);
    assert.equal(training.threats.find((t) => t.id === 'ML-SUPPLY-MODEL')!.status, 'Mitigated');
    assert.equal(training.threats.find((t) => t.id === 'ML-EXTRACTION')!.status, 'Not applicable');
    assert.ok(!training.boundaries.some((b) => b.id === 'serving' || b.id === 'internet'));

    const serving = models.get('serving')!;
    assert.equal(serving.project.name, 'review-scorer', 'the name comes from pyproject.toml');
    assert.deepEqual(serving.inventory.endpoints.map((e) => e.name).sort(), ['GET /health', 'POST /predict', 'POST /v1/score', 'gradio Interface']);
    const binds = serving.inventory.binds.map((b) => [b.framework, b.host ?? '', b.public, b.debug ?? false, b.share ?? false]);
    assert.deepEqual(binds, [['uvicorn', '127.0.0.1', false, false, false], ['flask', '0.0.0.0', true, true, false], ['gradio', '', true, false, true]]);
    assert.ok(serving.threats.some((t) => t.id === 'SRV-S-app' && t.status === 'Open'));
    assert.ok(serving.inventory.files.find((f) => f.path === 'api.py')?.authHint === 'HTTPBearer');
    assert.deepEqual(serving.inventory.modelFiles.map((f) => [f.path, f.format]), [['model/classifier.joblib', 'pickle'], ['model/ranker.onnx', 'onnx']]);

    const llm = models.get('llm-app')!;
    assert.deepEqual([...new Set(llm.inventory.externalApis.map((a) => a.provider))], ['OpenAI', 'Anthropic', 'Hugging Face Inference', 'Mistral AI']);
    assert.deepEqual(llm.inventory.secrets.map((s) => [s.name, s.kind]), [['api_key', 'literal'], ['HF_TOKEN', 'env'], ['OPENAI_API_KEY', 'implicit']]);
    assert.notEqual(llm.threats.find((t) => t.id === 'ML-PROMPT-INJECTION')!.status, 'Not applicable');
    assert.equal(llm.threats.find((t) => t.id === 'ML-SUPPLY-DEPS')!.status, 'Mitigated', 'uv.lock locks the versions');
    assert.ok(llm.components.some((c) => c.id === 'api:openai' && c.boundary === 'ai-apis'));

    const empty = models.get('empty')!;
    assert.equal(empty.components.length, 0);
    assert.ok(empty.threats.filter((t) => t.id.startsWith('ML-')).every((t) => t.status === 'Not applicable' || t.id === 'ML-SUPPLY-DEPS'));
    assert.ok(empty.questions.some((q) => /No Python code was found/.test(q.text)));
  });

  test('a credential written in the code is named, never shown', () => {
    const m = models.get('llm-app')!;
    const everything = renderMarkdown(m, { dir: '' }) + JSON.stringify(m) + JSON.stringify(threatDragon(m));
    assert.ok(!everything.includes('NOT-A-REAL-KEY'), 'the key value leaked into the output');
    assert.ok(!everything.includes('sk-ant-'), 'the key prefix leaked into the output');
  });
});

describe('every document covers what the issue asks', () => {
  for (const name of CASES) {
    test(`${name}: banner, four questions, all 17 NCSC items, statuses, sign-off`, () => {
      const m = models.get(name)!;
      const md = renderMarkdown(m, { dir: '' });
      assert.match(md, /\*\*DRAFT\.\*\*/);
      assert.match(md, /Generated \| 2025-06-02 by secure-ai 0\.0\.0-test/);
      for (const q of ['What are we working on?', 'What can go wrong?', 'What are we going to do about it?', 'Did we do a good job?']) assert.ok(md.includes(q), q);
      const ncsc = [...GUIDELINES.values()].filter((g) => g.catalogue === 'NCSC').map((g) => g.id);
      assert.equal(ncsc.length, 17);
      const coverage = blockBody(md, 'coverage')!;
      for (const id of ncsc) assert.match(coverage, new RegExp(`\\| ${id.replace('.', '\\.')} .*\\| (\\*\\*Gaps found\\*\\*|Some evidence|Unknown|This document) \\|`), id);
      for (const t of m.threats) assert.ok(['Open', 'Mitigated', 'Accepted', 'Not applicable'].includes(t.status));
      for (const block of ['header', 'inventory', 'diagram', 'threats', 'coverage', 'backlog', 'questions']) assert.ok(blockBody(md, block) !== undefined, block);
      assert.match(md, /## Sign-off/);
      assert.match(md, /## Assumptions/);
      assert.match(md, /## Residual risk/);
    });
  }

  test('every guideline id a threat cites exists in guidelines.ts', () => {
    assert.deepEqual(unknownGuidelineIds(), []);
    for (const m of models.values()) {
      for (const t of m.threats) for (const id of [...t.ncsc, ...t.owasp, ...t.atlas, ...t.cwe]) assert.ok(GUIDELINES.has(id), `${t.id} cites ${id}`);
      for (const b of m.backlog) for (const id of b.atlasMitigations) assert.ok(GUIDELINES.has(id), id);
    }
  });

  test('threat ids are unique and stable', () => {
    for (const m of models.values()) assert.equal(new Set(m.threats.map((t) => t.id)).size, m.threats.length);
    assert.ok(models.get('serving')!.threats.some((t) => t.id === 'SRV-S-demo'));
  });

  test('evidence links point at the lines, relative to where the file is written', () => {
    const m = models.get('serving')!;
    assert.match(renderMarkdown(m, { dir: '' }), /\[app\.py:12\]\(app\.py#L12\)/);
    assert.match(renderMarkdown(m, { dir: 'docs/security' }), /\[app\.py:12\]\(\.\.\/\.\.\/app\.py#L12\)/);
  });
});

describe('the Mermaid diagram', () => {
  let parse: (text: string) => Promise<unknown>;
  before(async () => {
    // Mermaid runs its labels through DOMPurify, which needs a DOM to do anything; parsing needs none of it. Give the
    // instance Mermaid imports inert hooks so that mermaid.parse() runs in Node.
    const purify = (await import('dompurify')).default as unknown as Record<string, unknown>;
    purify.addHook = () => undefined;
    purify.removeHook = () => undefined;
    purify.sanitize = (s: unknown) => String(s);
    const mermaid = (await import('mermaid')).default;
    parse = (text) => mermaid.parse(text);
  });

  for (const name of CASES) {
    test(`${name}: Mermaid's parser accepts it, and so does the structural check`, async () => {
      const chart = flowchart(models.get(name)!);
      assert.deepEqual(checkFlowchart(chart), []);
      const result = (await parse(chart)) as { diagramType?: string };
      assert.match(String(result.diagramType), /^flowchart/);
    });
  }

  test('the parser is live: it rejects a broken chart, and the structural check catches what it would', async () => {
    await assert.rejects(parse('flowchart LR\n  n_a["unclosed --> n_b\n'));
    assert.notDeepEqual(checkFlowchart('flowchart LR\n  n_a["x"] -->|"y"| n_b\n'), []);
    assert.notDeepEqual(checkFlowchart('flowchart LR\n  n_a["say "hi""]\n'), []);
    assert.notDeepEqual(checkFlowchart('flowchart LR\n  subgraph tb_x["X"]\n'), []);
  });

  test('labels with quotes, angle brackets, hashes and backticks are escaped', async () => {
    const m = structuredClone(models.get('serving')!);
    m.components[0].name = 'a "quoted" <b>#1</b> `x`';
    m.flows[0].label = 'send "it" -> <there> #2';
    const chart = flowchart(m);
    assert.deepEqual(checkFlowchart(chart), []);
    await parse(chart);
  });
});

describe('Threat Dragon v2 export', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(TM, 'threat-dragon-v2.schema.json'), 'utf8')) as object;
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

  for (const name of CASES) {
    test(`${name}: valid against the schema; one STRIDE diagram; flows join cells; threats on cells`, () => {
      const m = models.get(name)!;
      const td = threatDragon(m) as { detail: { diagrams: Array<{ diagramType: string; cells: Array<Record<string, any>> }>; threatTop: number } };
      assert.ok(validate(td), JSON.stringify(validate.errors, null, 2));
      assert.equal(td.detail.diagrams.length, 1);
      assert.equal(td.detail.diagrams[0].diagramType, 'STRIDE');
      const cells = td.detail.diagrams[0].cells;
      const ids = new Set(cells.map((c) => c.id));
      assert.equal(ids.size, cells.length, 'cell ids are unique');
      for (const c of cells.filter((x) => x.shape === 'flow')) {
        assert.ok(ids.has(c.source.cell) && ids.has(c.target.cell), `flow ${c.data.name} joins existing cells`);
      }
      const threats = cells.flatMap((c) => (c.data.threats ?? []) as Array<{ threatId: string; status: string }>);
      assert.equal(threats.length, m.threats.length, 'every threat is on a cell');
      assert.equal(td.detail.threatTop, m.threats.length);
      for (const c of cells) if (c.data.threats?.length) assert.equal(c.data.hasOpenThreats, c.data.threats.some((t: { status: string }) => t.status === 'Open'));
      if (m.components.length) {
        for (const kind of new Set(m.components.map((c) => c.kind))) assert.ok(cells.some((c) => c.shape === kind), kind);
        assert.ok(cells.some((c) => c.shape === 'trust-boundary-box'));
      }
    });
  }

  test('the export is stable: the same model gives the same file', () => {
    const m = models.get('serving')!;
    assert.equal(JSON.stringify(threatDragon(m)), JSON.stringify(threatDragon(structuredClone(m))));
  });

  test('an accepted risk stays visible: exported Open, marked accepted, with its reason', () => {
    const td = threatDragon(models.get('training')!) as { detail: { diagrams: Array<{ cells: Array<{ data: { threats?: Array<{ threatId: string; status: string; title: string; mitigation: string }> } }> }> } };
    const t = td.detail.diagrams[0].cells.flatMap((c) => c.data.threats ?? []).find((x) => x.threatId === 'ML-UNSAFE-ARTEFACT')!;
    assert.equal(t.status, 'Open');
    assert.match(t.title, /accepted risk/);
    assert.match(t.mitigation, /our own checkpoint/);
  });
});

describe('regeneration keeps human work', () => {
  test('text outside the blocks, statuses and notes a person set, and rows they added survive; generated parts follow the code', async () => {
    const dir = path.join(tmp(), 'svc');
    copyTree(path.join(WORKSPACES, 'serving'), dir);
    const first = await generateThreatModel(dir, { format: 'md', now: NOW, version: '0.0.0-test', jobs: 1 });
    const file = first.target!;
    assert.equal(file, path.join(dir, 'THREAT_MODEL.md'));
    let text = fs.readFileSync(file, 'utf8');
    assert.ok(hasMarkers(text));

    // A person's edits: prose outside the blocks, a status, a note, a row of their own, the sign-off table.
    text = text.replace(
      'TODO: what the system does, for whom, which decisions it makes or supports, and what would hurt most if it went wrong.',
      'Scores customer reviews for the support team. A wrong score delays a reply; a stolen model costs us the training budget.',
    );
    text = text.replace(/^(\| ML-EVASION \|(?:[^|]*\|){3}) \*\*Open\*\* \|(.*)\| {2}\|$/m, '$1 Accepted |$2| Internal users only; reviewed with the risk owner. |');
    text = text.replace(/^(\| SRV-S-api \|.*)\| {2}\|$/m, '$1| Gateway checks the token too. |');
    text = text.replace('\n\n<!-- secure-ai:state', '\n| OWN-1 | Support desk | Spoofing | Staff impersonate a customer | **Open** | ours | | NCSC-3.1 | | | | Ask IT about SSO |\n\n<!-- secure-ai:state');
    text = text.replace('| System owner | | | |', '| System owner | Dana Reviewer | 2025-06-03 | approved |');
    assert.match(text, /\| ML-EVASION \|.*\| Accepted \|.*Internal users only/);
    fs.writeFileSync(file, text);

    // The code changes: a new route, and the unpinned dependencies get pinned.
    fs.appendFileSync(path.join(dir, 'app.py'), '\n\n@app.post("/explain")\ndef explain():\n    return "no"\n');
    const pyproject = path.join(dir, 'pyproject.toml');
    fs.writeFileSync(pyproject, fs.readFileSync(pyproject, 'utf8').replace('"scikit-learn>=1.4"', '"scikit-learn==1.5.0"').replace('"gradio",', '"gradio==4.36.1",'));

    const second = await generateThreatModel(dir, { format: 'md', now: new Date('2025-07-01T00:00:00Z'), version: '0.0.0-test', jobs: 1 });
    const after = fs.readFileSync(file, 'utf8');
    assert.ok(after.includes('Scores customer reviews for the support team.'), 'prose outside the blocks is kept');
    assert.ok(after.includes('| System owner | Dana Reviewer | 2025-06-03 | approved |'), 'the sign-off is kept');
    assert.match(after, /\| ML-EVASION \|.*\| Accepted \| your status is kept \(generated: Open, .*\| Internal users only; reviewed with the risk owner\. \|/);
    assert.match(after, /\| SRV-S-api \|.*\| Gateway checks the token too\. \|/);
    assert.match(after, /\| OWN-1 \| Support desk \|.*\| Ask IT about SSO \|/);
    assert.deepEqual(second.keptStatuses, ['ML-EVASION']);
    // Generated parts follow the code: the date, the new route, the dependency threat no longer open.
    assert.match(after, /Generated \| 2025-07-01/);
    assert.match(blockBody(after, 'inventory')!, /`POST \/explain`/);
    assert.match(after, /\| ML-SUPPLY-DEPS \|.*\| Mitigated \|/);
    // Idempotent: a third run with nothing changed writes the same file.
    await generateThreatModel(dir, { format: 'md', now: new Date('2025-07-01T00:00:00Z'), version: '0.0.0-test', jobs: 1 });
    assert.equal(fs.readFileSync(file, 'utf8'), after);
    // No temporary files are left behind.
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  test('rows nobody touched follow the code', async () => {
    const dir = path.join(tmp(), 'svc2');
    copyTree(path.join(WORKSPACES, 'training'), dir);
    await generateThreatModel(dir, { format: 'md', now: NOW, version: 't', jobs: 1 });
    const file = path.join(dir, 'THREAT_MODEL.md');
    // Untouched rows follow the code: fix the unrecorded data load and ML-POISON is no longer open.
    fs.writeFileSync(path.join(dir, 'train.py'), fs.readFileSync(path.join(dir, 'train.py'), 'utf8').replace('scraped = pd.read_json("data/scraped.jsonl", lines=True)', 'scraped = pd.read_json("data/scraped.jsonl", lines=True)\nlogger.info("loaded %s", "data/scraped.jsonl")'));
    await generateThreatModel(dir, { format: 'md', now: NOW, version: 't', jobs: 1 });
    assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /\| ML-POISON \|.*\| \*\*Open\*\* \| \d+ finding/);
  });

  test('a file without markers is replaced only with force; the write is atomic', async () => {
    const dir = path.join(tmp(), 'svc3');
    copyTree(path.join(WORKSPACES, 'training'), dir);
    const file = path.join(dir, 'THREAT_MODEL.md');
    fs.writeFileSync(file, '# Our own threat model\n\nWritten by hand.\n');
    await assert.rejects(generateThreatModel(dir, { format: 'md', jobs: 1 }), (e: unknown) => e instanceof OutputError && e.problem === 'needs-force');
    assert.equal(fs.readFileSync(file, 'utf8'), '# Our own threat model\n\nWritten by hand.\n');
    await generateThreatModel(dir, { format: 'md', force: true, jobs: 1 });
    assert.ok(hasMarkers(fs.readFileSync(file, 'utf8')));
  });

  test('never outside the workspace, never through a symbolic link', async () => {
    const dir = path.join(tmp(), 'svc4');
    copyTree(path.join(WORKSPACES, 'training'), dir);
    const outside = tmp();
    await assert.rejects(generateThreatModel(dir, { format: 'md', output: '../x.md', jobs: 1 }), (e: unknown) => e instanceof OutputError && e.problem === 'outside-workspace');
    await assert.rejects(generateThreatModel(dir, { format: 'md', output: path.join(outside, 'x.md'), jobs: 1 }), (e: unknown) => e instanceof OutputError && e.problem === 'outside-workspace');
    fs.symlinkSync(outside, path.join(dir, 'linked'));
    await assert.rejects(generateThreatModel(dir, { format: 'md', output: 'linked/x.md', jobs: 1 }), (e: unknown) => e instanceof OutputError && e.problem === 'outside-workspace');
    fs.writeFileSync(path.join(outside, 'target.md'), 'keep me');
    fs.symlinkSync(path.join(outside, 'target.md'), path.join(dir, 'TM.md'));
    await assert.rejects(generateThreatModel(dir, { format: 'md', output: 'TM.md', jobs: 1 }), (e: unknown) => e instanceof OutputError && e.problem === 'symlink');
    assert.equal(fs.readFileSync(path.join(outside, 'target.md'), 'utf8'), 'keep me');
    assert.deepEqual(fs.readdirSync(outside).sort(), ['target.md']);
    // Inside, in a folder that does not exist yet: fine.
    const r = await generateThreatModel(dir, { format: 'md', output: 'docs/security/THREAT_MODEL.md', jobs: 1 });
    assert.equal(r.target, path.join(dir, 'docs', 'security', 'THREAT_MODEL.md'));
    assert.match(fs.readFileSync(r.target!, 'utf8'), /\[train\.py:\d+\]\(\.\.\/\.\.\/train\.py#L\d+\)/);
  });
});
