/**
 * `secure-ai bom`: the AI bill of materials as CycloneDX 1.6 JSON. The done-when: the BOM of the repository's
 * examples/ validates against the official CycloneDX 1.6 JSON schema (the copy @cyclonedx/cyclonedx-library ships,
 * with the SPDX and JSF schemas it refers to). Also: the components the inventory implies, file hashes, the
 * threat-model reference, the command line's errors and where it may write, and a golden file for a small workspace.
 *
 * The CLI runs from dist/cli.js (npm run build). `UPDATE_GOLDEN=1` rewrites the golden file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats';
import { generateBom, writtenBySecureAi } from '../server/src/bom';
import { buildBom, pinnedVersion } from '../server/src/bom/build';
import { digestFile, fileInside, resolveLocalName } from '../server/src/bom/files';
import { githubPurl, huggingFacePurl, pypiPurl } from '../server/src/bom/purl';
import { packageVersion } from '../server/src/cli/package-info';
import { buildThreatModel } from '../server/src/threat-model/build';
import type { Dependency } from '../server/src/threat-model/types';
import { gatherWorkspace } from '../server/src/threat-model/workspace';
import { FIXTURES, ROOT } from './helpers';

const CLI = path.join(ROOT, 'dist', 'cli.js');
const EXAMPLES = path.join(ROOT, 'examples');
const FIXTURE = path.join(FIXTURES, 'bom', 'workspace');
const GOLDEN = path.join(FIXTURES, 'bom', 'workspace.cdx.json');
const SCHEMAS = path.join(ROOT, 'node_modules', '@cyclonedx', 'cyclonedx-library', 'res', 'schema');
const NOW = new Date('2025-01-02T03:04:05.000Z');

type Json = Record<string, any>;

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function tmpdir(): string {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sai-bom-')));
  made.push(d);
  return d;
}

/** Deterministic bytes standing in for a model file. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The golden fixture in a fresh folder, with its model files (made here, not committed). */
function fixtureWorkspace(): string {
  const dir = path.join(tmpdir(), 'workspace');
  fs.cpSync(FIXTURE, dir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'models'));
  fs.writeFileSync(path.join(dir, 'models', 'classifier.pt'), bytes(4096, 1));
  fs.writeFileSync(path.join(dir, 'models', 'classifier.safetensors'), bytes(2048, 2));
  fs.writeFileSync(path.join(dir, 'models', 'unused.onnx'), bytes(1024, 3));
  return dir;
}

function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [CLI, 'bom', ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1', ...env } });
  if (r.error) throw r.error;
  return r;
}

let validate: ValidateFunction;

/** The official CycloneDX 1.6 schema, with the SPDX licence ids and JSF signature schemas its $refs name. */
function schemaValidator(): ValidateFunction {
  const load = (f: string) => JSON.parse(fs.readFileSync(path.join(SCHEMAS, f), 'utf8')) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // Formats the draft-07 schema uses that ajv-formats does not define: held to their stricter ASCII siblings.
  ajv.addFormat('iri-reference', fullFormats['uri-reference']);
  ajv.addFormat('idn-email', fullFormats.email);
  // The 1.6 schema refers to `spdx.SNAPSHOT.schema.json` and `jsf-0.82.SNAPSHOT.schema.json` next to itself.
  for (const f of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json']) ajv.addSchema({ ...load(f), $id: `http://cyclonedx.org/schema/${f}` });
  return ajv.compile(load('bom-1.6.SNAPSHOT.schema.json'));
}

function assertValid(doc: unknown): void {
  const ok = validate(doc);
  assert.ok(ok, `not valid CycloneDX 1.6:\n${JSON.stringify(validate.errors, null, 2)}`);
}

const component = (bom: Json, ref: string): Json => {
  const c = (bom.components as Json[]).find((x) => x['bom-ref'] === ref);
  assert.ok(c, `no component ${ref} in ${(bom.components as Json[]).map((x) => x['bom-ref']).join(', ')}`);
  return c;
};
const props = (c: Json, name: string): string[] => ((c.properties ?? []) as Json[]).filter((p) => p.name === `secure-ai:${name}`).map((p) => p.value as string);
const dependsOn = (bom: Json, ref: string): string[] => ((bom.dependencies as Json[]).find((d) => d.ref === ref)?.dependsOn ?? []) as string[];

before(() => {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: run npm run build`);
  validate = schemaValidator();
});

describe('secure-ai bom on examples/', () => {
  let bom: Json;
  let stdout: string;
  before(() => {
    const r = cli(ROOT, ['examples']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    stdout = r.stdout;
    bom = JSON.parse(stdout);
  });

  test('validates against the official CycloneDX 1.6 JSON schema', () => {
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.specVersion, '1.6');
    assert.equal(bom.$schema, 'http://cyclonedx.org/schema/bom-1.6.schema.json');
    assertValid(bom);
  });

  test('the schema check is not vacuous: a broken document fails it', () => {
    const broken = JSON.parse(stdout) as Json;
    const data = (broken.components as Json[]).find((c) => c.type === 'data')!;
    delete data.data[0].type;
    (broken.components as Json[])[0].type = 'neural-network';
    assert.equal(validate(broken), false);
    const paths = (validate.errors ?? []).map((e) => e.instancePath);
    assert.ok(paths.some((p) => p.endsWith('/data/0')), JSON.stringify(paths));
    assert.ok(paths.includes('/components/0/type'), JSON.stringify(paths));
  });

  test('a component for every model, dataset and ML dependency the inventory holds', async () => {
    const inv = buildThreatModel(await gatherWorkspace(EXAMPLES, { jobs: 1 })).inventory;
    const byType = (t: string) => new Set((bom.components as Json[]).filter((c) => c.type === t).map((c) => c.name as string));
    const models = byType('machine-learning-model');
    for (const m of inv.models) assert.ok(models.has(m.name) || [...models].some((n) => m.name.endsWith(n)), `model ${m.name}`);
    const data = byType('data');
    for (const d of inv.datasets) assert.ok(data.has(d.name), `dataset ${d.name}`);
    const libs = byType('library');
    assert.equal(libs.size, new Set(inv.dependencies.filter((d) => d.ml).map((d) => d.name)).size, 'one library per ML dependency (examples/ declares none today)');
    assert.ok(models.has('acme/sentiment-head') && models.has('distilbert-base-uncased') && data.has('imdb'));
  });

  test('what the code says about each model: pin, loader, format, trust_remote_code, where', () => {
    const head = component(bom, 'model:huggingface/acme/sentiment-head');
    assert.equal(head.version, undefined, 'unpinned: no version');
    assert.equal(head.purl, 'pkg:huggingface/acme/sentiment-head');
    assert.deepEqual(props(head, 'trust_remote_code'), ['true']);
    assert.deepEqual(props(head, 'pinned'), ['no']);
    assert.deepEqual(props(head, 'loader'), ['AutoModelForSequenceClassification.from_pretrained']);
    assert.deepEqual(head.evidence.occurrences, [{ location: 'ml-project/train.py', line: 32, symbol: 'AutoModelForSequenceClassification.from_pretrained' }]);
    const sha = '6cdc0aad91f5ae2e6712e91bc7b65d1cf5c05411';
    const base = component(bom, `model:huggingface/distilbert-base-uncased@${sha}`);
    assert.equal(base.version, sha);
    assert.equal(base.purl, `pkg:huggingface/distilbert-base-uncased@${sha}`);
    assert.deepEqual(props(base, 'trust_remote_code'), ['false']);
    const torchLoad = component(bom, 'model:computed/ml-project/train.py/path');
    assert.deepEqual(props(torchLoad, 'format'), ['torch (pickle)']);
    assert.deepEqual(props(torchLoad, 'computed'), ['true']);
    const imdb = component(bom, 'data:huggingface/imdb');
    assert.deepEqual(imdb.data, [{ type: 'dataset', name: 'imdb', contents: { url: 'https://huggingface.co/datasets/imdb' } }]);
    assert.deepEqual(props(imdb, 'provenance'), ['no']);
  });

  test('dependencies: the application on its code, the code on its models and data, the fine-tuned model on its data', () => {
    assert.deepEqual(dependsOn(bom, 'app'), ['file:llm-app/assistant.py', 'file:ml-project/api.py', 'file:ml-project/serve.py', 'file:ml-project/train.py']);
    assert.ok(dependsOn(bom, 'file:ml-project/train.py').includes('model:huggingface/acme/sentiment-head'));
    assert.ok(dependsOn(bom, 'file:ml-project/train.py').includes('data:huggingface/imdb'));
    assert.deepEqual(dependsOn(bom, 'file:llm-app/assistant.py'), ['service:openai']);
    assert.deepEqual(dependsOn(bom, 'model:huggingface/acme/sentiment-head'), ['data:huggingface/imdb', 'data:local/data/extra_reviews.csv', 'data:local/data/labels.csv']);
    assert.deepEqual(component(bom, 'model:huggingface/acme/sentiment-head').modelCard, {
      modelParameters: { datasets: [{ ref: 'data:huggingface/imdb' }, { ref: 'data:local/data/extra_reviews.csv' }, { ref: 'data:local/data/labels.csv' }] },
    });
    // A tokenizer is not trained on the data.
    assert.deepEqual(dependsOn(bom, 'model:huggingface/distilbert-base-uncased@6cdc0aad91f5ae2e6712e91bc7b65d1cf5c05411'), []);
    // Every ref in the graph is a component, a service or the application.
    const refs = new Set(['app', ...(bom.components as Json[]).map((c) => c['bom-ref']), ...((bom.services ?? []) as Json[]).map((s) => s['bom-ref'])]);
    for (const d of bom.dependencies as Json[]) for (const r of [d.ref, ...(d.dependsOn ?? [])]) assert.ok(refs.has(r), r);
  });

  test('the README\'s trimmed example is a subset of the real output', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## AI bill of materials'));
    const block = /```json\n([\s\S]*?)\n```/.exec(section);
    assert.ok(block, 'the README shows a trimmed BOM');
    const shown = JSON.parse(block[1]) as Json;
    assert.equal(shown.specVersion, bom.specVersion);
    for (const c of shown.components as Json[]) {
      const real = component(bom, c['bom-ref']);
      for (const k of ['type', 'name', 'purl', 'data', 'evidence']) if (k in c) assert.deepEqual(real[k], c[k], `${c['bom-ref']} ${k}`);
      for (const p of (c.properties ?? []) as Json[]) assert.ok(props(real, p.name.replace('secure-ai:', '')).includes(p.value), `${c['bom-ref']} ${p.name}`);
      for (const d of c.modelCard?.modelParameters?.datasets ?? []) assert.ok(real.modelCard.modelParameters.datasets.some((x: Json) => x.ref === d.ref), d.ref);
    }
    for (const d of shown.dependencies as Json[]) for (const r of d.dependsOn) assert.ok(dependsOn(bom, d.ref).includes(r), `${d.ref} -> ${r}`);
  });

  test('metadata: the tool and its version, the application, a timestamp; no threat model reference without the file', () => {
    assert.deepEqual(bom.metadata.tools, { components: [{ type: 'application', name: 'secure-ai', version: packageVersion(), 'bom-ref': 'tool:secure-ai' }] });
    assert.equal(bom.metadata.component.name, 'examples');
    assert.equal(bom.metadata.component.type, 'application');
    assert.ok(!Number.isNaN(Date.parse(bom.metadata.timestamp)));
    assert.equal(fs.existsSync(path.join(EXAMPLES, 'THREAT_MODEL.md')), false);
    assert.equal(bom.metadata.component.externalReferences, undefined);
    assert.ok(writtenBySecureAi(stdout));
  });
});

describe('the golden workspace', () => {
  test('generateBom matches the golden file (fixed date and version), which validates', async () => {
    const dir = fixtureWorkspace();
    const r = await generateBom(dir, { now: NOW, version: '0.0.0-test', jobs: 1 });
    if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(GOLDEN, r.text);
    assert.equal(r.text, fs.readFileSync(GOLDEN, 'utf8'));
    assertValid(JSON.parse(r.text));
    assert.deepEqual(r.summary, { models: 5, datasets: 2, libraries: 5, files: 2, services: 1, hashed: 6 });
  });

  test('the same input gives the same document, serial number included; another date another serial number', async () => {
    const dir = fixtureWorkspace();
    const a = await generateBom(dir, { now: NOW, jobs: 1 });
    const b = await generateBom(dir, { now: NOW, jobs: 1 });
    assert.equal(a.text, b.text);
    assert.match(a.bom.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const c = await generateBom(dir, { now: new Date(NOW.getTime() + 1000), jobs: 1 });
    assert.notEqual(c.bom.serialNumber, a.bom.serialNumber);
    const fixed = await generateBom(dir, { now: NOW, jobs: 1, serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79' });
    assert.equal(fixed.bom.serialNumber, 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79');
  });

  test('the CLI prints what generateBom returns; SOURCE_DATE_EPOCH fixes the timestamp', async () => {
    const dir = fixtureWorkspace();
    const r = cli(dir, ['.'], { SOURCE_DATE_EPOCH: String(NOW.getTime() / 1000) });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, (await generateBom(dir, { now: NOW, jobs: 1 })).text);
  });

  test('models: pinned Hub revision as version and purl, torch.hub as a GitHub purl, local files hashed; ML libraries from the manifests', async () => {
    const dir = fixtureWorkspace();
    const bom = (await generateBom(dir, { now: NOW, jobs: 1 })).bom as Json;
    const rev = '0123456789abcdef0123456789abcdef01234567';
    const base = component(bom, `model:huggingface/acme/base-model@${rev}`);
    assert.equal(base.purl, `pkg:huggingface/acme/base-model@${rev}`);
    assert.deepEqual(props(base, 'loader'), ['AutoTokenizer.from_pretrained', 'AutoModelForSequenceClassification.from_pretrained']);
    const vision = component(bom, 'model:github/pytorch/vision:89abcdef0123456789abcdef0123456789abcdef (resnet18)');
    assert.equal(vision.purl, 'pkg:github/pytorch/vision@89abcdef0123456789abcdef0123456789abcdef');
    assert.deepEqual(props(vision, 'trust_remote_code'), ['true']);
    const pt = component(bom, 'model:file/models/classifier.pt');
    assert.deepEqual(pt.hashes, [{ alg: 'SHA-256', content: sha256(bytes(4096, 1)) }]);
    assert.deepEqual(props(pt, 'format'), ['torch (weights only)', 'torch (pickle)'], 'as loaded, and as the extension says');
    assert.deepEqual(dependsOn(bom, 'app').filter((r) => r.startsWith('model:')), ['model:file/models/unused.onnx'], 'a model file no code loads hangs off the application');
    const reviews = component(bom, 'data:huggingface/acme/reviews@fedcba9876543210fedcba9876543210fedcba98');
    assert.equal(reviews.version, 'fedcba9876543210fedcba9876543210fedcba98');
    const csv = component(bom, 'data:file/data/train.csv');
    assert.deepEqual(csv.hashes, [{ alg: 'SHA-256', content: sha256(fs.readFileSync(path.join(dir, 'data', 'train.csv'))) }]);
    assert.deepEqual(csv.data, [{ type: 'dataset', name: 'data/train.csv', contents: { url: 'data/train.csv' } }]);
    const libs = (bom.components as Json[]).filter((c) => c.type === 'library').map((c) => [c.name, c.version, c.purl]);
    assert.deepEqual(libs, [
      ['datasets', '2.19.0', 'pkg:pypi/datasets@2.19.0'],
      ['numpy', undefined, undefined],
      ['scikit_learn', '1.5.0', 'pkg:pypi/scikit-learn@1.5.0'],
      ['torch', '2.3.1', 'pkg:pypi/torch@2.3.1'],
      ['transformers', undefined, undefined],
    ]);
    assert.equal(component(bom, 'pypi:torch@2.3.1').evidence.occurrences[0].location, 'requirements.txt');
    assert.ok(!(bom.components as Json[]).some((c) => c.name === 'requests'), 'not an ML dependency');
    assert.equal(bom.metadata.component.name, 'bom-fixture', 'the pyproject name');
  });
});

describe('file hashes', () => {
  test('a local model file made here: its SHA-256, streamed; over the cap, its size and why there is no hash', async () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'infer.py'), 'import torch\nmodel = torch.load("weights/big.pt", weights_only=True)\n');
    fs.mkdirSync(path.join(dir, 'weights'));
    const big = bytes(3 * 1024 * 1024 + 17, 7);
    fs.writeFileSync(path.join(dir, 'weights', 'big.pt'), big);
    const full = JSON.parse(cli(dir, []).stdout) as Json;
    const c = component(full, 'model:file/weights/big.pt');
    assert.deepEqual(c.hashes, [{ alg: 'SHA-256', content: sha256(big) }]);
    assert.deepEqual(props(c, 'bytes'), [String(big.length)]);
    assert.equal((full.components as Json[]).filter((x) => x.name === 'weights/big.pt').length, 1, 'the load and the file on disk are one component');
    const capped = cli(dir, ['--max-hash-mb', '1']);
    assert.equal(capped.status, 0, capped.stderr);
    const c2 = component(JSON.parse(capped.stdout), 'model:file/weights/big.pt');
    assert.equal(c2.hashes, undefined);
    assert.deepEqual(props(c2, 'hash_skipped'), ['larger than 1 MB']);
  });

  test('only regular files inside the folder, never through a symbolic link', async () => {
    const dir = tmpdir();
    const outside = path.join(tmpdir(), 'secret.bin');
    fs.writeFileSync(outside, 'not yours');
    fs.mkdirSync(path.join(dir, 'm'));
    fs.symlinkSync(outside, path.join(dir, 'm', 'link.pt'));
    fs.symlinkSync(path.dirname(outside), path.join(dir, 'out'));
    fs.writeFileSync(path.join(dir, 'm', 'real.pt'), 'x');
    assert.equal(fileInside(dir, 'm/link.pt'), undefined);
    assert.equal(fileInside(dir, 'out/secret.bin'), undefined);
    assert.equal(fileInside(dir, '../secret.bin'), undefined);
    assert.equal(fileInside(dir, 'm'), undefined, 'a folder');
    assert.equal(fileInside(dir, 'm/real.pt'), 'm/real.pt');
    assert.equal(resolveLocalName(dir, './real.pt', 'm/load.py'), 'm/real.pt', 'next to the file that loads it');
    assert.equal(resolveLocalName(dir, 'm/real.pt', 'm/load.py'), 'm/real.pt', 'from the folder');
    assert.equal(resolveLocalName(dir, 'https://example.com/m/real.pt', 'x.py'), undefined);
    fs.writeFileSync(path.join(dir, 'load.py'), 'import torch\na = torch.load("m/link.pt")\nb = torch.load("out/secret.bin")\n');
    const bom = JSON.parse(cli(dir, []).stdout) as Json;
    const models = (bom.components as Json[]).filter((c) => c.type === 'machine-learning-model');
    assert.deepEqual(models.map((c) => [c['bom-ref'], c.hashes?.length ?? 0]), [
      ['model:file/m/link.pt', 0],
      ['model:file/m/real.pt', 1],
      ['model:local/out/secret.bin', 0],
    ]);
    assert.deepEqual(props(models[0], 'hash_skipped'), ['not a regular file inside the folder (a symbolic link?)']);
    assert.deepEqual(props(models[0], 'loader'), ['torch.load'], 'the load and the link the walk found are one component');
    assert.deepEqual(await digestFile(path.join(dir, 'm', 'real.pt'), 0), { bytes: 1, skipped: 'larger than 0 bytes' });
  });
});

test('paths with spaces and brackets still make a valid document', () => {
  const dir = tmpdir();
  fs.mkdirSync(path.join(dir, 'my data'));
  fs.writeFileSync(path.join(dir, 'my data', 'reviews [v2].csv'), 'a,b\n');
  fs.writeFileSync(path.join(dir, 'MODEL_CARD.md'), '# card\n');
  fs.writeFileSync(path.join(dir, 'train model.py'), 'import pandas as pd\ndf = pd.read_csv("my data/reviews [v2].csv")\n');
  const r = cli(dir, []);
  assert.equal(r.status, 0, r.stderr);
  const bom = JSON.parse(r.stdout) as Json;
  assertValid(bom);
  const csv = component(bom, 'data:file/my data/reviews [v2].csv');
  assert.deepEqual(csv.data[0].contents, { url: 'my%20data/reviews%20%5Bv2%5D.csv' });
  assert.deepEqual(bom.metadata.component.externalReferences.map((x: Json) => [x.type, x.url]), [['model-card', 'MODEL_CARD.md']]);
});

describe('the threat-model reference', () => {
  test('appears when THREAT_MODEL.md exists (with its hash), and not otherwise; --threat-model names another file', () => {
    const dir = fixtureWorkspace();
    const refs = (r: SpawnSyncReturns<string>) => {
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout).metadata.component.externalReferences ?? []) as Json[];
    };
    assert.deepEqual(refs(cli(dir, [])), []);
    fs.writeFileSync(path.join(dir, 'THREAT_MODEL.md'), '# Threat model\n');
    const tm = refs(cli(dir, []));
    assert.deepEqual(tm, [
      { url: 'THREAT_MODEL.md', type: 'threat-model', hashes: [{ alg: 'SHA-256', content: sha256('# Threat model\n') }], comment: 'Path relative to the folder this BOM describes.' },
    ]);
    assert.deepEqual(refs(cli(dir, ['--threat-model', 'docs/TM.md'])), [], 'the named file does not exist');
    fs.mkdirSync(path.join(dir, 'docs'));
    fs.writeFileSync(path.join(dir, 'docs', 'TM.md'), '# TM\n');
    assert.equal(refs(cli(dir, ['--threat-model', 'docs/TM.md']))[0].url, 'docs/TM.md');
    const out = cli(dir, []);
    assertValid(JSON.parse(out.stdout));
  });
});

describe('the command line', () => {
  test('--help describes the command', () => {
    const r = spawnSync(process.execPath, [CLI, 'bom', '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: secure-ai bom \[options\] \[path\]/);
    assert.match(r.stdout, /CycloneDX 1\.6/);
    for (const flag of ['--output', '--force', '--threat-model', '--max-hash-mb', '--exclude', '--no-gitignore']) assert.ok(r.stdout.includes(flag), flag);
    const top = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    assert.match(top.stdout, /\bbom\b/);
  });

  test('a folder that does not exist, a file, a bad number: one line, exit 2', () => {
    const dir = tmpdir();
    const missing = cli(dir, ['no-such-folder']);
    assert.equal(missing.status, 2);
    assert.equal(missing.stdout, '');
    assert.equal(missing.stderr, "secure-ai: cannot read 'no-such-folder': no such folder\n");
    fs.writeFileSync(path.join(dir, 'x.py'), '');
    const file = cli(dir, ['x.py']);
    assert.equal(file.status, 2);
    assert.match(file.stderr, /^secure-ai: .*x\.py.* is not a folder\n$/);
    const bad = cli(dir, ['--max-hash-mb', 'lots']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^secure-ai: error: option '--max-hash-mb <n>' argument 'lots' is invalid/);
  });

  test('--output writes atomically inside the folder and says so; refuses paths that escape it and symbolic links', () => {
    const dir = fixtureWorkspace();
    const ok = cli(dir, ['--output', 'sbom/ai-bom.cdx.json']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, '');
    assert.match(ok.stderr, /^secure-ai: wrote sbom\/ai-bom\.cdx\.json \(CycloneDX 1\.6: 5 models, 2 datasets, 5 ML libraries, 2 code files, 1 AI service; 6 hashed\)\n$/);
    const written = fs.readFileSync(path.join(dir, 'sbom', 'ai-bom.cdx.json'), 'utf8');
    assertValid(JSON.parse(written));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'sbom')), ['ai-bom.cdx.json'], 'no temporary file left');

    const escape = cli(dir, ['--output', '../escape.cdx.json']);
    assert.equal(escape.status, 2);
    assert.match(escape.stderr, /^secure-ai: refusing to write '\.\.\/escape\.cdx\.json': it is outside /);
    assert.ok(!fs.existsSync(path.join(path.dirname(dir), 'escape.cdx.json')));

    const elsewhere = tmpdir();
    fs.symlinkSync(elsewhere, path.join(dir, 'linked'));
    const viaLink = cli(dir, ['--output', 'linked/bom.json']);
    assert.equal(viaLink.status, 2);
    assert.match(viaLink.stderr, /outside/);
    fs.writeFileSync(path.join(elsewhere, 'target.json'), '{}');
    fs.symlinkSync(path.join(elsewhere, 'target.json'), path.join(dir, 'bom-link.json'));
    const link = cli(dir, ['--output', 'bom-link.json', '--force']);
    assert.equal(link.status, 2);
    assert.match(link.stderr, /symbolic link/);
    assert.equal(fs.readFileSync(path.join(elsewhere, 'target.json'), 'utf8'), '{}');
    assert.deepEqual(fs.readdirSync(elsewhere), ['target.json']);
  });

  test('a file secure-ai did not write is replaced only with --force; its own BOM is replaced; "-" prints', () => {
    const dir = fixtureWorkspace();
    const target = path.join(dir, 'ai-bom.cdx.json');
    fs.writeFileSync(target, '{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"tools":[{"name":"cyclonedx-py"}]}}\n');
    const refused = cli(dir, ['-o', 'ai-bom.cdx.json']);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /^secure-ai: 'ai-bom\.cdx\.json' exists and was not written by secure-ai .*--force/);
    assert.match(fs.readFileSync(target, 'utf8'), /cyclonedx-py/);
    assert.equal(cli(dir, ['-o', 'ai-bom.cdx.json', '--force']).status, 0);
    assert.ok(writtenBySecureAi(fs.readFileSync(target, 'utf8')));
    assert.equal(cli(dir, ['-o', 'ai-bom.cdx.json']).status, 0, 'its own file needs no --force');
    const dash = cli(dir, ['-o', '-']);
    assert.equal(dash.status, 0);
    assert.ok(writtenBySecureAi(dash.stdout));
  });
});

describe('units', () => {
  test('purls', () => {
    assert.equal(huggingFacePurl('org/Name', 'ABCDEF0123456789ABCDEF0123456789ABCDEF01'), 'pkg:huggingface/org/Name@abcdef0123456789abcdef0123456789abcdef01');
    assert.equal(huggingFacePurl('gpt2', 'main'), 'pkg:huggingface/gpt2', 'a branch is not a version');
    assert.equal(huggingFacePurl('./local/dir'), undefined);
    assert.equal(pypiPurl('Scikit_Learn', '1.5.0+cpu'), 'pkg:pypi/scikit-learn@1.5.0%2Bcpu');
    assert.equal(githubPurl('PyTorch', 'Vision', 'v0.10.0'), 'pkg:github/pytorch/vision@v0.10.0');
  });

  test('pinned versions from the specifier, or the record\'s own version', () => {
    const dep = (spec: string, pinned: boolean, extra: object = {}): Dependency => ({ name: 'torch', spec, pinned, ml: true, evidence: { path: 'r.txt', line: 1 }, ...extra });
    assert.equal(pinnedVersion(dep('==2.3.1', true)), '2.3.1');
    assert.equal(pinnedVersion(dep('===2.3.1', true)), '2.3.1');
    assert.equal(pinnedVersion(dep('>=2,==2.3.1', true)), '2.3.1');
    assert.equal(pinnedVersion(dep('>=2', false)), undefined);
    assert.equal(pinnedVersion(dep('@ git+https://github.com/x/y@0123456789abcdef0123456789abcdef01234567', true)), undefined);
    assert.equal(pinnedVersion(dep('', true, { version: '2.4.0' })), '2.4.0');
  });

  test('a pin from a conda environment file gets its version but no PyPI purl', () => {
    const inventory = { files: [], models: [], datasets: [], modelFiles: [], endpoints: [], binds: [], externalApis: [], secrets: [], workspaceFiles: [] };
    const dependencies: Dependency[] = [
      { name: 'torch', spec: '==2.3.1', pinned: true, ml: true, evidence: { path: 'environment.yml', line: 5 } },
      { name: 'numpy', spec: '==1.26.4', pinned: true, ml: true, evidence: { path: 'sub/requirements-dev.txt', line: 1 } },
    ];
    const { bom } = buildBom({
      project: { name: 'p', generatedAt: '2025-01-02', generator: { name: 'secure-ai', version: '0' } },
      inventory: { ...inventory, dependencies },
      localFiles: new Map(),
      digests: new Map(),
      revisions: new Map(),
      timestamp: NOW,
    });
    assertValid(bom);
    const libs = (bom.components as Json[]).map((c) => [c.name, c.version, c.purl]);
    assert.deepEqual(libs, [
      ['numpy', '1.26.4', 'pkg:pypi/numpy@1.26.4'],
      ['torch', '2.3.1', undefined],
    ]);
  });
});
