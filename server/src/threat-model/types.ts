/**
 * The threat model as data: what `--format json` prints, what the Markdown and the Threat Dragon export are rendered
 * from. Paths are POSIX paths relative to the folder the model describes; lines are 1-based.
 */
import type { Severity } from '../engine/types';

/** Where in the workspace something was seen. */
export interface Evidence {
  path: string;
  /** 1-based; 0 stands for the whole file. */
  line: number;
}

/** Whether a download names a fixed commit: `n/a` for local files, `unknown` when the code does not say. */
export type Pinned = 'yes' | 'no' | 'n/a' | 'unknown';

export type ArtefactFormat =
  | 'pickle'
  | 'torch (pickle)'
  | 'torch (weights only)'
  | 'torchscript'
  | 'safetensors'
  | 'safetensors or pickle'
  | 'keras'
  | 'hdf5'
  | 'onnx'
  | 'tensorflow'
  | 'tflite'
  | 'gguf'
  | 'numpy'
  | 'xgboost'
  | 'lightgbm'
  | 'mlflow'
  | 'remote'
  | 'unknown';

/** Which part of the system a Python file belongs to, from what it does and what it is called. */
export type FileRole = 'serving' | 'training' | 'other';

export interface ModelUse {
  /** The hub id, local path or `torch.hub` repository; the expression's code when the engine cannot see its value. */
  name: string;
  /** `name` is an expression from the code (`config["path"]`), not a value. */
  computed?: boolean;
  source: 'hub' | 'local' | 'torch-hub' | 'registry' | 'remote-api' | 'unknown';
  /** The call as written in messages: `AutoModel.from_pretrained`, `torch.load`. */
  loader: string;
  revision?: string;
  pinned: Pinned;
  trustRemoteCode: boolean;
  format: ArtefactFormat;
  evidence: Evidence;
}

export interface DatasetUse {
  name: string;
  computed?: boolean;
  source: 'hub' | 'local' | 'url' | 'library' | 'unknown';
  loader: string;
  revision?: string;
  pinned: Pinned;
  /** `no` when SAI301 flags the load, `accepted` when that finding is suppressed with a reason. */
  provenance: 'recorded' | 'no' | 'accepted' | 'unknown';
  evidence: Evidence;
}

export interface ModelFile {
  path: string;
  format: ArtefactFormat;
  bytes: number;
  /** Matched by a .gitignore: present here, but not versioned with the code. */
  gitignored: boolean;
}

export interface Endpoint {
  framework: 'flask' | 'fastapi' | 'gradio' | 'streamlit' | 'starlette' | 'aiohttp' | 'django' | 'other';
  /** `POST /predict`, `gradio app`, `streamlit app`. */
  name: string;
  methods: string[];
  route?: string;
  evidence: Evidence;
}

export interface Bind {
  framework: Endpoint['framework'] | 'uvicorn' | 'gunicorn';
  /** The host as written; undefined when the code leaves the framework's default. */
  host?: string;
  port?: number;
  /** `0.0.0.0`, `::` or a public share link. */
  public: boolean;
  share?: boolean;
  debug?: boolean;
  evidence: Evidence;
}

export interface ExternalApi {
  provider: string;
  /** The client or call that reaches it: `openai.OpenAI`, `requests.post https://api.openai.com/...`. */
  via: string;
  evidence: Evidence;
}

export interface SecretRef {
  /** An environment variable's name, or the keyword a literal was passed as (`api_key`). Never a value. */
  name: string;
  kind: 'env' | 'implicit' | 'literal';
  evidence: Evidence[];
}

export interface Dependency {
  name: string;
  /** The version specifier as written (`==2.3.1`, `>=4.40`), empty when there is none. */
  spec: string;
  pinned: boolean;
  ml: boolean;
  evidence: Evidence;
}

export interface WorkspaceFile {
  path: string;
  kind: 'model-card' | 'security-policy' | 'ci-workflow' | 'env-file' | 'dvc' | 'lockfile';
  /** CI workflows: whether they mention `secure-ai`. */
  runsSecureAi?: boolean;
  gitignored?: boolean;
}

export interface SourceFile {
  path: string;
  role: FileRole;
  /** What the role was decided by, for the reader: `defines routes`, `calls .fit()`, `named train*.py`. */
  why: string;
  logs: boolean;
  savesArtefacts: boolean;
  usesLlm: boolean;
  monitoring: string[];
  /** Serving files: an authentication helper the file mentions (`HTTPBearer`, `login_required`). */
  authHint?: string;
  /** Unsuppressed findings in the file (set when the model is built). */
  findings?: number;
}

export interface Inventory {
  files: SourceFile[];
  models: ModelUse[];
  datasets: DatasetUse[];
  modelFiles: ModelFile[];
  endpoints: Endpoint[];
  binds: Bind[];
  externalApis: ExternalApi[];
  secrets: SecretRef[];
  dependencies: Dependency[];
  workspaceFiles: WorkspaceFile[];
}

/** A finding as the threat model cites it. */
export interface FindingRef {
  ruleId: string;
  severity: Severity;
  message: string;
  evidence: Evidence;
  guidelines: string[];
  /** The title of the finding's fix, when it has one (`Add \`weights_only=True\``). */
  fix?: string;
  /** Set for a finding silenced by `# secure-ai: ignore[...]`. */
  suppressed?: { reason?: string };
}

export type ThreatStatus = 'Open' | 'Mitigated' | 'Accepted' | 'Not applicable';
export const THREAT_STATUSES: readonly ThreatStatus[] = ['Open', 'Mitigated', 'Accepted', 'Not applicable'];

export type Stride = 'Spoofing' | 'Tampering' | 'Repudiation' | 'Information disclosure' | 'Denial of service' | 'Elevation of privilege';

export type BoundaryId = 'internet' | 'serving' | 'training' | 'hub' | 'ai-apis';

export interface Boundary {
  id: BoundaryId;
  title: string;
}

export interface Component {
  /** Stable: derived from the role and the file or provider it stands for. */
  id: string;
  name: string;
  kind: 'actor' | 'process' | 'store';
  boundary: BoundaryId;
  description: string;
  evidence: Evidence[];
}

export interface Flow {
  id: string;
  from: string;
  to: string;
  label: string;
  /** Crosses a network that is not ours. */
  publicNetwork: boolean;
}

export interface Threat {
  /** Stable across regenerations; a human's status and notes are kept by it. */
  id: string;
  title: string;
  /** A STRIDE category, or `ML` for the machine-learning threats. */
  category: Stride | 'ML';
  /** The component's name, or `System` for the machine-learning threats. */
  component: string;
  /** The component's id, for per-component threats. */
  componentId?: string;
  description: string;
  status: ThreatStatus;
  /** Why the status is what it is, in a sentence. */
  basis: string;
  findings: FindingRef[];
  /** Inventory items that bear on it. */
  evidence: Evidence[];
  mitigation: string;
  ncsc: string[];
  owasp: string[];
  atlas: string[];
  cwe: string[];
  /** Kept from the existing file on regeneration. */
  notes?: string;
  /** The status the generator derived, when a human's status was kept instead. */
  generatedStatus?: ThreatStatus;
}

export type CoverageStatus = 'Gaps found' | 'Some evidence' | 'Unknown' | 'This document';

export interface CoverageItem {
  id: string;
  title: string;
  section: string;
  status: CoverageStatus;
  shows: string[];
  findings: FindingRef[];
  todo: string;
}

export interface BacklogItem {
  ruleId?: string;
  title: string;
  severity: Severity;
  count: number;
  evidence: Evidence[];
  action: string;
  docsUrl?: string;
  atlasMitigations: string[];
  threatIds: string[];
}

export interface Question {
  text: string;
  evidence?: Evidence;
}

export interface ProjectInfo {
  name: string;
  generatedAt: string;
  generator: { name: string; version: string };
  git?: { commit: string; branch?: string };
}

export interface ThreatModel {
  format: 'secure-ai-threat-model';
  formatVersion: 1;
  project: ProjectInfo;
  inventory: Inventory;
  boundaries: Boundary[];
  components: Component[];
  flows: Flow[];
  threats: Threat[];
  coverage: CoverageItem[];
  backlog: BacklogItem[];
  questions: Question[];
  findings: { total: number; open: number; suppressed: number; notAnalysed: number };
}
