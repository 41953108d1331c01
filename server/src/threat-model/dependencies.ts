/**
 * Declared Python dependencies, read from requirements*.txt and pyproject.toml files (never by running pip or
 * Python): which ML libraries the project uses and whether each is pinned to one exact version.
 *
 * A requirement line is read as PEP 508 says, as far as pinning needs: a name, optional extras, a version specifier
 * or a direct URL, optional markers. `==1.2.3` and `===1.2.3` pin; `==1.*`, ranges and no specifier do not. A
 * direct reference pins when it names a full commit hash or carries a hash fragment.
 */
import type { Dependency } from './types';

// smol-toml's "require" export is a CommonJS build, but its types are written as an ES module, which TypeScript's
// node16 resolution will not let a CommonJS file import; the one function used is typed here instead.
const { parse: parseToml } = require('smol-toml') as { parse(text: string): unknown };

/** Libraries that load models or data, train, or call model APIs (normalised names). */
const ML_PACKAGES = new Set([
  'torch', 'torchvision', 'torchaudio', 'torchtext', 'pytorch-lightning', 'lightning', 'tensorflow', 'tensorflow-cpu',
  'tensorflow-gpu', 'tf-keras', 'keras', 'jax', 'jaxlib', 'flax', 'transformers', 'datasets', 'tokenizers',
  'huggingface-hub', 'accelerate', 'peft', 'trl', 'diffusers', 'sentence-transformers', 'timm', 'safetensors',
  'scikit-learn', 'sklearn', 'xgboost', 'lightgbm', 'catboost', 'onnx', 'onnxruntime', 'onnxruntime-gpu',
  'openai', 'anthropic', 'cohere', 'mistralai', 'groq', 'together', 'replicate', 'litellm', 'google-generativeai',
  'google-genai', 'langchain', 'langchain-core', 'langchain-community', 'langchain-openai', 'langchain-anthropic',
  'llama-index', 'llama-cpp-python', 'vllm', 'mlflow', 'wandb', 'gradio', 'streamlit', 'bentoml', 'ray', 'joblib',
  'numpy', 'pandas', 'dill', 'cloudpickle', 'skops', 'ultralytics', 'spacy', 'nltk', 'tensorflow-datasets',
  'bitsandbytes', 'deepspeed', 'optimum',
]);

export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function isMlPackage(name: string): boolean {
  const n = normaliseName(name);
  return ML_PACKAGES.has(n) || n.startsWith('langchain-') || n.startsWith('llama-index-') || n.startsWith('tensorflow-');
}

export interface Requirement {
  name: string;
  spec: string;
  pinned: boolean;
}

const NAME = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*/;
const FULL_SHA = /@[0-9a-f]{40}\b/i;

/** One PEP 508 requirement string; undefined when it is not one. */
export function parseRequirement(text: string): Requirement | undefined {
  const withoutMarkers = text.split(';')[0].trim();
  const m = NAME.exec(withoutMarkers);
  if (!m) return undefined;
  const rest = withoutMarkers.slice(m[0].length).trim();
  if (rest.startsWith('@')) {
    const url = rest.slice(1).trim();
    return { name: m[1], spec: `@ ${url}`, pinned: FULL_SHA.test(url) || /#(?:sha256|sha384|sha512|md5)=/.test(url) };
  }
  const spec = rest.replace(/^\(|\)$/g, '').replace(/\s+/g, '');
  if (spec !== '' && !/^(?:[<>=!~]=?|===)/.test(spec)) return undefined;
  const clauses = spec === '' ? [] : spec.split(',');
  const pinned = clauses.some((c) => /^===?[^*,]+$/.test(c) && !c.includes('*'));
  return { name: m[1], spec, pinned };
}

export interface DeclaredDependency extends Requirement {
  line: number;
}

/**
 * A requirements file: one requirement a line, `#` comments, `\` continuations, pip options. `--hash` makes a line
 * pinned and checked; `-e`/VCS lines pin when they name a commit.
 */
export function parseRequirementsTxt(text: string): DeclaredDependency[] {
  const out: DeclaredDependency[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let l = lines[i];
    while (l.endsWith('\\') && i + 1 < lines.length) l = l.slice(0, -1) + ' ' + lines[++i];
    l = l.replace(/(^|\s)#.*$/, '').trim();
    if (!l) continue;
    const hashed = /(?:^|\s)--hash[=\s]/.test(l);
    if (l.startsWith('-e ') || l.startsWith('--editable')) {
      const target = l.replace(/^(?:-e|--editable)[=\s]+/, '').trim();
      const egg = /[#&]egg=([\w.-]+)/.exec(target);
      if (egg) out.push({ name: egg[1], spec: target, pinned: FULL_SHA.test(target.split('#')[0]), line: startLine });
      continue;
    }
    if (l.startsWith('-')) continue; // -r, -c, --index-url, ...
    const req = parseRequirement(l.replace(/\s--hash[=\s]\S+/g, '').replace(/\s--\S+/g, ''));
    if (!req) continue;
    out.push({ ...req, pinned: req.pinned || (hashed && req.spec.startsWith('==')), line: startLine });
  }
  return out;
}

function lineOf(text: string, needle: string, from = 0): number {
  const at = text.indexOf(needle, from);
  return at === -1 ? 1 : text.slice(0, at).split('\n').length;
}

type Toml = Record<string, unknown>;
const isTable = (v: unknown): v is Toml => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** Poetry's version syntax: a bare `1.2.3` or `==1.2.3` is exact; `^`, `~`, `*` and ranges are not. */
function poetryPinned(v: unknown): { spec: string; pinned: boolean } {
  if (typeof v === 'string') return { spec: v, pinned: /^(?:==)?\s*\d+(?:\.\d+)*(?:[a-z]+\d*)?$/i.test(v.trim()) };
  if (isTable(v)) {
    if (typeof v.rev === 'string') return { spec: `rev ${v.rev}`, pinned: /^[0-9a-f]{40}$/i.test(v.rev) };
    if (typeof v.version === 'string') return poetryPinned(v.version);
    if (typeof v.path === 'string') return { spec: `path ${v.path}`, pinned: true };
    if (typeof v.git === 'string') return { spec: `git ${v.git}`, pinned: false };
  }
  return { spec: '', pinned: false };
}

export interface PyProject {
  name?: string;
  dependencies: DeclaredDependency[];
}

/** `[project]` (PEP 621) dependencies and optional dependencies, `[dependency-groups]`, and Poetry's tables. */
export function parsePyproject(text: string): PyProject {
  let doc: Toml;
  try {
    doc = parseToml(text) as Toml;
  } catch {
    return { dependencies: [] };
  }
  const out: DeclaredDependency[] = [];
  const fromList = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const item of list) {
      if (typeof item !== 'string') continue;
      const req = parseRequirement(item);
      if (req) out.push({ ...req, line: lineOf(text, item) });
    }
  };
  const project = isTable(doc.project) ? doc.project : undefined;
  if (project) {
    fromList(project.dependencies);
    if (isTable(project['optional-dependencies'])) for (const list of Object.values(project['optional-dependencies'])) fromList(list);
  }
  if (isTable(doc['dependency-groups'])) for (const list of Object.values(doc['dependency-groups'])) fromList(list);
  const tool = isTable(doc.tool) ? doc.tool : undefined;
  const poetry = tool && isTable(tool.poetry) ? tool.poetry : undefined;
  const fromPoetry = (table: unknown) => {
    if (!isTable(table)) return;
    for (const [name, v] of Object.entries(table)) {
      if (name.toLowerCase() === 'python') continue;
      const { spec, pinned } = poetryPinned(v);
      const m = new RegExp(`^\\s*["']?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*=`, 'm').exec(text);
      out.push({ name, spec, pinned, line: m ? text.slice(0, m.index).split('\n').length : 1 });
    }
  };
  if (poetry) {
    fromPoetry(poetry.dependencies);
    fromPoetry(poetry['dev-dependencies']);
    if (isTable(poetry.group)) for (const g of Object.values(poetry.group)) if (isTable(g)) fromPoetry(g.dependencies);
  }
  const name = typeof project?.name === 'string' ? project.name : typeof poetry?.name === 'string' ? poetry.name : undefined;
  return { name, dependencies: out };
}

/** Declared dependencies as inventory rows. */
export function toDependencies(path: string, declared: DeclaredDependency[]): Dependency[] {
  return declared.map((d) => ({ name: d.name, spec: d.spec, pinned: d.pinned, ml: isMlPackage(d.name), evidence: { path, line: d.line } }));
}

/** File names that declare dependencies. */
export function isRequirementsFile(base: string): boolean {
  return /^requirements[\w.-]*\.(?:txt|in)$/i.test(base) || /^constraints[\w.-]*\.txt$/i.test(base);
}

/** Lock files that pin every dependency (a declared range is then resolved to one version per install). */
export const LOCK_FILES = new Set(['poetry.lock', 'uv.lock', 'Pipfile.lock', 'pdm.lock', 'conda-lock.yml', 'pixi.lock']);
