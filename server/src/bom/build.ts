/**
 * The AI bill of materials as CycloneDX 1.6 JSON, built from the threat model's inventory. Pure: the inventory, the
 * digests of the files it names, the pinned revisions, the date and the version in, the document out; the same input
 * always gives the same text, serial number included.
 *
 * What it lists:
 * - a `machine-learning-model` component per model (Hub id, local file, `torch.hub` repository, or the expression
 *   the code computes it from), with the loaders, serialisation formats and `trust_remote_code` as properties, the
 *   pinned commit as its version and in its purl (`pkg:huggingface/org/name@<sha>`), and a SHA-256 for files in the
 *   folder;
 * - a `data` component per dataset, with its source, revision and provenance;
 * - a `library` component per ML dependency the manifests declare (`pkg:pypi/name@version` when pinned);
 * - a `file` component per Python file that loads a model or data or calls a hosted AI API, and a service per API;
 * - `dependencies`: the application on those files, libraries and services; each file on what it loads and calls; a
 *   pretrained model fine-tuned in a training file on the datasets that file loads (the one link between models and
 *   data the code shows; also written as the model card's `datasets`);
 * - the application component for the folder, with an external reference of type `threat-model` to its threat model
 *   when that file exists.
 *
 * The document is made with @cyclonedx/cyclonedx-library's models and its JSON normaliser for spec 1.6 where the
 * library has a model. The parts of 1.6 it does not model (10.3.0) are added to the normalised JSON afterwards,
 * following the 1.6 JSON schema: `component.data` (the `componentData` of `data` components), `component.modelCard`
 * and `component.evidence.occurrences` (where in the code a component was seen; the library's `ComponentEvidence`
 * has only licences and copyright), plus a service's `x-trust-boundary`. Ordering is ours (the library's
 * `sortLists` compares with `localeCompare`, which depends on the machine's locale), and every element has an
 * explicit `bom-ref` (the library invents random ones for elements without).
 *
 * The library's own validator (`Validation.JsonValidator`) is not used: it needs `ajv-formats-draft2019`, which is not
 * installed, and ajv is a development dependency only. test/bom.test.ts validates the output against the official
 * 1.6 schema the library ships, with ajv.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { ComponentType, ExternalReferenceType, HashAlgorithm, LifecyclePhase } from '@cyclonedx/cyclonedx-library/Enums';
import { Bom, Component, ExternalReference, Metadata, Property, Service } from '@cyclonedx/cyclonedx-library/Models';
import { JSON as JsonNormalize, JsonSerializer } from '@cyclonedx/cyclonedx-library/Serialize';
import { Spec1dot6 } from '@cyclonedx/cyclonedx-library/Spec';
import type { DatasetUse, Dependency, Evidence, Inventory, ModelFile, ModelUse, ProjectInfo } from '../threat-model/types';
import type { Digest } from './files';
import { githubPurl, huggingFacePurl, isFullSha, isHubId, pypiPurl, pypiPurlName } from './purl';
import { useKey } from './revisions';

/** The prefix of every property this tool writes (CycloneDX property names are namespaced by convention). */
export const PROPERTY_PREFIX = 'secure-ai:';

export const SPEC_VERSION = '1.6';

type Json = Record<string, unknown>;

/** The BOM as JSON: CycloneDX 1.6. */
export type CycloneDxBom = Json & { bomFormat: 'CycloneDX'; specVersion: string; serialNumber: string; components: Json[]; dependencies: Array<{ ref: string; dependsOn?: string[] }> };

export interface BomInput {
  project: ProjectInfo;
  inventory: Inventory;
  /** The file in the folder a local model or dataset name resolves to, by `localKey` of the use. */
  localFiles: ReadonlyMap<string, string>;
  /** Digests of files in the folder, by POSIX path relative to it. */
  digests: ReadonlyMap<string, Digest>;
  /** Full commit hashes of pinned Hub loads, by `useKey`. */
  revisions: ReadonlyMap<string, string>;
  /** The threat model, when the file exists: its path relative to the folder and its digest. */
  threatModel?: { path: string; digest?: Digest };
  timestamp: Date;
  /** `urn:uuid:...`; default: a name-based UUID of the document's content (timestamp included). */
  serialNumber?: string;
}

/** What a use's local file is keyed by in `BomInput.localFiles`. */
export const localKey = (u: ModelUse | DatasetUse) => `${useKey(u)}:${u.name}`;

export interface BomSummary {
  models: number;
  datasets: number;
  libraries: number;
  files: number;
  services: number;
  /** Components with a SHA-256. */
  hashed: number;
}

export function summaryLine(s: BomSummary): string {
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  return `${n(s.models, 'model')}, ${n(s.datasets, 'dataset')}, ${n(s.libraries, 'ML library', 'ML libraries')}, ${n(s.files, 'code file')}, ${n(s.services, 'AI service')}; ${s.hashed} hashed`;
}

// ------------------------------------------------------------------ entries

type Kind = 'model' | 'data' | 'library' | 'file';
const KIND_ORDER: Record<Kind, number> = { model: 0, data: 1, library: 2, file: 3 };

interface Entry {
  ref: string;
  kind: Kind;
  name: string;
  version?: string;
  purl?: string;
  description?: string;
  /** A file in the folder this component is: hashed. */
  file?: string;
  modelFile?: ModelFile;
  models: ModelUse[];
  datasets: DatasetUse[];
  dependencies: Dependency[];
  references: Array<{ type: ExternalReferenceType; url: string; comment?: string }>;
  /** `componentData.contents.url` for data components. */
  dataUrl?: string;
  dataType?: 'dataset' | 'other';
  properties: Array<[string, string]>;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const unique = <T>(xs: T[]) => [...new Set(xs)];
const where = (e: Evidence) => `${e.path}:${e.line}`;

function newEntry(kind: Kind, ref: string, name: string): Entry {
  return { ref, kind, name, models: [], datasets: [], dependencies: [], references: [], properties: [] };
}

/** `hf-hub:org/name@sha` (timm) → `org/name`. */
function hubIdOf(name: string): string {
  return name.replace(/^hf[-_]hub:/, '').replace(/@[^/]*$/, '');
}

/** A local path as written, normalised for the component's identity (`./models/x` and `models/x` are one). */
function localRef(name: string): string {
  return name.includes('\\') || name.startsWith('/') ? name : path.posix.normalize(name);
}

const TORCH_HUB = /^([\w.-]+)\/([\w.-]+)(?::(\S+))?(?: \((.+)\))?$/;

/** Loaders whose result is not trained on the data (a tokenizer, a config). */
const NOT_TRAINED = /(?:Tokenizer|Processor|FeatureExtractor|Config)(?:Fast)?\.from_pretrained$/;

function modelIdentity(u: ModelUse, input: BomInput): Pick<Entry, 'ref' | 'name' | 'version' | 'purl' | 'file' | 'description' | 'references'> {
  if (u.computed) {
    return {
      ref: `model:computed/${u.evidence.path}/${u.name}`,
      name: u.name,
      description: `Loaded from a path or id computed at run time (\`${u.name}\` in ${u.evidence.path}); which model it is cannot be told from the code.`,
      references: [],
    };
  }
  if (u.source === 'hub') {
    const id = hubIdOf(u.name);
    const rev = input.revisions.get(useKey(u));
    return {
      ref: `model:huggingface/${id}${rev ? `@${rev}` : ''}`,
      name: id,
      version: rev,
      purl: huggingFacePurl(id, rev),
      references: isHubId(id) ? [{ type: ExternalReferenceType.Distribution, url: `https://huggingface.co/${id}${rev ? `/tree/${rev}` : ''}` }] : [],
    };
  }
  if (u.source === 'torch-hub') {
    const m = TORCH_HUB.exec(u.name);
    if (m) {
      const [, owner, repo, gitRef] = m;
      const pinned = u.pinned === 'yes' && isFullSha(gitRef) ? gitRef : undefined;
      return {
        ref: `model:github/${u.name}`,
        name: u.name,
        version: pinned,
        purl: githubPurl(owner, repo, pinned),
        references: [{ type: ExternalReferenceType.VCS, url: `https://github.com/${owner}/${repo}` }],
      };
    }
  }
  if (u.source === 'local') {
    const file = input.localFiles.get(localKey(u));
    if (file) return { ref: `model:file/${file}`, name: file, file, references: [] };
    return { ref: `model:local/${localRef(u.name)}`, name: u.name, references: [] };
  }
  return { ref: `model:${u.source}/${u.name}`, name: u.name, references: [] };
}

function datasetIdentity(d: DatasetUse, input: BomInput): Pick<Entry, 'ref' | 'name' | 'version' | 'file' | 'description' | 'references' | 'dataUrl'> {
  if (d.computed) {
    return {
      ref: `data:computed/${d.evidence.path}/${d.name}`,
      name: d.name,
      description: `Loaded from a path or id computed at run time (\`${d.name}\` in ${d.evidence.path}); which data it is cannot be told from the code.`,
      references: [],
    };
  }
  if (d.source === 'hub') {
    const rev = input.revisions.get(useKey(d));
    const url = isHubId(d.name) ? `https://huggingface.co/datasets/${d.name}` : undefined;
    return {
      ref: `data:huggingface/${d.name}${rev ? `@${rev}` : ''}`,
      name: d.name,
      version: rev,
      references: url ? [{ type: ExternalReferenceType.Distribution, url: `${url}${rev ? `/tree/${rev}` : ''}` }] : [],
      dataUrl: url,
    };
  }
  if (d.source === 'url') {
    const url = /^[a-z][\w+.-]*:\/\/\S+$/i.test(d.name) ? d.name : undefined;
    return { ref: `data:url/${d.name}`, name: d.name, references: url && /^https?:/i.test(url) ? [{ type: ExternalReferenceType.Distribution, url }] : [], dataUrl: url };
  }
  if (d.source === 'local') {
    const file = input.localFiles.get(localKey(d));
    if (file) return { ref: `data:file/${file}`, name: file, file, references: [], dataUrl: file };
    return { ref: `data:local/${localRef(d.name)}`, name: d.name, references: [] };
  }
  return { ref: `data:${d.source}/${d.name}`, name: d.name, references: [] };
}

/**
 * Manifests whose requirements are PyPI packages. A conda environment file mixes conda packages with a `pip:` list,
 * and a record does not say which list it came from, so its pins get a version but no `pkg:pypi` purl.
 */
const PYPI_MANIFEST = /(?:^|\/)(?:(?:requirements|constraints)[\w.-]*\.(?:txt|in)|pyproject\.toml|setup\.cfg|setup\.py|Pipfile)$/i;

/** The exact version a pinned requirement names (`==2.3.1`, `===2.3.1`), if it names one. */
export function pinnedVersion(d: Dependency): string | undefined {
  // The manifest parser being rewritten records `version` where a requirement is pinned; until then, the specifier.
  const declared = (d as Dependency & { version?: unknown }).version;
  if (typeof declared === 'string' && declared.trim() !== '') return declared.trim();
  if (!d.pinned) return undefined;
  for (const clause of d.spec.replace(/\s+/g, '').split(',')) {
    const m = /^===?([^*,;@]+)$/.exec(clause);
    if (m) return m[1];
  }
  return undefined;
}

// ------------------------------------------------------------------ the document

function uuidV5(name: string): string {
  // RFC 4122 name-based UUID (SHA-1, version 5) in a namespace of our own.
  const namespace = Buffer.from('6d1f4c2a9b3e4f5a8c7d0e1f2a3b4c5d', 'hex');
  const h = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function addProperties(target: { properties: { add(p: Property): unknown } }, props: Array<[string, string]>): void {
  for (const [k, v] of props) target.properties.add(new Property(`${PROPERTY_PREFIX}${k}`, v));
}

/** Characters an `iri-reference` may not hold, escaped as the library escapes external reference URLs. */
function escapeIri(s: string): string {
  return s.replace(/[ "'[\]<>{}\\^`|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** `obj` with `extra`'s keys placed before `before` (or at the end), keeping the rest of the order. */
function withKeys(obj: Json, extra: Json, before: string): Json {
  const out: Json = {};
  let placed = false;
  for (const [k, v] of Object.entries(obj)) {
    if (k === before && !placed) {
      Object.assign(out, extra);
      placed = true;
    }
    out[k] = v;
  }
  if (!placed) Object.assign(out, extra);
  return out;
}

export function buildBom(input: BomInput): { bom: CycloneDxBom; summary: BomSummary } {
  const inv = input.inventory;
  const entries = new Map<string, Entry>();
  const entry = (kind: Kind, ref: string, name: string) => {
    let e = entries.get(ref);
    if (!e) {
      e = newEntry(kind, ref, name);
      entries.set(ref, e);
    }
    return e;
  };
  /** Component refs each Python file uses. */
  const usedBy = new Map<string, Set<string>>();
  const use = (file: string, ref: string) => {
    const s = usedBy.get(file) ?? new Set<string>();
    s.add(ref);
    usedBy.set(file, s);
  };

  // Files on disk first, so that a load naming one of them lands on the same component.
  for (const mf of inv.modelFiles) {
    const kind: Kind = mf.format === 'numpy' ? 'data' : 'model';
    const e = entry(kind, `${kind}:file/${mf.path}`, mf.path);
    e.file = mf.path;
    e.modelFile = mf;
    if (kind === 'data') e.dataType = 'other';
  }
  for (const u of inv.models) {
    const id = modelIdentity(u, input);
    const e = entry('model', id.ref, id.name);
    Object.assign(e, { version: e.version ?? id.version, purl: e.purl ?? id.purl, file: e.file ?? id.file, description: e.description ?? id.description });
    if (!e.references.length) e.references.push(...id.references);
    e.models.push(u);
    use(u.evidence.path, e.ref);
  }
  for (const d of inv.datasets) {
    const id = datasetIdentity(d, input);
    const e = entry('data', id.ref, id.name);
    Object.assign(e, { version: e.version ?? id.version, file: e.file ?? id.file, description: e.description ?? id.description, dataUrl: e.dataUrl ?? id.dataUrl });
    e.dataType ??= 'dataset';
    if (!e.references.length) e.references.push(...id.references);
    e.datasets.push(d);
    use(d.evidence.path, e.ref);
  }
  for (const dep of inv.dependencies.filter((d) => d.ml)) {
    const version = pinnedVersion(dep);
    const name = pypiPurlName(dep.name);
    const e = entry('library', `pypi:${name}${version ? `@${version}` : ''}`, dep.name);
    e.version = version;
    if (version && PYPI_MANIFEST.test(dep.evidence.path)) e.purl = pypiPurl(dep.name, version);
    e.dependencies.push(dep);
  }

  // Services: the hosted AI APIs the code calls.
  const services = new Map<string, { ref: string; name: string; via: string[]; where: Evidence[] }>();
  for (const api of inv.externalApis) {
    const ref = `service:${api.provider.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
    const s = services.get(ref) ?? { ref, name: api.provider, via: [], where: [] };
    s.via.push(api.via);
    s.where.push(api.evidence);
    services.set(ref, s);
    use(api.evidence.path, ref);
  }

  // Code files that use any of it.
  const roles = new Map(inv.files.map((f) => [f.path, f]));
  for (const rel of usedBy.keys()) {
    const e = entry('file', `file:${rel}`, rel);
    e.file = rel;
    const role = roles.get(rel);
    if (role) e.properties.push(['role', role.role], ['role_reason', role.why]);
  }

  // Models fine-tuned in a training file depend on the datasets that file loads.
  const trainedOn = new Map<string, Set<string>>();
  for (const [rel, refs] of usedBy) {
    if (roles.get(rel)?.role !== 'training') continue;
    const data = [...refs].filter((r) => entries.get(r)?.kind === 'data');
    if (!data.length) continue;
    for (const r of refs) {
      const e = entries.get(r);
      if (e?.kind !== 'model') continue;
      const pretrained = e.models.some((u) => u.evidence.path === rel && !u.computed && !NOT_TRAINED.test(u.loader) && (u.source === 'hub' || /\.from_pretrained$/.test(u.loader)));
      if (!pretrained) continue;
      const s = trainedOn.get(r) ?? new Set<string>();
      for (const d of data) s.add(d);
      trainedOn.set(r, s);
    }
  }

  // Properties, now that every use is in.
  let hashed = 0;
  for (const e of entries.values()) {
    const p = e.properties;
    const models = e.models;
    const datasets = e.datasets;
    const sources = unique([...models.map((u) => u.source), ...datasets.map((d) => d.source)]);
    for (const s of sources) p.push(['source', s]);
    for (const v of unique([...models.map((u) => u.pinned), ...datasets.map((d) => d.pinned)])) p.push(['pinned', v]);
    for (const r of unique([...models, ...datasets].flatMap((u) => (u.revision && u.revision !== e.version ? [u.revision] : [])))) p.push(['revision', r]);
    for (const l of unique([...models.map((u) => u.loader), ...datasets.map((d) => d.loader)])) p.push(['loader', l]);
    for (const f of unique([...models.map((u) => u.format), ...(e.modelFile ? [e.modelFile.format] : [])])) p.push(['format', f]);
    if (models.length) p.push(['trust_remote_code', String(models.some((u) => u.trustRemoteCode))]);
    for (const v of unique(datasets.map((d) => d.provenance))) p.push(['provenance', v]);
    if (models.some((u) => u.computed) || datasets.some((d) => d.computed)) p.push(['computed', 'true']);
    if (e.modelFile?.gitignored) p.push(['gitignored', 'true']);
    for (const spec of unique(e.dependencies.map((d) => d.spec || '(any version)'))) p.push(['specifier', spec]);
    if (e.kind === 'library') p.push(['pinned', e.dependencies.some((d) => d.pinned) ? 'yes' : 'no']);
    const digest = e.file ? input.digests.get(e.file) : undefined;
    if (digest) {
      if (e.kind !== 'file') p.push(['bytes', String(digest.bytes)]);
      if (digest.skipped) p.push(['hash_skipped', digest.skipped]);
      if (digest.sha256) hashed++;
    } else if (e.modelFile) {
      p.push(['bytes', String(e.modelFile.bytes)]);
    } else if ((e.kind === 'model' || e.kind === 'data') && [...models, ...datasets].some((u) => u.source === 'local' && !u.computed)) {
      p.push(['hash_skipped', 'not a file in the folder']);
    }
  }

  // ---------------------------------------------------------------- the library's model

  const toolVersion = input.project.generator.version;
  const metadata = new Metadata({ timestamp: input.timestamp });
  metadata.lifecycles.add(LifecyclePhase.PreBuild);
  metadata.tools.components.add(new Component(ComponentType.Application, input.project.generator.name, { version: toolVersion, bomRef: `tool:${input.project.generator.name}` }));
  const app = new Component(ComponentType.Application, input.project.name, { bomRef: 'app' });
  metadata.component = app;
  const appRefs: Array<{ type: ExternalReferenceType; url: string; comment?: string; sha256?: string }> = [];
  if (input.threatModel) {
    appRefs.push({ type: ExternalReferenceType.ThreatModel, url: input.threatModel.path, comment: 'Path relative to the folder this BOM describes.', sha256: input.threatModel.digest?.sha256 });
  }
  for (const w of inv.workspaceFiles) {
    if (w.kind === 'model-card') appRefs.push({ type: ExternalReferenceType.ModelCard, url: w.path, comment: 'Path relative to the folder this BOM describes.' });
    if (w.kind === 'security-policy') appRefs.push({ type: ExternalReferenceType.SecurityContact, url: w.path, comment: 'Path relative to the folder this BOM describes.' });
  }
  for (const r of appRefs) {
    const ref = new ExternalReference(r.url, r.type, { comment: r.comment });
    if (r.sha256) ref.hashes.set(HashAlgorithm['SHA-256'], r.sha256);
    app.externalReferences.add(ref);
  }
  if (input.project.git) addProperties(app, [['git_commit', input.project.git.commit]]);

  const bom = new Bom({ metadata });
  const sorted = [...entries.values()].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || cmp(a.ref, b.ref));
  const components = new Map<string, Component>();
  const TYPE: Record<Kind, ComponentType> = {
    model: ComponentType.MachineLearningModel,
    data: ComponentType.Data,
    library: ComponentType.Library,
    file: ComponentType.File,
  };
  for (const e of sorted) {
    const c = new Component(TYPE[e.kind], e.name, { bomRef: e.ref, version: e.version, purl: e.purl, description: e.description });
    const digest = e.file ? input.digests.get(e.file) : undefined;
    if (digest?.sha256) c.hashes.set(HashAlgorithm['SHA-256'], digest.sha256);
    for (const r of e.references) c.externalReferences.add(new ExternalReference(r.url, r.type, r.comment ? { comment: r.comment } : {}));
    addProperties(c, e.properties);
    components.set(e.ref, c);
    bom.components.add(c);
  }
  const serviceModels = new Map<string, Service>();
  for (const s of [...services.values()].sort((a, b) => cmp(a.ref, b.ref))) {
    const svc = new Service(s.name, { bomRef: s.ref, description: `Hosted AI API called from the code (${unique(s.via).join(', ')}).` });
    addProperties(svc, [...unique(s.via).map((v): [string, string] => ['via', v]), ...unique(s.where.map(where)).map((w): [string, string] => ['location', w])]);
    serviceModels.set(s.ref, svc);
    bom.services.add(svc);
  }

  // Dependencies, in the order the components are listed.
  const listed = new Set<string>();
  const refOf = (r: string) => components.get(r)?.bomRef ?? serviceModels.get(r)?.bomRef;
  for (const e of sorted) {
    if (e.kind !== 'file') continue;
    const c = components.get(e.ref)!;
    for (const r of [...(usedBy.get(e.name) ?? [])].sort((a, b) => (KIND_ORDER[entries.get(a)?.kind ?? 'file'] ?? 9) - (KIND_ORDER[entries.get(b)?.kind ?? 'file'] ?? 9) || cmp(a, b))) {
      const target = refOf(r);
      if (target) c.dependencies.add(target);
      listed.add(r);
    }
    app.dependencies.add(c.bomRef);
  }
  for (const e of sorted) {
    if (e.kind === 'library' || ((e.kind === 'model' || e.kind === 'data') && !listed.has(e.ref))) app.dependencies.add(components.get(e.ref)!.bomRef);
    const data = trainedOn.get(e.ref);
    if (data) for (const d of [...data].sort(cmp)) components.get(e.ref)!.dependencies.add(components.get(d)!.bomRef);
  }

  // ---------------------------------------------------------------- JSON, and what the library does not model

  const serializer = new JsonSerializer(new JsonNormalize.Normalize.Factory(Spec1dot6));
  const json = JSON.parse(serializer.serialize(bom)) as Json;
  const byRef = new Map(sorted.map((e) => [e.ref, e]));
  json.components = (json.components as Json[]).map((c) => {
    const e = byRef.get(c['bom-ref'] as string);
    if (!e) return c;
    const extra: Json = {};
    const occurrences: Array<{ location: string; line?: number; symbol?: string }> = [
      ...e.models.map((u) => ({ location: u.evidence.path, line: u.evidence.line, symbol: u.loader })),
      ...e.datasets.map((d) => ({ location: d.evidence.path, line: d.evidence.line, symbol: d.loader })),
      ...e.dependencies.map((d) => ({ location: d.evidence.path, line: d.evidence.line })),
      ...(e.modelFile && !e.models.length && !e.datasets.length ? [{ location: e.modelFile.path }] : []),
    ];
    occurrences.sort((a, b) => cmp(a.location, b.location) || (a.line ?? 0) - (b.line ?? 0));
    if (occurrences.length) extra.evidence = { occurrences };
    const data = trainedOn.get(e.ref);
    if (e.kind === 'model' && data) extra.modelCard = { modelParameters: { datasets: [...data].sort(cmp).map((ref) => ({ ref })) } };
    if (e.kind === 'data') {
      const contents = e.dataUrl ? { contents: { url: escapeIri(e.dataUrl) } } : {};
      extra.data = [{ type: e.dataType ?? 'dataset', name: e.name, ...contents }];
    }
    return withKeys(c, extra, 'properties');
  });
  if (Array.isArray(json.services)) {
    // Calling a third-party API crosses a trust boundary: the prompts and data leave this system.
    json.services = (json.services as Json[]).map((s) => withKeys(s, { 'x-trust-boundary': true }, 'properties'));
  }
  const serialNumber = input.serialNumber ?? uuidV5(JSON.stringify(json));
  const out = withKeys(json, { serialNumber }, 'metadata') as CycloneDxBom;
  const summary: BomSummary = {
    models: sorted.filter((e) => e.kind === 'model').length,
    datasets: sorted.filter((e) => e.kind === 'data').length,
    libraries: sorted.filter((e) => e.kind === 'library').length,
    files: sorted.filter((e) => e.kind === 'file').length,
    services: services.size,
    hashed,
  };
  return { bom: out, summary };
}

/** The document's text: two-space JSON and a final newline. */
export function bomText(bom: CycloneDxBom): string {
  return `${JSON.stringify(bom, null, 2)}\n`;
}
