/**
 * The pure generator: workspace facts (per-file inventory, findings, files on disk, dependencies) in, the threat
 * model out. No I/O, no clock: the caller passes the date and version, so the same facts always give the same model.
 */
import { GUIDELINES } from '../guidelines/guidelines';
import { RULES_BY_ID } from '../rules';
import { ruleDocsUrl } from '../rules/docs';
import type { Severity } from '../engine/types';
import { ALL_TEMPLATES, API_TEMPLATES, ARTEFACT_TEMPLATES, ML_TEMPLATES, SERVING_TEMPLATES, TRAINING_TEMPLATES, type TemplateContext, type ThreatTemplate } from './catalogue';
import type { FileFacts } from './inventory';
import type {
  BacklogItem,
  Boundary,
  BoundaryId,
  Component,
  CoverageItem,
  Dependency,
  Evidence,
  FindingRef,
  Flow,
  Inventory,
  ModelFile,
  ProjectInfo,
  Question,
  SecretRef,
  Threat,
  ThreatModel,
  WorkspaceFile,
} from './types';

export interface WorkspaceFacts {
  project: ProjectInfo;
  /** One entry per Python file analysed, in path order. */
  files: FileFacts[];
  findings: FindingRef[];
  /** Python files the engine could not analyse (too large, not decodable). */
  notAnalysed: number;
  modelFiles: ModelFile[];
  dependencies: Dependency[];
  workspaceFiles: WorkspaceFile[];
}

const BOUNDARIES: Record<BoundaryId, string> = {
  internet: 'Internet and users',
  serving: 'Serving app',
  training: 'Training environment',
  hub: 'Model hub',
  'ai-apis': 'Third-party AI APIs',
};

/** At most this many processes per boundary in the diagram; the rest are folded into one. */
const MAX_PROCESSES = 8;

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

export const evidenceKey = (e: Evidence) => `${e.path}:${e.line}`;

/** A readable, stable slug of a path: `ml-project/serve.py` → `ml-project-serve`. */
export function slug(p: string): string {
  return (
    p
      .replace(/\.py$/, '')
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .toLowerCase() || 'root'
  );
}

export function uniqueEvidence(list: Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const k = evidenceKey(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ------------------------------------------------------------------ inventory

function assembleInventory(facts: WorkspaceFacts): Inventory {
  const perFile = new Map<string, number>();
  for (const f of facts.findings) if (!f.suppressed) perFile.set(f.evidence.path, (perFile.get(f.evidence.path) ?? 0) + 1);
  const files = facts.files.map((f) => (perFile.has(f.file.path) ? { ...f.file, findings: perFile.get(f.file.path) } : f.file));
  const models = facts.files.flatMap((f) => f.models);
  const datasets = facts.files.flatMap((f) => f.datasets);
  // Provenance from the findings: SAI301 at the load says it is not recorded; suppressed with a reason, accepted.
  const byLine = new Map<string, FindingRef[]>();
  for (const f of facts.findings) {
    const k = evidenceKey(f.evidence);
    byLine.set(k, [...(byLine.get(k) ?? []), f]);
  }
  const roleOf = new Map(files.map((f) => [f.path, f.role]));
  for (const d of datasets) {
    const here = (byLine.get(evidenceKey(d.evidence)) ?? []).filter((f) => f.guidelines.includes('AML.M0025') || f.guidelines.includes('OWASP-ML02'));
    if (here.some((f) => !f.suppressed || !f.suppressed.reason)) d.provenance = 'no';
    else if (here.length) d.provenance = 'accepted';
    else if (d.pinned === 'yes' || roleOf.get(d.evidence.path) === 'training') d.provenance = 'recorded';
  }
  const secrets = new Map<string, SecretRef>();
  for (const s of facts.files.flatMap((f) => f.secrets)) {
    const key = `${s.kind}:${s.name}`;
    const have = secrets.get(key);
    if (have) have.evidence = uniqueEvidence([...have.evidence, s.evidence]);
    else secrets.set(key, { name: s.name, kind: s.kind, evidence: [s.evidence] });
  }
  // An SDK's default variable read explicitly elsewhere is one secret, not two.
  for (const [key, s] of secrets) {
    if (s.kind === 'implicit' && secrets.has(`env:${s.name}`)) {
      secrets.get(`env:${s.name}`)!.evidence.push(...s.evidence);
      secrets.delete(key);
    }
  }
  return {
    files,
    models,
    datasets,
    modelFiles: facts.modelFiles,
    endpoints: facts.files.flatMap((f) => f.endpoints),
    binds: facts.files.flatMap((f) => f.binds),
    externalApis: facts.files.flatMap((f) => f.externalApis),
    secrets: [...secrets.values()].sort((a, b) => a.name.localeCompare(b.name)),
    dependencies: facts.dependencies,
    workspaceFiles: facts.workspaceFiles,
  };
}

// ------------------------------------------------------------------ components and flows

interface Layout {
  boundaries: Boundary[];
  components: Component[];
  flows: Flow[];
  /** Component id of each Python file that has one. */
  componentOfFile: Map<string, string>;
}

function hasMlActivity(f: FileFacts): boolean {
  return f.models.length > 0 || f.datasets.length > 0 || f.externalApis.length > 0 || f.file.savesArtefacts;
}

function truncateList(items: string[], max = 3): string {
  const unique = [...new Set(items)];
  return unique.length <= max ? unique.join(', ') : `${unique.slice(0, max).join(', ')} +${unique.length - max} more`;
}

/** A store's contents for the diagram: literal paths, and a count of those the code computes. */
function storeDescription(items: Array<{ name: string; computed?: boolean }>, fallback: string): string {
  const literal = [...new Set(items.filter((i) => !i.computed).map((i) => i.name))];
  const computed = new Set(items.filter((i) => i.computed).map((i) => i.name)).size;
  const parts = [literal.length ? truncateList(literal, 2) : '', computed ? `${computed} computed path${computed === 1 ? '' : 's'}` : ''].filter(Boolean);
  return parts.join('; ') || fallback;
}

function layout(facts: WorkspaceFacts, inv: Inventory): Layout {
  const components: Component[] = [];
  const flows: Flow[] = [];
  const componentOfFile = new Map<string, string>();
  const add = (c: Component) => {
    components.push(c);
    return c;
  };
  const flow = (from: string, to: string, label: string, publicNetwork: boolean) => {
    const id = `${from}->${to}`;
    if (!flows.some((f) => f.id === id)) flows.push({ id, from, to, label, publicNetwork });
  };

  const serving = facts.files.filter((f) => f.file.role === 'serving');
  const training = facts.files.filter((f) => f.file.role !== 'serving' && (f.file.role === 'training' || hasMlActivity(f)));

  // A file is named by its base name, or by its path when two files share one (`api/app.py`, `ui/app.py`).
  const baseCount = new Map<string, number>();
  for (const f of [...serving, ...training]) {
    const base = f.file.path.split('/').pop()!;
    baseCount.set(base, (baseCount.get(base) ?? 0) + 1);
  }
  const nameOf = (p: string) => {
    const base = p.split('/').pop()!;
    return (baseCount.get(base) ?? 0) > 1 ? p : base;
  };
  const processes = (list: FileFacts[], boundary: 'serving' | 'training') => {
    const shown = list.slice(0, MAX_PROCESSES);
    for (const f of shown) {
      const endpoints = f.endpoints.map((e) => e.name);
      const c = add({
        id: `${boundary}:${f.file.path}`,
        name: nameOf(f.file.path),
        kind: 'process',
        boundary,
        description: endpoints.length ? truncateList(endpoints) : f.file.why,
        evidence: [{ path: f.file.path, line: 0 }],
      });
      componentOfFile.set(f.file.path, c.id);
    }
    const rest = list.slice(MAX_PROCESSES);
    if (rest.length) {
      const c = add({
        id: `${boundary}:more`,
        name: `${rest.length} more file${rest.length === 1 ? '' : 's'}`,
        kind: 'process',
        boundary,
        description: truncateList(rest.map((f) => f.file.path)),
        evidence: rest.map((f) => ({ path: f.file.path, line: 0 })),
      });
      for (const f of rest) componentOfFile.set(f.file.path, c.id);
    }
  };

  if (serving.length) {
    add({ id: 'users', name: 'Users and API clients', kind: 'actor', boundary: 'internet', description: 'whoever can reach the serving app', evidence: [] });
  }
  processes(serving, 'serving');
  processes(training, 'training');

  const localModels = inv.models.filter((m) => m.source === 'local');
  const saves = facts.files.filter((f) => f.file.savesArtefacts);
  if (inv.modelFiles.length || localModels.length || saves.length) {
    const boundary: BoundaryId = training.length ? 'training' : 'serving';
    add({
      id: 'store:artefacts',
      name: 'Model files and checkpoints',
      kind: 'store',
      boundary,
      description: storeDescription([...inv.modelFiles.map((m) => ({ name: m.path })), ...localModels], 'written by training'),
      evidence: uniqueEvidence([...inv.modelFiles.map((m) => ({ path: m.path, line: 0 })), ...localModels.map((m) => m.evidence)]),
    });
  }
  const localData = inv.datasets.filter((d) => d.source === 'local');
  if (localData.length) {
    add({
      id: 'store:data',
      name: 'Training data on disk',
      kind: 'store',
      boundary: training.length ? 'training' : 'serving',
      description: storeDescription(localData, 'read by training'),
      evidence: localData.map((d) => d.evidence),
    });
  }
  const hubModels = inv.models.filter((m) => m.source === 'hub' || m.source === 'unknown');
  const hubData = inv.datasets.filter((d) => d.source === 'hub' || d.source === 'unknown');
  if (hubModels.length || hubData.length) {
    add({ id: 'hub:huggingface', name: 'Hugging Face Hub', kind: 'actor', boundary: 'hub', description: 'models and datasets fetched by id', evidence: [...hubModels, ...hubData].map((m) => m.evidence) });
  }
  const torchHub = inv.models.filter((m) => m.source === 'torch-hub');
  if (torchHub.length) {
    add({ id: 'hub:github', name: 'GitHub (torch.hub)', kind: 'actor', boundary: 'hub', description: 'repositories whose hubconf.py is imported', evidence: torchHub.map((m) => m.evidence) });
  }
  const registry = inv.models.filter((m) => m.source === 'registry');
  if (registry.length) {
    add({ id: 'hub:registry', name: 'Model registry', kind: 'actor', boundary: 'hub', description: 'models loaded from a registry URI', evidence: registry.map((m) => m.evidence) });
  }
  const remoteData = inv.datasets.filter((d) => d.source === 'url' || d.source === 'library');
  if (remoteData.length) {
    add({ id: 'net:data', name: 'Remote data sources', kind: 'actor', boundary: 'internet', description: truncateList(remoteData.map((d) => d.name)), evidence: remoteData.map((d) => d.evidence) });
  }
  const providers = [...new Set(inv.externalApis.map((a) => a.provider))].sort();
  for (const p of providers) {
    add({ id: `api:${slug(p)}`, name: `${p} API`, kind: 'actor', boundary: 'ai-apis', description: 'hosted model API', evidence: inv.externalApis.filter((a) => a.provider === p).map((a) => a.evidence) });
  }

  // Flows, from what each file does.
  const has = (id: string) => components.some((c) => c.id === id);
  for (const f of facts.files) {
    const me = componentOfFile.get(f.file.path);
    if (!me) continue;
    if (f.file.role === 'serving') {
      const routes = f.endpoints.map((e) => e.name);
      const publicBind = f.binds.some((b) => b.public);
      flow('users', me, routes.length ? `requests: ${truncateList(routes, 2)}` : 'requests', publicBind || f.binds.length === 0);
    }
    const hubIds = [...f.models.filter((m) => m.source === 'hub' || m.source === 'unknown'), ...f.datasets.filter((d) => d.source === 'hub' || d.source === 'unknown')];
    if (hubIds.length) {
      const unpinned = hubIds.filter((m) => m.pinned === 'no').length;
      const models = f.models.filter((m) => m.source === 'hub' || m.source === 'unknown').length;
      const data = hubIds.length - models;
      const what =
        hubIds.length <= 2 ? hubIds.map((m) => m.name).join(', ') : [models ? count(models, 'model') : '', data ? count(data, 'dataset') : ''].filter(Boolean).join(', ');
      flow('hub:huggingface', me, `${what}${unpinned ? ` (${unpinned} unpinned)` : ''}`, true);
    }
    const th = f.models.filter((m) => m.source === 'torch-hub');
    if (th.length) flow('hub:github', me, `hubconf.py: ${truncateList(th.map((m) => m.name), 2)}`, true);
    const reg = f.models.filter((m) => m.source === 'registry');
    if (reg.length) flow('hub:registry', me, truncateList(reg.map((m) => m.name), 2), true);
    const local = f.models.filter((m) => m.source === 'local');
    if (local.length && has('store:artefacts')) flow('store:artefacts', me, `loads ${local.length > 2 || local.some((m) => m.computed) ? count(local.length, 'artefact') : local.map((m) => m.name).join(', ')}`, false);
    if (f.file.savesArtefacts && has('store:artefacts')) flow(me, 'store:artefacts', 'saves weights', false);
    const data = f.datasets.filter((d) => d.source === 'local');
    if (data.length && has('store:data')) flow('store:data', me, `reads ${data.length > 2 || data.some((d) => d.computed) ? count(data.length, 'file') : data.map((d) => d.name).join(', ')}`, false);
    const remote = f.datasets.filter((d) => d.source === 'url' || d.source === 'library');
    if (remote.length) flow('net:data', me, `downloads ${truncateList(remote.map((d) => d.name), 2)}`, true);
    for (const p of [...new Set(f.externalApis.map((a) => a.provider))]) flow(me, `api:${slug(p)}`, 'prompts and data', true);
  }

  const used = new Set(components.map((c) => c.boundary));
  const boundaries = (Object.keys(BOUNDARIES) as BoundaryId[]).filter((b) => used.has(b)).map((id) => ({ id, title: BOUNDARIES[id] }));
  return { boundaries, components, flows, componentOfFile };
}

// ------------------------------------------------------------------ threats

function threatFrom(t: ThreatTemplate, id: string, component: string, ctx: TemplateContext, findings: FindingRef[], inScope: (f: FindingRef) => boolean): Threat {
  const mine = findings.filter((f) => inScope(f) && t.takes(f, ctx));
  const open = mine.filter((f) => !f.suppressed || !f.suppressed.reason);
  const accepted = mine.filter((f) => f.suppressed?.reason);
  const unreasoned = mine.filter((f) => f.suppressed && !f.suppressed.reason).length;
  const na = t.notApplicable?.(ctx);
  const base = {
    id,
    title: t.title,
    category: t.category,
    component,
    ...(ctx.component ? { componentId: ctx.component.id } : {}),
    description: t.description,
    findings: mine,
    mitigation: t.mitigation,
    ncsc: t.ncsc,
    owasp: t.owasp,
    atlas: t.atlas,
    cwe: t.cwe,
  };
  if (open.length) {
    const rules = [...new Set(open.map((f) => f.ruleId))].join(', ');
    const extra = unreasoned ? ` (${unreasoned} suppressed without a reason)` : '';
    return { ...base, status: 'Open', basis: `${open.length} finding${open.length === 1 ? '' : 's'} (${rules})${extra}`, evidence: [] };
  }
  if (accepted.length) {
    const reasons = [...new Set(accepted.map((f) => f.suppressed!.reason!))];
    return { ...base, status: 'Accepted', basis: `accepted: ${reasons.map((r) => `“${r}”`).join('; ')}`, evidence: [] };
  }
  if (na) return { ...base, status: 'Not applicable', basis: na, evidence: [] };
  const verdict = t.fromInventory?.(ctx);
  if (verdict) return { ...base, status: verdict.status, basis: verdict.basis, evidence: uniqueEvidence(verdict.evidence ?? []) };
  return { ...base, status: 'Open', basis: 'TODO: describe the control, then set the status (the code does not show one)', evidence: [] };
}

/** Threat rows, each with the template it came from (the backlog reads the template's mitigations). */
function buildThreats(facts: WorkspaceFacts, inv: Inventory, lay: Layout): Array<{ threat: Threat; template: ThreatTemplate }> {
  const datasetLines = new Set(inv.datasets.map((d) => evidenceKey(d.evidence)));
  const base: TemplateContext = { inventory: inv, datasetLines };
  const out: Array<{ threat: Threat; template: ThreatTemplate }> = [];
  const push = (template: ThreatTemplate, threat: Threat, where: Evidence[] = []) => {
    // A per-component row with nothing else to show points at its component.
    if (threat.status !== 'Not applicable' && threat.evidence.length === 0 && threat.findings.length === 0) threat.evidence = where.slice(0, 3);
    out.push({ threat, template });
  };
  for (const t of ML_TEMPLATES) push(t, threatFrom(t, t.id, 'System', base, facts.findings, () => true));

  const fileOf = new Map(inv.files.map((f) => [f.path, f]));
  const perFile = (templates: ThreatTemplate[], boundary: 'serving' | 'training') => {
    for (const c of lay.components.filter((x) => x.kind === 'process' && x.boundary === boundary)) {
      const paths = new Set(c.evidence.map((e) => e.path));
      const more = c.id.endsWith(':more');
      const ctx: TemplateContext = { ...base, component: c, file: more ? undefined : fileOf.get(c.evidence[0]?.path ?? '') };
      const suffix = more ? `more-${boundary}` : slug(c.evidence[0].path);
      for (const t of templates) push(t, threatFrom(t, `${t.id}-${suffix}`, c.name, ctx, facts.findings, (f) => paths.has(f.evidence.path)), c.evidence);
    }
  };
  perFile(SERVING_TEMPLATES, 'serving');
  perFile(TRAINING_TEMPLATES, 'training');
  const store = lay.components.find((c) => c.id === 'store:artefacts');
  if (store) for (const t of ARTEFACT_TEMPLATES) push(t, threatFrom(t, t.id, store.name, { ...base, component: store }, facts.findings, () => true), store.evidence);
  for (const c of lay.components.filter((x) => x.boundary === 'ai-apis')) {
    for (const t of API_TEMPLATES) {
      push(t, threatFrom(t, `${t.id}-${c.id.slice('api:'.length)}`, c.name, { ...base, component: c }, facts.findings, () => true), c.evidence);
    }
  }
  return out;
}

// ------------------------------------------------------------------ coverage

interface CoverageRule {
  shows(inv: Inventory, facts: WorkspaceFacts): string[];
  todo: string;
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const COVERAGE: Record<string, CoverageRule> = {
  'NCSC-1.1': { shows: () => [], todo: 'Who on the team has had training on AI-specific threats? How are new members briefed?' },
  'NCSC-1.2': { shows: () => ['this threat model (generated draft)'], todo: 'Review this draft, fill in the TODOs, sign it off, and regenerate it when the system changes.' },
  'NCSC-1.3': {
    shows: (inv) => {
      const safe = inv.models.filter((m) => ['safetensors', 'onnx', 'torch (weights only)', 'gguf'].includes(m.format)).length;
      const remote = inv.models.filter((m) => m.trustRemoteCode).length;
      return [inv.models.length ? `a format that cannot run code in ${safe} of ${count(inv.models.length, 'model load')}` : '', remote ? `remote code in ${count(remote, 'load')}` : ''].filter(Boolean);
    },
    todo: 'Which model outputs can trigger actions, and what limits them? Are secure defaults documented?',
  },
  'NCSC-1.4': {
    shows: (inv) =>
      [
        inv.models.length ? `models used: ${truncateList(inv.models.filter((m) => !m.computed).map((m) => `\`${m.name}\``), 5) || 'paths computed in code'}` : '',
        inv.externalApis.length ? `hosted model APIs: ${[...new Set(inv.externalApis.map((a) => a.provider))].join(', ')}` : '',
      ].filter(Boolean),
    todo: 'Why were these models chosen? Were their model cards, licences and known weaknesses reviewed?',
  },
  'NCSC-2.1': {
    shows: (inv) => {
      const remote = inv.models.filter((m) => m.source === 'hub' || m.source === 'torch-hub');
      const ml = inv.dependencies.filter((d) => d.ml);
      const lock = inv.workspaceFiles.find((f) => f.kind === 'lockfile');
      return [
        remote.length ? `${remote.filter((m) => m.pinned === 'yes').length} of ${count(remote.length, 'hub model download')} pinned to a commit` : '',
        ml.length ? `${ml.filter((d) => d.pinned).length} of ${count(ml.length, 'ML dependency', 'ML dependencies')} pinned${lock ? `; lock file \`${lock.path}\`` : ''}` : '',
      ].filter(Boolean);
    },
    todo: 'Are downloaded artefacts scanned or verified before use? Is there an AI bill of materials?',
  },
  'NCSC-2.2': {
    shows: (inv) =>
      [
        inv.models.length + inv.modelFiles.length ? `${count(inv.models.length, 'model load')}, ${count(inv.modelFiles.length, 'model file')} in the workspace` : '',
        inv.datasets.length ? count(inv.datasets.length, 'data load') : '',
        inv.secrets.length ? `secrets by name: ${truncateList(inv.secrets.map((s) => `\`${s.name}\``), 6)}` : '',
      ].filter(Boolean),
    todo: 'Where are models, data, prompts and logs stored, who can read and write them, and how are they backed up?',
  },
  'NCSC-2.3': {
    shows: (inv) => {
      const cards = inv.workspaceFiles.filter((f) => f.kind === 'model-card' || f.kind === 'dvc');
      const recorded = inv.datasets.filter((d) => d.provenance === 'recorded').length;
      return [
        inv.datasets.length ? `${recorded} of ${count(inv.datasets.length, 'data load')} with recorded provenance or a pin` : '',
        cards.length ? `documentation: ${truncateList(cards.map((c) => `\`${c.path}\``), 4)}` : '',
      ].filter(Boolean);
    },
    todo: 'Is there a model card and a data card (sources, licences, hashes, retention)?',
  },
  'NCSC-2.4': {
    shows: (_inv, facts) => {
      const accepted = facts.findings.filter((f) => f.suppressed);
      return accepted.length ? [`${count(accepted.length, 'suppressed finding')} (${accepted.filter((f) => f.suppressed?.reason).length} with a reason)`] : [];
    },
    todo: 'Where are security shortcuts tracked, and who reviews the accepted risks in this document?',
  },
  'NCSC-3.1': {
    shows: (inv) =>
      [
        inv.endpoints.length ? `endpoints: ${truncateList(inv.endpoints.map((e) => `\`${e.name}\``), 5)}` : '',
        inv.binds.length ? `binds: ${truncateList(inv.binds.map((b) => (b.share ? 'public share link' : (b.host ?? `${b.framework} default`))), 4)}` : '',
        inv.files.some((f) => f.authHint) ? `authentication helpers: ${truncateList(inv.files.flatMap((f) => (f.authHint ? [`\`${f.authHint}\``] : [])))}` : '',
      ].filter(Boolean),
    todo: 'Who can reach the APIs, models, data and pipelines, and how is that enforced?',
  },
  'NCSC-3.2': {
    shows: (inv) => (inv.files.some((f) => f.savesArtefacts) ? [`weights are saved by ${truncateList(inv.files.filter((f) => f.savesArtefacts).map((f) => `\`${f.path}\``))}`] : []),
    todo: 'Are weights hashed or signed right after training and verified before serving? Is the query interface rate-limited?',
  },
  'NCSC-3.3': {
    shows: (inv) => {
      const logging = inv.files.filter((f) => f.logs).length;
      return logging ? [`logging in ${count(logging, 'file')}`] : [];
    },
    todo: 'Is there an incident response plan for the model (rollback, revocation of keys, disclosure)? Are logs and models backed up?',
  },
  'NCSC-3.4': {
    shows: (inv) => {
      const ci = inv.workspaceFiles.filter((f) => f.kind === 'ci-workflow');
      return ci.length ? [`CI workflows: ${truncateList(ci.map((c) => `\`${c.path}\``), 3)}${ci.some((c) => c.runsSecureAi) ? ' (one runs secure-ai)' : ' (none runs secure-ai)'}`] : [];
    },
    todo: 'What security evaluation (red-teaming, robustness tests, this scan in CI) happens before a release?',
  },
  'NCSC-3.5': { shows: () => [], todo: 'What guidance do users get on safe use and on the model\'s limits?' },
  'NCSC-4.1': {
    shows: (inv) => {
      const libs = [...new Set(inv.files.flatMap((f) => f.monitoring))];
      return libs.length ? [`monitoring libraries: ${libs.map((l) => `\`${l}\``).join(', ')}`] : [];
    },
    todo: 'Which output metrics are watched, with what alert thresholds?',
  },
  'NCSC-4.2': {
    shows: (inv) => {
      const serving = inv.files.filter((f) => f.role === 'serving');
      return serving.length ? [`logging in ${serving.filter((f) => f.logs).length} of ${count(serving.length, 'serving file')}`] : [];
    },
    todo: 'Are inference inputs and prompts logged (privacy-aware) and reviewed for abuse?',
  },
  'NCSC-4.3': {
    shows: (inv) => {
      const pinned = inv.models.filter((m) => m.pinned === 'yes').length;
      return pinned ? [`${count(pinned, 'model')} pinned, so a model update is a code change`] : [];
    },
    todo: 'Are model, data and prompt updates reviewed and released like code, with a way back?',
  },
  'NCSC-4.4': {
    shows: (inv) => {
      const sec = inv.workspaceFiles.find((f) => f.kind === 'security-policy');
      return sec ? [`disclosure policy: \`${sec.path}\``] : [];
    },
    todo: 'Is there a vulnerability disclosure channel, and are lessons shared with the team and the community?',
  },
};

function buildCoverage(facts: WorkspaceFacts, inv: Inventory): CoverageItem[] {
  const out: CoverageItem[] = [];
  for (const g of GUIDELINES.values()) {
    if (g.catalogue !== 'NCSC') continue;
    const rule = COVERAGE[g.id] ?? { shows: () => [], todo: 'TODO' };
    const findings = facts.findings.filter((f) => f.guidelines.includes(g.id));
    const shows = rule.shows(inv, facts);
    const open = findings.some((f) => !f.suppressed);
    const status = g.id === 'NCSC-1.2' ? 'This document' : open ? 'Gaps found' : shows.length || findings.length ? 'Some evidence' : 'Unknown';
    out.push({ id: g.id, title: g.title, section: g.section ?? '', status, shows, findings, todo: rule.todo });
  }
  return out;
}

// ------------------------------------------------------------------ backlog

function buildBacklog(facts: WorkspaceFacts, inv: Inventory, rows: Array<{ threat: Threat; template: ThreatTemplate }>): BacklogItem[] {
  const items: BacklogItem[] = [];
  const threats = rows.map((r) => r.threat);
  const open = facts.findings.filter((f) => !f.suppressed);
  const byRule = new Map<string, FindingRef[]>();
  for (const f of open) byRule.set(f.ruleId, [...(byRule.get(f.ruleId) ?? []), f]);
  for (const [ruleId, list] of byRule) {
    const rule = RULES_BY_ID.get(ruleId);
    const related = rows.filter((r) => r.threat.findings.some((f) => f.ruleId === ruleId && !f.suppressed));
    const mitigations = new Set<string>(list[0].guidelines.filter((g) => g.startsWith('AML.M')));
    for (const r of related) for (const m of r.template.atlasMitigations) mitigations.add(m);
    const severity = list.reduce<Severity>((s, f) => (SEVERITY_RANK[f.severity] < SEVERITY_RANK[s] ? f.severity : s), 'hint');
    items.push({
      ruleId,
      title: rule?.hazard ?? ruleId,
      severity,
      count: list.length,
      evidence: uniqueEvidence(list.map((f) => f.evidence)),
      action: actionFor(list, closest(list[0].guidelines, related)?.template.mitigation),
      docsUrl: ruleDocsUrl(ruleId),
      atlasMitigations: [...mitigations].sort(),
      threatIds: related.map((r) => r.threat.id),
    });
  }
  // What the inventory shows and no rule reports.
  const literal = inv.secrets.filter((s) => s.kind === 'literal');
  if (literal.length && !open.some((f) => f.guidelines.includes('CWE-798'))) {
    items.push({
      title: 'Credentials written in the code',
      severity: 'error',
      count: literal.length,
      evidence: literal.flatMap((s) => s.evidence),
      action: 'Move them to a secret store or the environment and rotate them: they are in the history.',
      atlasMitigations: [],
      threatIds: ['ML-SECRETS'],
    });
  }
  const deps = threats.find((t) => t.id === 'ML-SUPPLY-DEPS');
  const unpinnedDeps = inv.dependencies.filter((d) => d.ml && !d.pinned);
  if (deps?.status === 'Open' && unpinnedDeps.length > 0 && !open.some((f) => f.guidelines.includes('CWE-1104'))) {
    items.push({
      title: 'ML dependencies not pinned to one version',
      severity: 'warning',
      count: unpinnedDeps.length,
      evidence: unpinnedDeps.map((d) => d.evidence),
      action: 'Pin exact versions (`==`) or commit a lock file with hashes; update deliberately.',
      atlasMitigations: ['AML.M0016', 'AML.M0023'],
      threatIds: ['ML-SUPPLY-DEPS'],
    });
  }
  const publicBinds = inv.binds.filter((b) => b.public);
  if (publicBinds.length && !open.some((f) => f.guidelines.includes('CWE-306') || f.guidelines.includes('CWE-1327'))) {
    items.push({
      title: 'Serving app reachable beyond this machine',
      severity: 'warning',
      count: publicBinds.length,
      evidence: publicBinds.map((b) => b.evidence),
      action: 'Bind to 127.0.0.1 behind an authenticating gateway, or add authentication; no public share links.',
      atlasMitigations: ['AML.M0004'],
      threatIds: threats.filter((t) => t.id.startsWith('SRV-S-')).map((t) => t.id),
    });
  }
  items.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.count - a.count || a.title.localeCompare(b.title));
  return items;
}

/** The threat whose cited ids share most with a rule's: its mitigation speaks to that rule best. */
function closest<T extends { template: ThreatTemplate }>(guidelines: string[], rows: T[]): T | undefined {
  const score = (t: ThreatTemplate) => [...t.ncsc, ...t.owasp, ...t.atlas, ...t.cwe].filter((id) => guidelines.includes(id)).length;
  let best: T | undefined;
  for (const r of rows) if (!best || score(r.template) > score(best.template)) best = r;
  return best;
}

/** What to do about a rule's findings: its fix's title when it has one, else the threat's mitigation. */
function actionFor(list: FindingRef[], mitigation: string | undefined): string {
  const fixes = list.map((f) => f.fix).filter((t): t is string => !!t);
  if (fixes.length) {
    const top = [...new Set(fixes)].sort((a, b) => fixes.filter((x) => x === b).length - fixes.filter((x) => x === a).length)[0];
    const rest = mitigation ? ` ${mitigation}` : '';
    return `${top.replace(/\.$/, '')} (a quick fix in VS Code).${rest}`;
  }
  return mitigation ?? 'See the rule page.';
}

// ------------------------------------------------------------------ questions

function buildQuestions(inv: Inventory, facts: WorkspaceFacts): Question[] {
  const q: Question[] = [];
  for (const e of inv.endpoints.slice(0, 12)) {
    q.push({ text: `Who can call \`${e.name}\`? Is there authentication and a rate limit?`, evidence: e.evidence });
  }
  for (const b of inv.binds.filter((x) => x.public)) {
    q.push({
      text: b.share ? 'A public share link is created: is that intended outside a demo?' : `The ${b.framework} server listens on ${b.host ? `\`${b.host}\`` : 'every interface'}: what sits in front of it?`,
      evidence: b.evidence,
    });
  }
  if (!inv.endpoints.length && inv.files.some((f) => f.role === 'serving')) {
    const f = inv.files.find((x) => x.role === 'serving')!;
    q.push({ text: `How is \`${f.path}\` exposed to callers? No route or app was found in the code.`, evidence: { path: f.path, line: 0 } });
  }
  if (!inv.files.some((f) => f.role === 'serving') && (inv.models.length || inv.modelFiles.length)) {
    q.push({ text: 'How is the trained model deployed and served? No serving code was found here.' });
  }
  for (const m of inv.models.filter((x) => x.source === 'hub' && x.pinned !== 'yes').slice(0, 8)) {
    q.push({ text: `Which commit of \`${m.name}\` was reviewed, and who may change it?`, evidence: m.evidence });
  }
  for (const m of inv.models.filter((x) => x.trustRemoteCode).slice(0, 5)) {
    q.push({ text: `Who reviewed the code that \`${m.name}\` runs on load (remote code)?`, evidence: m.evidence });
  }
  for (const m of inv.models.filter((x) => x.source === 'local' && !['safetensors', 'onnx', 'torch (weights only)'].includes(x.format)).slice(0, 5)) {
    const what = m.computed ? `the file at \`${m.name}\`` : `\`${m.name}\``;
    q.push({ text: `Where does ${what} come from, who can write it, and is its hash checked before \`${m.loader}\`?`, evidence: m.evidence });
  }
  for (const d of inv.datasets.filter((x) => x.source === 'local' && x.provenance !== 'recorded').slice(0, 5)) {
    q.push({ text: `Where does \`${d.name}\` come from, and who can change it?`, evidence: d.evidence });
  }
  for (const p of [...new Set(inv.externalApis.map((a) => a.provider))]) {
    const a = inv.externalApis.find((x) => x.provider === p)!;
    q.push({ text: `What data is sent to ${p}? Does your data policy allow it, and what is the provider's retention?`, evidence: a.evidence });
  }
  if (inv.files.some((f) => f.usesLlm)) {
    q.push({ text: 'What can the language model\'s output trigger (tools, code, queries, emails), and what limits it?' });
  }
  for (const s of inv.secrets.filter((x) => x.kind !== 'literal').slice(0, 6)) {
    q.push({ text: `Where is \`${s.name}\` stored, who can read it, and how is it rotated?`, evidence: s.evidence[0] });
  }
  if (facts.files.length === 0) q.push({ text: 'No Python code was found here: is this the right folder?' });
  q.push({ text: 'Who owns this threat model, and when is it reviewed next?' });
  const seen = new Set<string>();
  return q.filter((x) => !seen.has(x.text) && !!seen.add(x.text));
}

// ------------------------------------------------------------------ the model

export function buildThreatModel(facts: WorkspaceFacts): ThreatModel {
  const inventory = assembleInventory(facts);
  const lay = layout(facts, inventory);
  const rows = buildThreats(facts, inventory, lay);
  const threats = rows.map((r) => r.threat);
  return {
    format: 'secure-ai-threat-model',
    formatVersion: 1,
    project: facts.project,
    inventory,
    boundaries: lay.boundaries,
    components: lay.components,
    flows: lay.flows,
    threats,
    coverage: buildCoverage(facts, inventory),
    backlog: buildBacklog(facts, inventory, rows),
    questions: buildQuestions(inventory, facts),
    findings: {
      total: facts.findings.length,
      open: facts.findings.filter((f) => !f.suppressed).length,
      suppressed: facts.findings.filter((f) => f.suppressed).length,
      notAnalysed: facts.notAnalysed,
    },
  };
}

/** Every guideline id the generator can cite exists in guidelines.ts (a test calls this). */
export function unknownGuidelineIds(): string[] {
  const ids = ALL_TEMPLATES.flatMap((t) => [...t.ncsc, ...t.owasp, ...t.atlas, ...t.cwe, ...t.atlasMitigations]);
  return [...new Set(ids)].filter((id) => !GUIDELINES.has(id));
}

