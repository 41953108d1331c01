/**
 * The threats the generator knows: the machine-learning threats (one row each for the whole system) and the STRIDE
 * rows for each serving app, training job and artefact store. Each template names the guideline ids it cites (all
 * of them in guidelines/guidelines.ts; a test checks), which findings are evidence for it (by the guideline ids the
 * finding's rule cites, so rules added later land in the right rows), when it applies, and what the inventory alone
 * can say about it.
 */
import type { Component, Evidence, FindingRef, Inventory, SourceFile, Stride, ThreatStatus } from './types';

export interface InventoryVerdict {
  status: ThreatStatus;
  basis: string;
  evidence?: Evidence[];
}

/** What a template sees when it decides. `component` is set for per-component rows. */
export interface TemplateContext {
  inventory: Inventory;
  component?: Component;
  /** The Python file a per-component row stands for. */
  file?: SourceFile;
  /** Lines (path:line) where datasets are loaded: hub findings there belong to the data supply chain. */
  datasetLines: Set<string>;
}

export interface ThreatTemplate {
  /** The id, or for per-component rows its prefix (`SRV-S`); the component's slug is appended. */
  id: string;
  title: string;
  category: Stride | 'ML';
  scope: 'system' | 'serving' | 'training' | 'artefacts' | 'ai-api';
  description: string;
  mitigation: string;
  ncsc: string[];
  owasp: string[];
  atlas: string[];
  cwe: string[];
  /** ATLAS mitigations the backlog points to. */
  atlasMitigations: string[];
  /** Whether a finding is evidence for this row (per-component rows also require the finding's file). */
  takes(f: FindingRef, ctx: TemplateContext): boolean;
  /** Undefined when it applies; else why not. */
  notApplicable?(ctx: TemplateContext): string | undefined;
  /** The status from the inventory when no finding speaks. */
  fromInventory?(ctx: TemplateContext): InventoryVerdict | undefined;
}

/** Findings about declared dependencies and where they come from (SAI701, SAI702): the dependency threat's evidence. */
const DEPENDENCY_CWES = ['CWE-1104', 'CWE-1357', 'CWE-427'];
const cites = (f: FindingRef, ...ids: string[]) => f.guidelines.some((g) => ids.some((id) => g === id || g.startsWith(`${id}.`)));
const at = (e: Evidence) => `${e.path}:${e.line}`;

function loadsModels(inv: Inventory): boolean {
  return inv.models.length > 0 || inv.modelFiles.length > 0;
}

function servesModels(inv: Inventory): boolean {
  return inv.files.some((f) => f.role === 'serving') || inv.endpoints.length > 0;
}

function usesLlm(inv: Inventory): boolean {
  return inv.files.some((f) => f.usesLlm) || inv.externalApis.length > 0;
}

const SAFE_FORMATS = new Set(['safetensors', 'onnx', 'torch (weights only)', 'gguf', 'tflite', 'xgboost', 'lightgbm', 'remote']);

export const ML_TEMPLATES: ThreatTemplate[] = [
  {
    id: 'ML-SUPPLY-MODEL',
    title: 'Model supply chain: a changed or malicious model is fetched',
    category: 'ML',
    scope: 'system',
    description:
      'A model pulled from a hub or a GitHub repository by name can change under the same name (a new commit, a ' +
      'compromised account, a look-alike id). Remote code (`trust_remote_code`, `torch.hub`) runs with the ' +
      'loader\'s rights.',
    mitigation: 'Pin every download to a full commit hash reviewed once; avoid remote code or vendor it; keep an AI bill of materials.',
    ncsc: ['NCSC-2.1', 'NCSC-1.4'],
    owasp: ['OWASP-ML06', 'OWASP-ML07', 'OWASP-LLM03:2025'],
    atlas: ['AML.T0010.003', 'AML.T0010.001'],
    cwe: ['CWE-494', 'CWE-829'],
    atlasMitigations: ['AML.M0014', 'AML.M0023'],
    takes: (f, ctx) =>
      cites(f, 'AML.T0010.003', 'AML.T0010.001', 'CWE-829', 'CWE-494') && !cites(f, ...DEPENDENCY_CWES) && !ctx.datasetLines.has(at(f.evidence)),
    notApplicable: ({ inventory }) =>
      inventory.models.some((m) => m.source !== 'local') ? undefined : 'no model is fetched from a hub, a registry or GitHub',
    fromInventory: ({ inventory }) => {
      const remote = inventory.models.filter((m) => m.source === 'hub' || m.source === 'torch-hub');
      const unpinned = remote.filter((m) => m.pinned !== 'yes' && m.pinned !== 'n/a');
      const remoteCode = inventory.models.filter((m) => m.trustRemoteCode);
      if (remote.length && unpinned.length === 0 && remoteCode.length === 0) {
        return { status: 'Mitigated', basis: `${remote.length === 1 ? 'the hub download is' : `all ${remote.length} hub downloads are`} pinned to a commit and none runs remote code`, evidence: remote.map((m) => m.evidence) };
      }
      if (unpinned.length || remoteCode.length) {
        return {
          status: 'Open',
          basis: [unpinned.length ? `downloads not pinned to a commit: ${unpinned.length}` : '', remoteCode.length ? `loads that run remote code: ${remoteCode.length}` : '']
            .filter(Boolean)
            .join('; '),
          evidence: [...unpinned, ...remoteCode].map((m) => m.evidence),
        };
      }
      return undefined;
    },
  },
  {
    id: 'ML-SUPPLY-DATA',
    title: 'Data supply chain: a changed dataset is fetched',
    category: 'ML',
    scope: 'system',
    description: 'A dataset fetched by name or URL can be replaced upstream; what the model learns then changes with no change here.',
    mitigation: 'Pin hub datasets to a commit, record URLs with a checksum, keep a copy of what was trained on.',
    ncsc: ['NCSC-2.1', 'NCSC-2.3'],
    owasp: ['OWASP-ML02', 'OWASP-LLM04:2025'],
    atlas: ['AML.T0010.002'],
    cwe: ['CWE-494', 'CWE-345'],
    atlasMitigations: ['AML.M0025', 'AML.M0014'],
    takes: (f, ctx) => (cites(f, 'AML.T0010') && ctx.datasetLines.has(at(f.evidence))) || cites(f, 'AML.T0010.002'),
    notApplicable: ({ inventory }) =>
      inventory.datasets.some((d) => d.source !== 'local') ? undefined : 'no dataset is fetched from a hub, a URL or a library download',
    fromInventory: ({ inventory }) => {
      const remote = inventory.datasets.filter((d) => d.source !== 'local');
      const unpinned = remote.filter((d) => d.pinned === 'no');
      if (unpinned.length) return { status: 'Open', basis: `remote datasets not pinned: ${unpinned.length}`, evidence: unpinned.map((d) => d.evidence) };
      if (remote.length && remote.every((d) => d.pinned === 'yes')) {
        return { status: 'Mitigated', basis: `${remote.length === 1 ? 'the remote dataset is' : `all ${remote.length} remote datasets are`} pinned or checksummed`, evidence: remote.map((d) => d.evidence) };
      }
      return undefined;
    },
  },
  {
    id: 'ML-POISON',
    title: 'Data poisoning: training data is tampered with',
    category: 'ML',
    scope: 'system',
    description:
      'Whoever can write to the training data (a shared bucket, a scraped source, a CSV in the repository) can plant ' +
      'behaviour in the model. Without a record of what was loaded, it cannot be audited afterwards.',
    mitigation: 'Record every data source with a hash next to the load; restrict who can write to training data; review data changes like code.',
    ncsc: ['NCSC-2.3', 'NCSC-2.2'],
    owasp: ['OWASP-ML02', 'OWASP-ML10', 'OWASP-LLM04:2025'],
    atlas: ['AML.T0020'],
    cwe: ['CWE-345', 'CWE-778'],
    atlasMitigations: ['AML.M0025'],
    takes: (f) => cites(f, 'OWASP-ML02', 'AML.T0020', 'OWASP-LLM04:2025') && !cites(f, 'AML.T0010'),
    notApplicable: ({ inventory }) =>
      inventory.datasets.length || inventory.files.some((f) => f.role === 'training') ? undefined : 'no training code and no data loading found',
    fromInventory: ({ inventory }) => {
      const unrecorded = inventory.datasets.filter((d) => d.provenance === 'no');
      if (unrecorded.length) return { status: 'Open', basis: `data loads with no recorded provenance: ${unrecorded.length}`, evidence: unrecorded.map((d) => d.evidence) };
      return undefined;
    },
  },
  {
    id: 'ML-UNSAFE-ARTEFACT',
    title: 'Unsafe artefacts: loading a model or file runs code',
    category: 'ML',
    scope: 'system',
    description:
      'Pickle-based formats (`torch.load` without `weights_only`, `joblib`, `pickle`, `numpy` with `allow_pickle`, ' +
      'unsafe YAML, Keras with safe mode off) execute code from the file when it is loaded.',
    mitigation: 'Load weights as safetensors or ONNX, `torch.load(..., weights_only=True)`; verify a hash or signature before loading anything pickled.',
    ncsc: ['NCSC-1.3', 'NCSC-2.1'],
    owasp: ['OWASP-ML06', 'OWASP-LLM03:2025'],
    atlas: ['AML.T0011.000', 'AML.T0018.002'],
    cwe: ['CWE-502'],
    atlasMitigations: ['AML.M0014', 'AML.M0013'],
    takes: (f) => cites(f, 'CWE-502', 'AML.T0011.000', 'AML.T0018.002'),
    notApplicable: ({ inventory }) => (loadsModels(inventory) ? undefined : 'no model or artefact is loaded and no model file is in the workspace'),
    fromInventory: ({ inventory }) => {
      const unsafe = inventory.models.filter((m) => !SAFE_FORMATS.has(m.format));
      const files = inventory.modelFiles.filter((m) => m.format === 'pickle' || m.format === 'torch (pickle)');
      if (inventory.models.length && unsafe.length === 0 && files.length === 0) {
        return { status: 'Mitigated', basis: `every load uses a format that cannot run code (${[...new Set(inventory.models.map((m) => m.format))].join(', ')})`, evidence: inventory.models.map((m) => m.evidence) };
      }
      if (files.length) return { status: 'Open', basis: `${files.length === 1 ? 'a pickle-based model file' : `${files.length} pickle-based model files`} in the workspace`, evidence: files.map((m) => ({ path: m.path, line: 0 })) };
      return undefined;
    },
  },
  {
    id: 'ML-SUPPLY-DEPS',
    title: 'Dependency supply chain: an ML library changes under an unpinned requirement',
    category: 'ML',
    scope: 'system',
    description: 'An unpinned `torch`, `transformers` or model SDK installs whatever version is current, including a compromised or breaking release.',
    mitigation: 'Pin ML libraries to exact versions (or a lock file with hashes) and update them deliberately; scan them for known vulnerabilities.',
    ncsc: ['NCSC-2.1', 'NCSC-2.4'],
    owasp: ['OWASP-ML06', 'OWASP-LLM03:2025'],
    atlas: ['AML.T0010.001'],
    cwe: ['CWE-1104'],
    atlasMitigations: ['AML.M0016', 'AML.M0023'],
    // A floating requirement a lock file covers (SAI701 at info) leaves the lock's verdict standing.
    takes: (f) => cites(f, ...DEPENDENCY_CWES) && f.severity !== 'info',
    notApplicable: ({ inventory }) => (inventory.files.length || inventory.dependencies.length ? undefined : 'no Python code and no dependency file'),
    fromInventory: ({ inventory }) => {
      const ml = inventory.dependencies.filter((d) => d.ml);
      const lock = inventory.workspaceFiles.find((f) => f.kind === 'lockfile');
      const unpinned = ml.filter((d) => !d.pinned);
      if (lock && ml.length) return { status: 'Mitigated', basis: `versions are locked in \`${lock.path}\``, evidence: [{ path: lock.path, line: 0 }] };
      if (unpinned.length) return { status: 'Open', basis: `${unpinned.length} of ${ml.length} ML dependencies not pinned to one version`, evidence: unpinned.map((d) => d.evidence) };
      if (ml.length) return { status: 'Mitigated', basis: `${ml.length === 1 ? 'the ML dependency is' : `all ${ml.length} ML dependencies are`} pinned`, evidence: ml.map((d) => d.evidence) };
      if (inventory.dependencies.length === 0) return { status: 'Open', basis: 'no requirements file or pyproject.toml declares the dependencies' };
      return undefined;
    },
  },
  {
    id: 'ML-TAMPER',
    title: 'Model tampering: weights are swapped between training and serving',
    category: 'ML',
    scope: 'system',
    description: 'A checkpoint written by training and read by serving can be replaced on the way (shared storage, a registry, a bucket) unless its hash or signature is checked.',
    mitigation: 'Hash or sign weights right after training and verify before loading; restrict write access to the artefact store.',
    ncsc: ['NCSC-3.2', 'NCSC-2.3'],
    owasp: ['OWASP-ML10'],
    atlas: ['AML.T0018'],
    cwe: ['CWE-353', 'CWE-345'],
    atlasMitigations: ['AML.M0013', 'AML.M0014'],
    takes: (f) => (cites(f, 'OWASP-ML10', 'CWE-353', 'AML.M0013') || f.guidelines.includes('AML.T0018')) && !cites(f, 'CWE-502'),
    notApplicable: ({ inventory }) =>
      inventory.files.some((f) => f.savesArtefacts) || inventory.modelFiles.length || inventory.models.some((m) => m.source === 'local')
        ? undefined
        : 'no weights are saved, stored in the workspace or loaded from disk',
  },
  {
    id: 'ML-EXTRACTION',
    title: 'Model extraction, inversion and membership inference through the query interface',
    category: 'ML',
    scope: 'system',
    description:
      'Anyone who can query the model at volume can copy its behaviour, reconstruct training examples or tell ' +
      'whether a record was in the training set.',
    mitigation: 'Authenticate callers, rate-limit and log queries, return labels rather than full scores where possible.',
    ncsc: ['NCSC-3.2', 'NCSC-4.2'],
    owasp: ['OWASP-ML05', 'OWASP-ML03', 'OWASP-ML04'],
    atlas: ['AML.T0024', 'AML.T0040'],
    cwe: [],
    atlasMitigations: ['AML.M0004', 'AML.M0024'],
    takes: (f) => cites(f, 'AML.T0024', 'OWASP-ML05', 'OWASP-ML03', 'OWASP-ML04'),
    notApplicable: ({ inventory }) => (servesModels(inventory) ? undefined : 'no serving code found: the model is not exposed to callers'),
  },
  {
    id: 'ML-EVASION',
    title: 'Evasion: crafted inputs change what the model decides',
    category: 'ML',
    scope: 'system',
    description: 'Inputs perturbed on purpose can flip a classifier\'s answer or slip past a filter while looking normal to people.',
    mitigation: 'Test robustness before release; monitor the distribution of inputs and outputs; do not let one prediction gate a critical action alone.',
    ncsc: ['NCSC-3.4', 'NCSC-4.1'],
    owasp: ['OWASP-ML01'],
    atlas: ['AML.T0040'],
    cwe: [],
    atlasMitigations: ['AML.M0024'],
    takes: (f) => cites(f, 'OWASP-ML01'),
    notApplicable: ({ inventory }) => (servesModels(inventory) ? undefined : 'no serving code found: no one outside can choose the inputs'),
  },
  {
    id: 'ML-PROMPT-INJECTION',
    title: 'Prompt injection: untrusted text steers the language model',
    category: 'ML',
    scope: 'system',
    description:
      'Text from users, documents or web pages that reaches a prompt can override its instructions, leak the system ' +
      'prompt or change what the application does next.',
    mitigation: 'Keep untrusted text out of system prompts, mark it as data, filter outputs, and log prompts (privacy-aware).',
    ncsc: ['NCSC-1.3', 'NCSC-4.2'],
    owasp: ['OWASP-LLM01:2025', 'OWASP-LLM07:2025'],
    atlas: ['AML.T0051'],
    cwe: ['CWE-1427'],
    atlasMitigations: ['AML.M0024'],
    takes: (f) => cites(f, 'OWASP-LLM01:2025', 'AML.T0051', 'CWE-1427'),
    notApplicable: ({ inventory }) => (usesLlm(inventory) ? undefined : 'no language model or LLM API is used'),
  },
  {
    id: 'ML-EXCESSIVE-AGENCY',
    title: 'Excessive agency: model output triggers actions',
    category: 'ML',
    scope: 'system',
    description: 'Model output passed to tools, `eval`, a shell, SQL or HTML acts with the application\'s rights on whatever the model was talked into.',
    mitigation: 'Treat model output as untrusted input: validate it, allow-list tools and arguments, require confirmation for consequential actions.',
    ncsc: ['NCSC-1.3'],
    owasp: ['OWASP-LLM06:2025', 'OWASP-LLM05:2025'],
    atlas: ['AML.T0053', 'AML.T0050'],
    cwe: ['CWE-1426', 'CWE-94', 'CWE-78'],
    atlasMitigations: [],
    takes: (f) => cites(f, 'OWASP-LLM05:2025', 'OWASP-LLM06:2025', 'AML.T0053', 'AML.T0050', 'CWE-1426'),
    notApplicable: ({ inventory }) => (usesLlm(inventory) ? undefined : 'no language model or LLM API is used'),
  },
  {
    id: 'ML-SECRETS',
    title: 'Credentials for model hubs and AI APIs leak',
    category: 'ML',
    scope: 'system',
    description: 'API keys and hub tokens written in code, logs or notebooks let others spend the budget, read private models or push to them.',
    mitigation: 'Read credentials from a secret store or the environment, never from code; scope and rotate them.',
    ncsc: ['NCSC-2.2', 'NCSC-3.1'],
    owasp: ['OWASP-LLM02:2025'],
    atlas: ['AML.T0055'],
    cwe: ['CWE-798'],
    atlasMitigations: [],
    takes: (f) => cites(f, 'CWE-798', 'AML.T0055'),
    notApplicable: ({ inventory }) =>
      inventory.secrets.length || inventory.externalApis.length || inventory.models.some((m) => m.source === 'hub') ? undefined : 'no credentials are referenced',
    fromInventory: ({ inventory }) => {
      const literal = inventory.secrets.filter((s) => s.kind === 'literal');
      if (literal.length) return { status: 'Open', basis: `${literal.length === 1 ? 'a credential is' : `${literal.length} credentials are`} written in the code (value not shown)`, evidence: literal.flatMap((s) => s.evidence) };
      if (inventory.secrets.length) {
        return {
          status: 'Open',
          basis: `credentials come from the environment (${inventory.secrets.map((s) => `\`${s.name}\``).join(', ')}): TODO say where they are stored, who can read them and how they are rotated`,
        };
      }
      return undefined;
    },
  },
];

export const SERVING_TEMPLATES: ThreatTemplate[] = [
  {
    id: 'SRV-S',
    title: 'Spoofing: unauthenticated callers use the model',
    category: 'Spoofing',
    scope: 'serving',
    description: 'Anyone who can reach the endpoint can call it as any user; a public bind or share link widens who that is.',
    mitigation: 'Require authentication on every route; bind to localhost behind a gateway; no public share links.',
    ncsc: ['NCSC-3.1', 'NCSC-3.5'],
    owasp: ['OWASP-ML05'],
    atlas: ['AML.T0040'],
    cwe: ['CWE-306'],
    atlasMitigations: ['AML.M0004'],
    takes: (f) => cites(f, 'CWE-306', 'AML.T0040', 'CWE-1327'),
    fromInventory: ({ inventory, file }) => {
      const open = inventory.binds.filter((b) => b.evidence.path === file?.path && b.public);
      if (open.length) return { status: 'Open', basis: `listens publicly (${open.map((b) => (b.share ? 'share link' : (b.host ?? 'all interfaces'))).join(', ')})`, evidence: open.map((b) => b.evidence) };
      const hint = file?.authHint;
      if (hint) return { status: 'Open', basis: `\`${hint}\` is used: confirm that every route requires it` };
      return undefined;
    },
  },
  {
    id: 'SRV-T',
    title: 'Tampering: requests or predictions are altered in transit',
    category: 'Tampering',
    scope: 'serving',
    description: 'Without TLS between callers and the app, requests and predictions can be read or changed on the way.',
    mitigation: 'Terminate TLS in front of the app; verify certificates on outgoing calls.',
    ncsc: ['NCSC-3.1'],
    owasp: [],
    atlas: [],
    cwe: ['CWE-319', 'CWE-295'],
    atlasMitigations: [],
    takes: (f) => cites(f, 'CWE-319', 'CWE-295'),
  },
  {
    id: 'SRV-R',
    title: 'Repudiation: inference requests leave no audit trail',
    category: 'Repudiation',
    scope: 'serving',
    description: 'Without a log of who asked what, abuse (extraction, probing, injection) cannot be noticed or investigated.',
    mitigation: 'Log each request with caller, time and a privacy-aware summary of input and output.',
    ncsc: ['NCSC-4.2', 'NCSC-3.3'],
    owasp: [],
    atlas: [],
    cwe: ['CWE-778'],
    atlasMitigations: ['AML.M0024'],
    takes: (f) => cites(f, 'CWE-778') && !cites(f, 'OWASP-ML02'),
    fromInventory: ({ file }) => (file && !file.logs ? { status: 'Open', basis: 'the file does not log' } : file ? { status: 'Open', basis: 'the file logs: confirm that each request is logged' } : undefined),
  },
  {
    id: 'SRV-I',
    title: 'Information disclosure: debug pages or errors reveal internals',
    category: 'Information disclosure',
    scope: 'serving',
    description: 'A debug server, stack traces or verbose errors show code, paths, configuration and sometimes secrets to callers.',
    mitigation: 'Never run with debug on outside a developer machine; return generic errors.',
    ncsc: ['NCSC-3.1', 'NCSC-3.5'],
    owasp: ['OWASP-ML05'],
    atlas: [],
    cwe: [],
    atlasMitigations: [],
    // CWE-489 (active debug code) is what a debug-server finding cites.
    takes: (f) => f.guidelines.includes('CWE-489'),
    fromInventory: ({ inventory, file }) => {
      const debug = inventory.binds.filter((b) => b.evidence.path === file?.path && b.debug);
      return debug.length ? { status: 'Open', basis: 'started with debug on', evidence: debug.map((b) => b.evidence) } : undefined;
    },
  },
  {
    id: 'SRV-D',
    title: 'Denial of service: unbounded requests exhaust the service or its API budget',
    category: 'Denial of service',
    scope: 'serving',
    description: 'Large or many requests tie up the model (and any paid API behind it) for everyone else.',
    mitigation: 'Limit request size and rate per caller; set timeouts and spending caps on model APIs.',
    ncsc: ['NCSC-3.2'],
    owasp: ['OWASP-LLM10:2025'],
    atlas: [],
    cwe: [],
    atlasMitigations: ['AML.M0004'],
    takes: (f) => cites(f, 'OWASP-LLM10:2025'),
  },
  {
    id: 'SRV-E',
    title: 'Elevation of privilege: code runs inside the service',
    category: 'Elevation of privilege',
    scope: 'serving',
    description:
      'A pickled model, an unsafe YAML or Keras file, or request data that reaches `eval` or a shell runs code with ' +
      'the service\'s rights and network access.',
    mitigation: 'Load only formats that cannot run code; never deserialise or evaluate request data; run the service with least privilege.',
    ncsc: ['NCSC-1.3'],
    owasp: [],
    atlas: ['AML.T0050'],
    cwe: ['CWE-94', 'CWE-78', 'CWE-502'],
    atlasMitigations: [],
    takes: (f) => cites(f, 'CWE-94', 'CWE-95', 'CWE-78', 'CWE-502') && !cites(f, 'AML.T0010'),
  },
];

export const TRAINING_TEMPLATES: ThreatTemplate[] = [
  {
    id: 'TRN-T',
    title: 'Tampering: the training pipeline is changed',
    category: 'Tampering',
    scope: 'training',
    description: 'Whoever can change the training code, its configuration or the data it reads decides what the model learns.',
    mitigation: 'Run training from reviewed commits in a controlled environment; restrict write access to its inputs.',
    ncsc: ['NCSC-3.1', 'NCSC-2.2'],
    owasp: ['OWASP-ML10'],
    atlas: ['AML.T0020'],
    cwe: ['CWE-345'],
    atlasMitigations: ['AML.M0025'],
    takes: () => false,
  },
  {
    id: 'TRN-R',
    title: 'Repudiation: no record of which data and model versions a run used',
    category: 'Repudiation',
    scope: 'training',
    description: 'Without a record of sources and versions per run, a poisoned or wrong model cannot be traced to its inputs.',
    mitigation: 'Log data sources, hashes, model revisions and code commit for every run (MLflow, W&B or plain logs).',
    ncsc: ['NCSC-2.3', 'NCSC-4.3'],
    owasp: ['OWASP-ML02'],
    atlas: [],
    cwe: ['CWE-778'],
    atlasMitigations: ['AML.M0025'],
    takes: (f) => cites(f, 'CWE-778', 'AML.M0025'),
  },
  {
    id: 'TRN-I',
    title: 'Information disclosure: training data, weights or tokens leave the environment',
    category: 'Information disclosure',
    scope: 'training',
    description: 'Training jobs hold the most valuable assets (data, weights, hub tokens); a compromised job or a careless upload exposes them.',
    mitigation: 'Keep training in a network-restricted environment; scope hub tokens to read; review what is pushed.',
    ncsc: ['NCSC-2.2'],
    owasp: ['OWASP-ML05'],
    atlas: ['AML.T0055'],
    cwe: ['CWE-798'],
    atlasMitigations: [],
    takes: (f) => cites(f, 'CWE-798', 'AML.T0055'),
  },
  {
    id: 'TRN-E',
    title: 'Elevation of privilege: loaded artefacts or remote code run with the job\'s rights',
    category: 'Elevation of privilege',
    scope: 'training',
    description: 'A pickled checkpoint or remote model code runs with the training job\'s credentials and data access.',
    mitigation: 'Load only safe formats or verified files; no remote code; least-privilege credentials for the job.',
    ncsc: ['NCSC-1.3', 'NCSC-2.1'],
    owasp: ['OWASP-ML06'],
    atlas: ['AML.T0011.000', 'AML.T0010.001'],
    cwe: ['CWE-502', 'CWE-94'],
    atlasMitigations: ['AML.M0014'],
    takes: (f) => cites(f, 'CWE-502', 'CWE-94', 'AML.T0011.000', 'AML.T0010.001'),
  },
];

export const ARTEFACT_TEMPLATES: ThreatTemplate[] = [
  {
    id: 'ART-I',
    title: 'Information disclosure: model files are copied (model theft)',
    category: 'Information disclosure',
    scope: 'artefacts',
    description: 'Weights are the product of the training budget; whoever can read the store can copy the model.',
    mitigation: 'Restrict read access to weights and checkpoints; keep them out of public buckets and images.',
    ncsc: ['NCSC-2.2', 'NCSC-3.1'],
    owasp: ['OWASP-ML05'],
    atlas: [],
    cwe: [],
    atlasMitigations: [],
    takes: () => false,
  },
];

export const API_TEMPLATES: ThreatTemplate[] = [
  {
    id: 'API-I',
    title: 'Information disclosure: data sent to a third-party AI API',
    category: 'Information disclosure',
    scope: 'ai-api',
    description: 'Prompts and documents sent to a hosted model leave your control: retention, training use and jurisdiction are the provider\'s.',
    mitigation: 'Decide what data may be sent (classification); strip personal data; check the provider\'s retention and training terms.',
    ncsc: ['NCSC-2.2', 'NCSC-1.4'],
    owasp: ['OWASP-LLM02:2025'],
    atlas: [],
    cwe: ['CWE-319'],
    atlasMitigations: [],
    takes: () => false,
  },
];

/** Every template, for the guideline-id test. */
export const ALL_TEMPLATES: readonly ThreatTemplate[] = [...ML_TEMPLATES, ...SERVING_TEMPLATES, ...TRAINING_TEMPLATES, ...ARTEFACT_TEMPLATES, ...API_TEMPLATES];

/** Whether a template's row depends on which file a finding is in. */
export function perComponent(t: ThreatTemplate): boolean {
  return t.scope === 'serving' || t.scope === 'training';
}
