/**
 * Provenance records: does some statement near a data load write down where the data came from?
 *
 * A *source* is the expression a loader reads from (a path, a URL, a dataset id). Its *keys* are what a record can
 * mention: the names it is built from (`args.data_path`, `DATA_DIR`), the string and number constants in it or bound
 * to those names, followed through simple assignments and `with open(...) as f` a few steps back.
 *
 * A *record* is a call (or a `wandb.config` assignment) that writes something down: a logging call, an MLflow or
 * Weights & Biases tracking call, a content digest. It *mentions* a source when its arguments hold one of the
 * source's keys:
 * - the same name, or a name one is an attribute path of the other (`cfg` records `cfg.data.path`);
 * - the same string, or a string that contains a distinctive source string as a whole word (`"loaded data/x.csv"`);
 * - the same number.
 * Strings inside f-strings, `%` formatting, `.format()`, concatenation and dict or list displays all count, as do
 * names whose constant value is one of those strings.
 *
 * Pure helpers over the semantic model: no rule state, no reporting.
 */
import type { Node } from '../engine/parser';
import { bindingsBefore, type Binding, type CallSite, type FoundBindings, type Scope, type SemanticModel } from '../engine/semantic';


/** What a source can be recognised by. */
export interface Keys {
  /** Dotted name paths: `['args', 'data_path']`; a subscript with a constant index is a segment `[key]`. */
  chains: string[][];
  strings: Set<string>;
  nums: Set<number>;
}

export interface SourceInfo {
  keys: Keys;
  /** The source is built from a parameter of the enclosing function: the caller may record it. */
  fromParameter: boolean;
  /** A pin or record found where the source was derived (`dvc.api.open(..., rev=...)`, `run.use_artifact(...)`). */
  derivedFrom?: string;
}

/** The ways a record can look at data: by what it names, or by its content (a digest of the loaded data). */
export type RecordMode = 'names' | 'content';

export interface RecordSite {
  /** The expressions whose mentions count. */
  regions: Node[];
  mode: RecordMode;
  scope: Scope;
}

/** Which calls are the loads themselves: a log line about `len(pd.read_csv(p))` records nothing. */
export type IsLoad = (call: CallSite) => boolean;

const MAX_DEPTH = 4;
const FULL_SHA = /^[0-9a-f]{40}$/i;

/** Words too common in log lines and paths to identify a source on their own. */
const GENERIC = new Set([
  'data', 'dataset', 'datasets', 'train', 'training', 'test', 'valid', 'validation', 'val', 'eval', 'dev', 'split',
  'model', 'main', 'default', 'csv', 'json', 'jsonl', 'parquet', 'feather', 'text', 'txt', 'utf-8', 'utf8', 'rb', 'wb',
  'loading', 'loaded', 'load', 'path', 'file', 'files', 'none', 'true', 'false',
]);

export function isFullSha(s: string): boolean {
  return FULL_SHA.test(s);
}

function usableString(s: string): boolean {
  const t = s.trim();
  return t.length >= 2 && /[A-Za-z0-9]/.test(t) && !GENERIC.has(t.toLowerCase());
}

/** Long enough to be found inside a longer string (a log message) without matching by accident. */
function distinctive(s: string): boolean {
  return s.trim().length >= 4 && usableString(s);
}

function emptyKeys(): Keys {
  return { chains: [], strings: new Set(), nums: new Set() };
}

// ------------------------------------------------------------------ model helpers

const callIndex = new WeakMap<SemanticModel, Map<number, CallSite>>();

/** The call site recorded for a `call` node. */
export function callAt(model: SemanticModel, node: Node): CallSite | undefined {
  let map = callIndex.get(model);
  if (!map) {
    map = new Map(model.calls.map((c) => [c.node.id, c]));
    callIndex.set(model, map);
  }
  return map.get(node.id);
}

/** `a.b["c"].d` as segments, or undefined when the expression is not a plain name path. */
export function chainOf(node: Node): string[] | undefined {
  switch (node.type) {
    case 'identifier':
      return [node.text];
    case 'attribute': {
      const obj = node.childForFieldName('object');
      const attr = node.childForFieldName('attribute');
      const base = obj && chainOf(obj);
      if (!base || !attr) return undefined;
      // `args.__dict__` is `args` itself.
      return attr.text === '__dict__' ? base : [...base, attr.text];
    }
    case 'subscript': {
      const value = node.childForFieldName('value');
      const index = node.childForFieldName('subscript');
      const base = value && chainOf(value);
      if (!base || !index) return undefined;
      if (index.type !== 'string' && index.type !== 'integer') return undefined;
      return [...base, `[${index.text.replace(/^[a-zA-Z]*["']+|["']+$/g, '')}]`];
    }
    default:
      return undefined;
  }
}

/** An expression bound to a name: an assignment's value or a `with ... as name` context expression. */
interface Bound {
  value?: Node;
  scope: Scope;
  at: number;
  parameter: boolean;
}

/**
 * The bindings a name may have at `at` are the last one before `at` in its own scope, else all of them. This is the
 * last one, found by a binary search; undefined when all of them count.
 */
function lastBefore(found: FoundBindings, at: number): Bound | undefined {
  if (!found.own) return undefined;
  const before = bindingsBefore(found.bindings, at);
  return before ? boundOf(found.bindings[before - 1], found.scope) : undefined;
}

const hasParameter = new WeakMap<Binding[], boolean>();

/** Whether a binding the name may have at `at` is a parameter (for all of them, worked out once per list). */
function bindsParameter(model: SemanticModel, name: string, scope: Scope, at: number): boolean {
  const found = model.bindingsOf(name, scope);
  if (!found) return false;
  const last = lastBefore(found, at);
  if (last) return last.parameter;
  let any = hasParameter.get(found.bindings);
  if (any === undefined) hasParameter.set(found.bindings, (any = found.bindings.some((b) => b.kind === 'local' && !!b.param)));
  return any;
}

function boundOf(b: Binding, scope: Scope): Bound {
  if (b.kind === 'assign') return { value: b.value, scope: b.scope, at: b.index, parameter: false };
  if (b.kind === 'import') return { scope, at: b.index, parameter: false };
  // `with open(p) as f`: the context expression; `for` targets and `except E as e` bind nothing we follow.
  return { value: b.via === 'with' ? b.origin : undefined, scope, at: b.index, parameter: !!b.param };
}

// ------------------------------------------------------------------ following every binding of a name, once

/**
 * A use that sees every binding of a name (from an inner scope, or before the first binding) follows all of them, the
 * same walk for every such use: done for each use, it makes a file that binds a name n times and uses it n times
 * quadratic. So the walk over one list of bindings at one depth is done once, into empty keys with its own `seen` set,
 * and its keys are added to each use's. That is exactly what walking again would give as long as the walk met no name
 * the use's walk has already seen (`touched` and `seen` are disjoint): it then never skips a name the cached walk
 * followed, nor follows one it skipped. Otherwise the use walks the bindings itself, as before.
 */
interface Expansion<K> {
  keys: K;
  touched: string[];
}

const expansions = new WeakMap<Binding[], Map<string, Expansion<unknown>>>();

function expandAll<K extends { keys: Keys }>(
  list: Binding[],
  key: string,
  seen: Set<string>,
  into: K,
  fresh: () => K,
  walk: (keys: K, seen: Set<string>) => void,
  merge: (from: K, into: K) => void,
): void {
  let byKey = expansions.get(list);
  if (!byKey) expansions.set(list, (byKey = new Map()));
  let e = byKey.get(key) as Expansion<K> | undefined;
  if (!e) {
    const own = new Set<string>();
    const keys = fresh();
    walk(keys, own);
    // Repeats of a chain match nothing more: n bindings of `p = args.path` are added to a use as one.
    keys.keys.chains = distinctChains(keys.keys.chains);
    e = { keys, touched: [...own] };
    byKey.set(key, e);
  }
  if (e.touched.some((k) => seen.has(k))) {
    walk(into, seen);
    return;
  }
  for (const k of e.touched) seen.add(k);
  merge(e.keys, into);
}

/** The chains without repeats, in the order of their first occurrence. */
function distinctChains(chains: string[][]): string[][] {
  const seen = new Set<string>();
  return chains.filter((c) => {
    const k = JSON.stringify(c);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function mergeKeys(from: Keys, into: Keys): void {
  for (const c of from.chains) into.chains.push(c);
  for (const s of from.strings) into.strings.add(s);
  for (const n of from.nums) into.nums.add(n);
}

/** A number for each `IsLoad` function, for the keys of `expansions`. */
const isLoadIds = new WeakMap<IsLoad, number>();
let nextIsLoadId = 0;
function isLoadId(isLoad: IsLoad): number {
  let id = isLoadIds.get(isLoad);
  if (id === undefined) isLoadIds.set(isLoad, (id = nextIsLoadId++));
  return id;
}

// ------------------------------------------------------------------ pins found where a source was derived

/** A call that pins or records the data it hands on, or undefined. */
function derivationRecord(call: CallSite): string | undefined {
  const q = call.qname ?? '';
  if (/^dvc\.api\.(open|read|get_url)$/.test(q)) {
    const rev = call.value('rev', 2);
    return rev && rev.kind !== 'none' ? `${q}(rev=...)` : undefined;
  }
  if (/^huggingface_hub\.(\w+\.)*(hf_hub_download|snapshot_download)$/.test(q)) {
    const rev = call.value('revision');
    return rev?.kind === 'str' && rev.complete && isFullSha(rev.value) ? `${q}(revision=<commit>)` : undefined;
  }
  // Weights & Biases records every artifact a run uses, with its digest.
  if (call.name === 'use_artifact') return 'use_artifact';
  return undefined;
}

// ------------------------------------------------------------------ source keys

/** Keyword names of a nested call that plausibly carry a location (`hf_hub_download(repo_id=..., filename=...)`). */
const LOCATION_KEYWORD = /path|file|url|uri|repo|name|dir|^id$|_id$|bucket|key/i;

export function sourceInfo(model: SemanticModel, nodes: Node[], scope: Scope, isLoad: IsLoad): SourceInfo {
  const info: SourceInfo = { keys: emptyKeys(), fromParameter: false };
  const seen = new Set<string>();
  for (const n of nodes) collectSource(model, n, scope, n.startIndex, info, isLoad, 0, seen);
  return info;
}

function addString(keys: Keys, s: string): void {
  if (usableString(s)) keys.strings.add(s);
}

function addConstant(model: SemanticModel, node: Node, scope: Scope, at: number, keys: Keys): void {
  const v = model.evaluate(node, scope, 0, at);
  if (v.kind === 'str' && v.value) addString(keys, v.value);
  else if (v.kind === 'num') keys.nums.add(v.value);
}

function collectSource(
  model: SemanticModel,
  node: Node,
  scope: Scope,
  at: number,
  info: SourceInfo,
  isLoad: IsLoad,
  depth: number,
  seen: Set<string>,
): void {
  if (depth > MAX_DEPTH) return;
  const recurse = (n: Node | null | undefined, s = scope, a = at, d = depth) => {
    if (n) collectSource(model, n, s, a, info, isLoad, d, seen);
  };
  switch (node.type) {
    case 'identifier': {
      if (isDunder(node.text)) return; // `__file__`: every module has one
      info.keys.chains.push([node.text]);
      addConstant(model, node, scope, at, info.keys);
      const key = `${node.text}@${scope.node.id}`;
      if (seen.has(key)) return;
      seen.add(key);
      const found = model.bindingsOf(node.text, scope);
      if (!found) return;
      const follow = (b: Bound, into: SourceInfo, walked: Set<string>) => {
        if (b.parameter) into.fromParameter = true;
        if (b.value) collectSource(model, b.value, b.scope, b.at, into, isLoad, depth + 1, walked);
      };
      const last = lastBefore(found, at);
      if (last) {
        follow(last, info, seen);
        return;
      }
      expandAll<SourceInfo>(
        found.bindings,
        `source:${depth}`,
        seen,
        info,
        () => ({ keys: emptyKeys(), fromParameter: false }),
        (into, walked) => {
          for (const b of found.bindings) follow(boundOf(b, found.scope), into, walked);
        },
        (from, into) => {
          mergeKeys(from.keys, into.keys);
          if (from.fromParameter) into.fromParameter = true;
          if (from.derivedFrom) into.derivedFrom ??= from.derivedFrom;
        },
      );
      return;
    }
    case 'attribute':
    case 'subscript': {
      const chain = chainOf(node);
      if (chain) {
        if (!isDunder(chain[0])) info.keys.chains.push(chain);
        addConstant(model, node, scope, at, info.keys);
        // `cfg.data.path` with `cfg` a parameter (or `self`): set by the caller, who may record it.
        const root = rootIdentifier(node);
        if (root && bindsParameter(model, root.text, scope, at)) info.fromParameter = true;
        return;
      }
      // `Path(root).parent`, `paths[split]`: what the value is built from.
      recurse(node.childForFieldName(node.type === 'attribute' ? 'object' : 'value'));
      return;
    }
    case 'string':
    case 'concatenated_string': {
      addConstant(model, node, scope, at, info.keys);
      for (const part of node.descendantsOfType(['string_content', 'interpolation'])) {
        if (!part) continue;
        if (part.type === 'string_content') addString(info.keys, part.text);
        else recurse(part.childForFieldName('expression'));
      }
      return;
    }
    case 'integer':
      addConstant(model, node, scope, at, info.keys);
      return;
    case 'call': {
      const site = callAt(model, node);
      if (site) {
        const rec = derivationRecord(site);
        if (rec) info.derivedFrom ??= rec;
      }
      // `"{}/x.csv".format(root)`, `Path(root).joinpath(...)`, `root.joinpath(...)`: the receiver is part of it.
      const receiver = receiverOf(model, node, scope, at);
      if (receiver) recurse(receiver);
      const args = node.childForFieldName('arguments');
      if (!args || args.type !== 'argument_list') return;
      const q = site?.qname;
      for (const a of args.namedChildren) {
        if (!a) continue;
        if (a.type === 'keyword_argument') {
          const name = a.childForFieldName('name')?.text ?? '';
          if (LOCATION_KEYWORD.test(name)) recurse(a.childForFieldName('value'));
        } else if (a.type !== 'comment') {
          recurse(a);
          // `open(path, "rb")`: only the first argument is a location.
          if (q === 'open' || q === 'io.open') return;
        }
      }
      return;
    }
    case 'pair':
      recurse(node.childForFieldName('value'));
      return;
    case 'keyword_argument':
      return;
    default:
      for (const c of node.namedChildren) recurse(c);
  }
}

function isDunder(name: string): boolean {
  return /^__\w+__$/.test(name);
}

/** A method call's receiver when it is a value (`root` in `root.joinpath(x)`), not a module (`os.path`). */
function receiverOf(model: SemanticModel, call: Node, scope: Scope, at: number): Node | undefined {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'attribute') return undefined;
  const obj = fn.childForFieldName('object');
  if (!obj) return undefined;
  if (obj.type === 'call' || obj.type === 'string' || obj.type === 'concatenated_string') return obj;
  const v = model.evaluate(obj, scope, 0, at);
  // Instances evaluate to their constructor's name plus `()`: values, not modules.
  return v.kind === 'ref' && !v.qname.endsWith(')') ? undefined : obj;
}

/** The first name of a name path: `args` in `args.data.path`. */
function rootIdentifier(node: Node): Node | undefined {
  let n: Node | null = node;
  while (n && n.type !== 'identifier') {
    n = n.type === 'attribute' ? n.childForFieldName('object') : n.type === 'subscript' ? n.childForFieldName('value') : null;
  }
  return n ?? undefined;
}

// ------------------------------------------------------------------ records

const LOG_METHODS = 'debug|info|warning|warn|error|critical|fatal|exception|log|success|trace';
/** `logging.info`, `loguru.logger.info`, and any method of a `getLogger()` / `get_logger()` instance. */
const LOGGING_CALL = new RegExp(
  `^(logging|loguru\\.logger|structlog\\.get_logger\\(\\))\\.(${LOG_METHODS})$` +
    `|(^|\\.)(getLogger|get_logger|getChild|bind)\\(\\)\\.(${LOG_METHODS})$`,
);
const LOG_METHOD = new RegExp(`^(${LOG_METHODS}|log_hyperparams)$`);
const LOGGER_NAME = /^_{0,2}(logger|log)$/i;
const MLFLOW_NAMES = /^mlflow\.(log_param|log_params|set_tag|set_tags|log_artifact|log_artifacts|log_dict|log_text)$/;
const MLFLOW_CONTENT = /^mlflow\.(log_input|data\.(\w+\.)*(from_\w+|load_delta))$/;
const WANDB_CONFIG = /^wandb\.(config|run\.config|init\(\)\.config)$/;
const WANDB_NAMES = new RegExp(
  '^wandb\\.(' +
    '(config|run\\.config|init\\(\\)\\.config)\\.(update|setdefaults)' +
    '|(init\\(\\)\\.|run\\.)?(log_artifact|use_artifact)' +
    '|(sdk\\.)?Artifact\\(\\)\\.(add_file|add_dir|add_reference)' +
    ')$',
);
const DIGEST_NAME = /sha\d|md5|blake2|checksum|digest|hash/i;
const RECORD_NAME = /provenance|lineage/i;

function argumentNodes(call: CallSite): Node[] {
  const args = call.argumentList;
  return args ? args.namedChildren.filter((n): n is Node => !!n && n.type !== 'comment') : [];
}

/** How a call records data, or undefined when it records nothing. `print` is not a record. */
export function recordOf(call: CallSite): RecordSite | undefined {
  const q = call.qname ?? '';
  const all = (mode: RecordMode): RecordSite => ({ regions: argumentNodes(call), mode, scope: call.scope });
  if (q.startsWith('hashlib.')) return all('content');
  if (MLFLOW_CONTENT.test(q)) return all('content');
  if (MLFLOW_NAMES.test(q) || WANDB_NAMES.test(q)) return all('names');
  if (q === 'wandb.init') {
    const config = call.keywords.get('config');
    return config ? { regions: [config], mode: 'names', scope: call.scope } : undefined;
  }
  if (call.name === 'use_artifact') return all('names');
  if (LOGGING_CALL.test(q)) return all('names');
  const fn = call.functionNode;
  if (fn?.type === 'attribute' && LOG_METHOD.test(call.name)) {
    const receiver = fn.childForFieldName('object');
    const chain = receiver && chainOf(receiver);
    if (chain && LOGGER_NAME.test(chain[chain.length - 1])) return all('names');
  }
  if (call.name !== 'hash' && DIGEST_NAME.test(call.name)) return all('content');
  if (RECORD_NAME.test(call.name)) return all('names');
  return undefined;
}

/** `c` in `c.x` or `c["x"]`. */
function containerOf(target: Node): Node | undefined {
  if (target.type === 'attribute') return target.childForFieldName('object') ?? undefined;
  if (target.type === 'subscript') return target.childForFieldName('value') ?? undefined;
  return undefined;
}

const wandbFiles = new WeakMap<SemanticModel, boolean>();
function mentionsWandb(model: SemanticModel): boolean {
  let yes = wandbFiles.get(model);
  if (yes === undefined) wandbFiles.set(model, (yes = /\bwandb\b/.test(model.text)));
  return yes;
}

/** `wandb.config.x = v` and `wandb.config["x"] = v` in the scope's own statements. */
export function configAssignments(model: SemanticModel, owner: Scope): RecordSite[] {
  const out: RecordSite[] = [];
  // A target resolves to `wandb.config` only through the name `wandb` (imported or not): without the word in the
  // file there is nothing to find, and the walk over the scope's statements is skipped.
  if (!mentionsWandb(model)) return out;
  const visit = (n: Node) => {
    for (const c of n.namedChildren) {
      if (!c) continue;
      if (c.type === 'function_definition' || c.type === 'lambda') continue; // their own scopes
      if (c.type === 'assignment') {
        const left = c.childForFieldName('left');
        const right = c.childForFieldName('right');
        const target = left ? containerOf(left) : undefined;
        if (target && right) {
          const scope = model.scopeAt(c);
          const q = model.qnameOf(target, scope);
          if (q && WANDB_CONFIG.test(q)) out.push({ regions: [right], mode: 'names', scope });
        }
      }
      visit(c);
    }
  };
  if (owner.node.type === 'function_definition' || owner.node.type === 'lambda') {
    const body = owner.node.childForFieldName('body');
    if (body) visit(body);
  } else {
    visit(owner.node);
  }
  return out;
}

// ------------------------------------------------------------------ mentions

/** What a record's arguments name, as keys. */
export function mentionKeys(model: SemanticModel, site: RecordSite, isLoad: IsLoad): Keys {
  const keys = emptyKeys();
  const seen = new Set<string>();
  for (const r of site.regions) collectMention(model, r, site.scope, r.startIndex, keys, site.mode, isLoad, 0, seen);
  return keys;
}

function collectMention(
  model: SemanticModel,
  node: Node,
  scope: Scope,
  at: number,
  keys: Keys,
  mode: RecordMode,
  isLoad: IsLoad,
  depth: number,
  seen: Set<string>,
): void {
  if (depth > MAX_DEPTH) return;
  const recurse = (n: Node | null | undefined, s = scope, a = at, d = depth) => {
    if (n) collectMention(model, n, s, a, keys, mode, isLoad, d, seen);
  };
  switch (node.type) {
    case 'identifier': {
      if (isDunder(node.text)) return;
      keys.chains.push([node.text]);
      addConstant(model, node, scope, at, keys);
      const key = `${node.text}@${scope.node.id}`;
      if (seen.has(key)) return;
      seen.add(key);
      // `digest = sha256(data)` with `data = open(path, "rb").read()`: what the name was built from.
      const found = model.bindingsOf(node.text, scope);
      if (!found) return;
      const follow = (b: Bound, into: Keys, walked: Set<string>) => {
        if (b.value) collectMention(model, b.value, b.scope, b.at, into, mode, isLoad, depth + 1, walked);
      };
      const last = lastBefore(found, at);
      if (last) {
        follow(last, keys, seen);
        return;
      }
      expandAll<{ keys: Keys }>(
        found.bindings,
        `mention:${mode}:${isLoadId(isLoad)}:${depth}`,
        seen,
        { keys },
        () => ({ keys: emptyKeys() }),
        (into, walked) => {
          for (const b of found.bindings) follow(boundOf(b, found.scope), into.keys, walked);
        },
        (from, into) => mergeKeys(from.keys, into.keys),
      );
      return;
    }
    case 'attribute':
    case 'subscript': {
      const chain = chainOf(node);
      if (chain) {
        if (!isDunder(chain[0])) keys.chains.push(chain);
        addConstant(model, node, scope, at, keys);
        // A digest of `df.values`: follow `df` back to what it was loaded from.
        if (mode === 'content') recurse(rootIdentifier(node));
      } else {
        recurse(node.childForFieldName(node.type === 'attribute' ? 'object' : 'value'));
      }
      if (node.type === 'subscript') recurse(node.childForFieldName('subscript'));
      return;
    }
    case 'string':
    case 'concatenated_string':
      addConstant(model, node, scope, at, keys);
      for (const part of node.descendantsOfType(['string_content', 'interpolation'])) {
        if (!part) continue;
        if (part.type === 'string_content') keys.strings.add(part.text);
        else recurse(part.childForFieldName('expression'));
      }
      return;
    case 'integer':
      addConstant(model, node, scope, at, keys);
      return;
    case 'call': {
      const site = callAt(model, node);
      // A log line about the loaded data (`len(pd.read_csv(p))`) names no source; a digest of it does.
      if (site && isLoad(site) && mode === 'names') return;
      const receiver = receiverOf(model, node, scope, at);
      if (receiver) recurse(receiver);
      recurse(node.childForFieldName('arguments'));
      return;
    }
    case 'keyword_argument':
      recurse(node.childForFieldName('value'));
      return;
    default:
      for (const c of node.namedChildren) recurse(c);
  }
}

// ------------------------------------------------------------------ matching

/** `needle` inside `hay`, not glued to word characters it would need a boundary with (`a.csv` is not in `data.csv`). */
function containsWord(hay: string, needle: string): boolean {
  const wordStart = /\w/.test(needle[0]);
  const wordEnd = /\w/.test(needle[needle.length - 1]);
  for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + 1)) {
    const before = i === 0 ? '' : hay[i - 1];
    const after = hay[i + needle.length] ?? '';
    if ((!wordStart || !/\w/.test(before)) && (!wordEnd || !/\w/.test(after))) return true;
  }
  return false;
}

/** Attributes of a path-like value that still name it: `path.name`, `url.path`. */
const PATH_ATTRIBUTES = new Set(['name', 'stem', 'parent', 'suffix', 'parts', 'path', 'url', 'uri', 'filename']);

/**
 * The same name path, or the record names a container of the source (`cfg` records `cfg.data.path`; `self` alone
 * does not), or a path-like attribute of it (`path.name`).
 */
function chainsMatch(source: string[], mention: string[]): boolean {
  const n = Math.min(source.length, mention.length);
  for (let i = 0; i < n; i++) if (source[i] !== mention[i]) return false;
  if (mention.length < source.length) return !(mention.length === 1 && (mention[0] === 'self' || mention[0] === 'cls'));
  if (mention.length > source.length) return PATH_ATTRIBUTES.has(mention[source.length]);
  return true;
}

/** True when a record's mentions include one of the source's keys. */
export function mentions(source: Keys, mention: Keys): boolean {
  for (const s of source.chains) for (const m of mention.chains) if (chainsMatch(s, m)) return true;
  for (const s of source.strings) {
    for (const m of mention.strings) {
      if (m === s) return true;
      if (distinctive(s) && containsWord(m, s)) return true;
    }
  }
  for (const n of source.nums) if (mention.nums.has(n)) return true;
  return false;
}

function pushTo<K, T>(map: Map<K, T[]>, key: K, item: T): void {
  const list = map.get(key);
  if (!list) map.set(key, [item]);
  else if (list[list.length - 1] !== item) list.push(item);
}

/**
 * `mentions` against many records at once: a file with n loads and n records would otherwise compare every pair.
 * The records' keys are indexed by name path (whole, and cut before each path-like attribute), by string, by the words
 * of each string, and by number; a source's keys then look up exactly the records `mentions` would accept.
 */
export class MentionIndex<T> {
  private readonly chains = new Map<string, T[]>();
  /** `a.b` for a mention `a.b.name.x`: it names the source `a.b` by a path-like attribute. */
  private readonly extended = new Map<string, T[]>();
  private readonly strings = new Map<string, T[]>();
  /** The mention strings that hold a word (a maximal run of `\w`), by word. */
  private readonly words = new Map<string, string[]>();
  private readonly nums = new Map<number, T[]>();
  /** The records whose strings hold a distinctive source string as a word, once asked. */
  private readonly containing = new Map<string, T[]>();

  add(item: T, keys: Keys): void {
    for (const m of keys.chains) {
      pushTo(this.chains, JSON.stringify(m), item);
      for (let k = 0; k < m.length; k++) if (PATH_ATTRIBUTES.has(m[k])) pushTo(this.extended, JSON.stringify(m.slice(0, k)), item);
    }
    for (const m of keys.strings) {
      if (!this.strings.has(m)) for (const w of new Set(m.match(/\w+/g) ?? [])) pushTo(this.words, w, m);
      pushTo(this.strings, m, item);
    }
    for (const n of keys.nums) pushTo(this.nums, n, item);
    this.containing.clear();
  }

  /** True when a record that `accept`s mentions one of the source's keys: `mentions(source, keys)` for one of them. */
  matches(source: Keys, accept: (item: T) => boolean): boolean {
    const any = (list: T[] | undefined) => !!list && list.some(accept);
    for (const s of source.chains) {
      // The same path or a container of it (`self` or `cls` alone is no container)...
      for (let j = 0; j <= s.length; j++) {
        if (j === 1 && j < s.length && (s[0] === 'self' || s[0] === 'cls')) continue;
        if (any(this.chains.get(JSON.stringify(s.slice(0, j))))) return true;
      }
      // ...or a path-like attribute of it.
      if (any(this.extended.get(JSON.stringify(s)))) return true;
    }
    for (const s of source.strings) {
      if (any(this.strings.get(s))) return true;
      if (distinctive(s) && any(this.within(s))) return true;
    }
    for (const n of source.nums) if (any(this.nums.get(n))) return true;
    return false;
  }

  /**
   * The records with a string that holds `s` as `containsWord` means it. Every word of `s` then stands whole in that
   * string (a boundary `containsWord` asks for, or a non-word character of `s`, sits on each side), so only the strings
   * holding the first word of `s` need the check.
   */
  private within(s: string): T[] {
    let out = this.containing.get(s);
    if (!out) {
      out = [];
      const word = /\w+/.exec(s)?.[0];
      for (const m of (word !== undefined && this.words.get(word)) || []) {
        if (!containsWord(m, s)) continue;
        for (const item of this.strings.get(m) ?? []) out.push(item);
      }
      this.containing.set(s, out);
    }
    return out;
  }
}
