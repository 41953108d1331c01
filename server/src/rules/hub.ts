/**
 * Shared by the supply-chain rules (SAI101, SAI102, SAI103): which calls download from the Hugging Face Hub, what
 * they download (a repo id, a local path, something the engine cannot see), and whether a revision is pinned to a
 * full commit hash.
 */
import type { Node } from '../engine/parser';
import type { CallSite, Value } from '../engine/semantic';

/** A full git commit hash: the only revision that cannot be moved after the fact. */
const FULL_SHA = /^[0-9a-f]{40}$/i;
/** An abbreviated hash: resolvable, but a branch or tag of the same name can shadow it. */
const SHORT_SHA = /^[0-9a-f]{7,39}$/i;

export function isFullSha(s: string): boolean {
  return FULL_SHA.test(s);
}

export type Pin =
  /** A full 40-hex commit hash. */
  | { kind: 'pinned' }
  /** No revision, `None` or `""`: the repository's default branch. */
  | { kind: 'absent' }
  /** A branch, a tag or an abbreviated hash (`ref` ends with `…` when only its prefix is known). */
  | { kind: 'movable'; ref: string; abbreviated: boolean }
  /** A value the engine cannot resolve (a parameter, a config field): the caller's decision, not ours. */
  | { kind: 'unknown' };

/** Whether a revision value pins a commit. */
export function pinOf(v: Value | undefined): Pin {
  if (!v || v.kind === 'none') return { kind: 'absent' };
  if (v.kind !== 'str') return { kind: 'unknown' };
  if (v.complete) {
    if (v.value === '') return { kind: 'absent' };
    if (FULL_SHA.test(v.value)) return { kind: 'pinned' };
    return { kind: 'movable', ref: v.value, abbreviated: SHORT_SHA.test(v.value) };
  }
  // An f-string: a known prefix that is not hex cannot be the start of a commit hash (`f"v{VERSION}"`).
  if (/[^0-9a-f]/i.test(v.value) || v.value.length > 40) return { kind: 'movable', ref: `${v.value}…`, abbreviated: false };
  return { kind: 'unknown' };
}

/** The first of `names` given as a keyword, its node and its pin; `absent` (no node) when none is given. */
export function revisionOf(call: CallSite, names: readonly string[] = ['revision', 'commit_id']): { pin: Pin; node?: Node; name?: string } {
  for (const name of names) {
    const node = call.keywords.get(name);
    if (node) return { pin: pinOf(call.model.evaluate(node, call.scope)), node, name };
  }
  return { pin: { kind: 'absent' } };
}

// ------------------------------------------------------------------ what a call downloads

export type Source =
  /** A literal repo id (`gpt2`, `org/name`). */
  | { kind: 'hub'; id: string }
  /** An f-string or concatenation whose known prefix could start a repo id (`f"org/{name}"`). */
  | { kind: 'partial'; prefix: string }
  /** A path on disk: `./x`, `/x`, `~/x`, `C:\x`, `pathlib.Path(...)`, `os.path.join(...)`, or a string no repo id can be. */
  | { kind: 'local' }
  /** A name the engine cannot follow: a parameter, a config field, an environment variable. */
  | { kind: 'unknown' }
  /** Not given at all, or not a string (`None`, an object already loaded). */
  | { kind: 'none' };

const LOCAL_PREFIX = /^(?:\.{1,2}(?:[\\/]|$)|[\\/~]|[A-Za-z]:[\\/]|file:)/;
/** Repo ids: `name` or `namespace/name`, letters, digits, `-`, `_`, `.`; no leading `.` and no `..`. */
const REPO_ID = /^(?!\.)(?!.*\.\.)[\w.-]+(?:\/(?!\.)[\w.-]+)?$/;
/** The start of a repo id: the same characters and at most one `/`. */
const REPO_ID_PREFIX = /^(?!\.)[\w.-]*(?:\/[\w.-]*)?$/;
/** Calls whose result is a filesystem path. */
const PATH_CALLS = /^(?:pathlib\.|os\.path\.|os\.getcwd\b|os\.fspath\b|tempfile\.)/;

export function sourceOf(v: Value | undefined): Source {
  if (!v) return { kind: 'none' };
  switch (v.kind) {
    case 'str':
      if (LOCAL_PREFIX.test(v.value)) return { kind: 'local' };
      if (v.complete) return REPO_ID.test(v.value) ? { kind: 'hub', id: v.value } : { kind: 'local' };
      if (!REPO_ID_PREFIX.test(v.value)) return { kind: 'local' };
      return v.value === '' ? { kind: 'unknown' } : { kind: 'partial', prefix: v.value };
    case 'ref':
      return PATH_CALLS.test(v.qname) ? { kind: 'local' } : { kind: 'unknown' };
    case 'local':
    case 'unknown':
      return { kind: 'unknown' };
    default:
      return { kind: 'none' };
  }
}

/**
 * `call.model.evaluate`, plus the path spellings it does not follow: `Path(...) / "x"` (and `/` onto any path) and
 * `str(path)` / `os.fspath(path)`.
 */
function evaluateId(node: Node, call: CallSite): Value {
  if (node.type === 'binary_operator' && node.childForFieldName('operator')?.text === '/') {
    const left = node.childForFieldName('left');
    const lv = left ? evaluateId(left, call) : undefined;
    return lv && sourceOf(lv).kind === 'local' ? lv : { kind: 'unknown' };
  }
  if (node.type === 'call') {
    const fn = node.childForFieldName('function');
    const args = node.childForFieldName('arguments')?.namedChildren.filter((a) => a && a.type !== 'comment') ?? [];
    const callee = fn ? call.model.evaluate(fn, call.scope) : undefined;
    if (callee?.kind === 'ref' && (callee.qname === 'str' || callee.qname === 'os.fspath') && args.length === 1 && args[0]) {
      return evaluateId(args[0], call);
    }
  }
  return call.model.evaluate(node, call.scope);
}

/** A repo id as a message shows it: `` `org/name` ``, `` `org/…` ``, or `fallback` when it is not known. */
export function describeSource(s: Source, fallback: string): string {
  if (s.kind === 'hub') return `\`${s.id}\``;
  if (s.kind === 'partial') return `\`${s.prefix}…\``;
  return fallback;
}

export type HubKind = 'from_pretrained' | 'pipeline' | 'hf_hub' | 'dataset' | 'sentence_transformers' | 'timm';

export interface HubCall {
  kind: HubKind;
  /** The callee as a message names it: `AutoModel.from_pretrained`, `pipeline`, `hf_hub_download`. */
  label: string;
  /** The argument that names what is downloaded, when given. */
  idNode?: Node;
  source: Source;
  /** A revision carried inside the id itself (timm's `hf-hub:org/name@<sha>`); undefined when the id has none. */
  embeddedPin?: Pin;
}

/** The names of the calls `hubCall` recognises, for `ctx.callsNamed`. */
export const HUB_CALL_NAMES = [
  'from_pretrained',
  'pipeline',
  'hf_hub_download',
  'snapshot_download',
  'load_dataset',
  'SentenceTransformer',
  'CrossEncoder',
  'create_model',
] as const;

const PRETRAINED_LIBRARIES = new Set(['transformers', 'diffusers', 'peft', 'sentence_transformers', 'optimum']);

/** Every root module `hubCall` recognises: one of them is imported (so written) in any file it can match. */
export const HUB_LIBRARIES = [...PRETRAINED_LIBRARIES, 'huggingface_hub', 'datasets', 'timm'];

/** `load_dataset` builders that read local or URL data files rather than a Hub dataset repository. */
export const DATASET_BUILDERS = new Set([
  'csv',
  'json',
  'parquet',
  'text',
  'imagefolder',
  'audiofolder',
  'videofolder',
  'arrow',
  'pandas',
  'webdataset',
  'sql',
  'generator',
  'xml',
  'spark',
  'cache',
]);

function segments(qname: string): string[] {
  return qname.split('.');
}

/**
 * Recognise a call that downloads from the Hugging Face Hub by its qualified name. Undefined for any other call
 * (including a method on an already-loaded object, a local function of the same name, a shadowed import).
 */
export function hubCall(call: CallSite): HubCall | undefined {
  const q = call.qname;
  if (!q) return undefined;
  const parts = segments(q);
  const root = parts[0];
  const last = parts[parts.length - 1];
  const at = (name: string, position?: number) => {
    const node = call.arg(name, position);
    return { idNode: node, source: sourceOf(node ? evaluateId(node, call) : undefined) };
  };
  const atAny = (names: string[], position: number) => {
    for (const n of names) if (call.keywords.has(n)) return at(n);
    return at(names[0], position);
  };

  if (last === 'from_pretrained' && PRETRAINED_LIBRARIES.has(root) && parts.length >= 3 && !q.includes('()')) {
    const cls = parts[parts.length - 2];
    const label = `${cls}.from_pretrained`;
    // peft's `PeftModel.from_pretrained(base_model, model_id)` takes the adapter id second.
    if (root === 'peft' && /^Peft(?:Mixed)?Model/.test(cls)) return { kind: 'from_pretrained', label, ...at('model_id', 1) };
    return { kind: 'from_pretrained', label, ...at('pretrained_model_name_or_path', 0) };
  }
  if (q === 'transformers.pipeline' || q === 'transformers.pipelines.pipeline') {
    return { kind: 'pipeline', label: 'pipeline', ...at('model', 1) };
  }
  if (root === 'huggingface_hub' && (last === 'hf_hub_download' || last === 'snapshot_download')) {
    return { kind: 'hf_hub', label: last, ...at('repo_id', 0) };
  }
  if (q === 'datasets.load_dataset' || q === 'datasets.load.load_dataset') {
    return { kind: 'dataset', label: 'load_dataset', ...at('path', 0) };
  }
  if (root === 'sentence_transformers' && (last === 'SentenceTransformer' || last === 'CrossEncoder')) {
    return { kind: 'sentence_transformers', label: last, ...atAny(['model_name_or_path', 'model_name'], 0) };
  }
  if (q === 'timm.create_model' || q === 'timm.models.create_model') {
    const idNode = call.arg('model_name', 0);
    const v = idNode ? call.model.evaluate(idNode, call.scope) : undefined;
    return { kind: 'timm', label: 'timm.create_model', idNode, ...timmSource(v) };
  }
  return undefined;
}

/**
 * timm fetches from the Hub only for names spelled `hf-hub:org/name` (or `hf_hub:`), optionally `@revision`; any
 * other name is one of timm's own architectures and is `none` here.
 */
function timmSource(v: Value | undefined): { source: Source; embeddedPin?: Pin } {
  if (v?.kind !== 'str') return { source: { kind: 'none' } };
  const m = /^hf[-_]hub:/.exec(v.value);
  if (!m) return { source: { kind: 'none' } };
  const rest = v.value.slice(m[0].length);
  const at = rest.indexOf('@');
  const id = at === -1 ? rest : rest.slice(0, at);
  const idComplete = v.complete || at !== -1;
  const source = sourceOf({ kind: 'str', value: id, complete: idComplete });
  const embeddedPin = at === -1 ? undefined : pinOf({ kind: 'str', value: rest.slice(at + 1), complete: v.complete });
  return { source: source.kind === 'local' ? { kind: 'none' } : source, embeddedPin };
}

/** `local_files_only=True` (or a value the engine cannot resolve: the caller's decision) means nothing is fetched. */
export function offlineOnly(call: CallSite): boolean {
  const v = call.value('local_files_only');
  if (!v) return false;
  return !(v.kind === 'bool' && !v.value) && v.kind !== 'none';
}
