/**
 * Shared by the artifact rules (SAI104, SAI206, SAI302): what a saved object is (a whole module, a state dict, a
 * checkpoint dict), whether a module is training code, and whether a file is hashed or recorded next to the call that
 * downloads or writes it. The scope-local "is it recorded" matching comes from provenance.ts.
 *
 * Pure helpers over the semantic model: no rule state, no reporting.
 */
import type { Node } from '../engine/parser';
import { bindingsBefore, isConditional, type CallSite, type Scope, type SemanticModel } from '../engine/semantic';
import { MentionIndex, mentionKeys, recordOf, sourceInfo, type Keys, type RecordSite } from './provenance';

// ------------------------------------------------------------------ bindings

export interface Bound {
  /** The assigned expression, when the name is bound by a simple assignment or as a `with ... as` target. */
  value?: Node;
  scope: Scope;
  at: number;
  parameter: boolean;
  /** The binding's kind as the semantic model records it. */
  kind: 'import' | 'assign' | 'local';
  /** Where the binding was made (for a class or function definition, its start). */
  index: number;
}

/**
 * The one binding a use of `name` at `at` sees: in its own scope the last one before it, from an inner scope the only
 * one there is. Undefined for an unbound name (a builtin) or when several bindings could reach the use.
 */
export function boundValue(model: SemanticModel, name: string, scope: Scope, at: number): Bound | undefined {
  const found = model.bindingsOf(name, scope);
  if (!found) return undefined;
  let b = undefined;
  if (found.own) {
    // The bindings are sorted by position: a binary search, not a filter of the whole list at every use.
    const before = bindingsBefore(found.bindings, at);
    b = before ? found.bindings[before - 1] : undefined;
    if (b && before > 1 && isConditional(b)) return undefined;
  }
  if (!b) {
    if (found.bindings.length !== 1) return undefined;
    b = found.bindings[0];
  }
  return {
    value: b.kind === 'assign' ? b.value : b.kind === 'local' && b.via === 'with' ? b.origin : undefined,
    scope: b.kind === 'assign' ? b.scope : found.scope,
    at: b.index,
    parameter: b.kind === 'local' && !!b.param,
    kind: b.kind,
    index: b.index,
  };
}

// ------------------------------------------------------------------ where it is written

/** Calls whose result is an in-memory buffer or a temporary file or directory. */
const EPHEMERAL_CALL = /^(io\.(BytesIO|StringIO)|tempfile\.\w+)$|(^|\.)(Temporary\w*|NamedTemporary\w*|mkstemp|mkdtemp|BytesIO)$/;
/** Names that conventionally hold a temporary path: pytest's `tmp_path` / `tmpdir`, `tmp_dir`, `tmpdirname`. */
const EPHEMERAL_NAME = /^_*(tmp|temp)(_?(path|dir|dirname|file|filename|name|folder|d|f))?(_\w+)?$|^tmpdirname$/i;

/**
 * True when `node` (a path or file object a save writes to) is an in-memory buffer or a temporary file: a round trip
 * inside a test or a helper, not an artifact anyone loads later.
 */
export function isEphemeral(model: SemanticModel, node: Node, scope: Scope, at = node.startIndex, depth = 0): boolean {
  if (depth > 6) return false;
  const recurse = (n: Node | null | undefined) => !!n && isEphemeral(model, n, scope, at, depth + 1);
  switch (node.type) {
    case 'identifier': {
      if (EPHEMERAL_NAME.test(node.text)) return true;
      const b = boundValue(model, node.text, scope, at);
      return !!b?.value && isEphemeral(model, b.value, b.scope, b.at, depth + 1);
    }
    case 'attribute':
      return recurse(node.childForFieldName('object')) || EPHEMERAL_NAME.test(node.childForFieldName('attribute')?.text ?? '');
    case 'call': {
      const fn = node.childForFieldName('function');
      const q = fn ? model.qnameOf(fn, scope) : undefined;
      const name = fn?.type === 'identifier' ? fn.text : fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
      if ((q && EPHEMERAL_CALL.test(q)) || (name && EPHEMERAL_CALL.test(name))) return true;
      if (fn?.type === 'attribute' && recurse(fn.childForFieldName('object'))) return true;
      const args = node.childForFieldName('arguments');
      return !!args && args.namedChildren.some((a) => !!a && a.type !== 'keyword_argument' && recurse(a));
    }
    case 'binary_operator':
      return recurse(node.childForFieldName('left')) || recurse(node.childForFieldName('right'));
    case 'parenthesized_expression':
      return recurse(node.firstNamedChild);
    case 'string':
      return node.namedChildren.some((c) => c?.type === 'interpolation' && recurse(c.childForFieldName('expression')));
    default:
      return false;
  }
}

/** Test modules: `test_*.py`, `*_test.py`, `conftest.py`, or anything under a `tests` / `test` directory. */
export function isTestPath(path: string): boolean {
  const parts = path.split(/[\\/]/);
  const file = parts[parts.length - 1] ?? '';
  if (/^test_.*\.py$|_test\.py$|^conftest\.py$/.test(file)) return true;
  return parts.slice(0, -1).some((d) => d === 'tests' || d === 'test' || d === 'testing');
}

// ------------------------------------------------------------------ what is saved

export type SavedKind =
  /** A whole `nn.Module` (or another model object): pickled with its class references. */
  | 'module'
  /** A state dict, or a checkpoint dict of them: tensors and plain values. */
  | 'state'
  /** Something else, or something the engine cannot see. */
  | 'unknown';

export interface Saved {
  kind: SavedKind;
  /** True when the kind rests only on the name (`model`, `self.net`), not on where the value came from. */
  byName: boolean;
}

/** Names that hold a model object in ML code: `model`, `net`, `best_model`, `self.encoder`. */
const MODEL_NAME = /^(?:[a-z0-9]+_)*(?:model|net|network|module|classifier|encoder|decoder|generator|discriminator|backbone|autoencoder|unet|vae)$/i;
/** Names that are not a module: `state`, `model_state`, `ckpt`, `params`. */
const NOT_MODULE_NAME = /state|dict|weights|params|ckpt|checkpoint|^sd$|_sd$/i;
/** Names that hold weights or a checkpoint: `state_dict`, `model_state`, `ckpt`, `best_weights` (not a bare `state`). */
const STATE_NAME = /state_?dict|(^|_)sd$|ckpt|checkpoint|weights|(model|net|best|ema)_state$/i;
/** Constructors and factories whose result is a model object. */
const MODULE_FACTORY =
  /^(torch\.nn\.(modules\.\w+\.)?[A-Z]\w*|torchvision\.models\.(\w+\.)?[a-z]\w*|torch\.hub\.load|timm\.(models\.)?create_model|sentence_transformers\.(SentenceTransformer|CrossEncoder)|(transformers|diffusers|peft)\.\w*(Model|Pipeline|For\w+|LM\w*)\w*\.from_pretrained)\(\)$/;
/** Methods that return the module they are called on. */
const SAME_MODULE = new Set(['cpu', 'cuda', 'to', 'eval', 'train', 'half', 'float', 'double', 'bfloat16', 'requires_grad_']);
/** Base classes that make a class a model. */
const MODULE_BASE = /^(torch\.nn\.(modules\.module\.)?Module|(pytorch_)?lightning\.(pytorch\.)?(core\.)?LightningModule|transformers\.(\w+\.)*PreTrainedModel|torch\.nn\.\w+)$/;

function lastName(node: Node): string | undefined {
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute') return node.childForFieldName('attribute')?.text;
  return undefined;
}

function byName(name: string | undefined): Saved {
  if (name && !NOT_MODULE_NAME.test(name) && MODEL_NAME.test(name)) return { kind: 'module', byName: true };
  if (name && STATE_NAME.test(name)) return { kind: 'state', byName: true };
  return { kind: 'unknown', byName: true };
}

/** True when `cls` (a class bound in `scope`) derives from `nn.Module`, a LightningModule or a transformers model. */
function isModuleClass(model: SemanticModel, b: Bound, depth: number): boolean {
  if (b.kind !== 'local' || b.parameter || depth > 4) return false;
  let n: Node | null = model.tree.rootNode.descendantForIndex(b.index);
  while (n && n.type !== 'class_definition' && n.startIndex === b.index) n = n.parent;
  if (!n || n.type !== 'class_definition') return false;
  const bases = n.childForFieldName('superclasses');
  if (!bases) return false;
  for (const base of bases.namedChildren) {
    if (!base || base.type === 'keyword_argument' || base.type === 'comment') continue;
    const v = model.evaluate(base, b.scope, 0, n.startIndex);
    if (v.kind === 'ref' && MODULE_BASE.test(v.qname)) return true;
    if (base.type === 'identifier') {
      const inner = boundValue(model, base.text, b.scope, n.startIndex);
      if (inner && isModuleClass(model, inner, depth + 1)) return true;
    }
  }
  return false;
}

/** What the expression `node` (the object handed to `torch.save`, `joblib.dump`) is. */
export function savedObject(model: SemanticModel, node: Node, scope: Scope, at = node.startIndex, depth = 0): Saved {
  if (depth > 6) return { kind: 'unknown', byName: false };
  switch (node.type) {
    case 'parenthesized_expression': {
      const inner = node.firstNamedChild;
      return inner ? savedObject(model, inner, scope, at, depth + 1) : { kind: 'unknown', byName: false };
    }
    case 'dictionary': {
      // A checkpoint dict holds a state dict; a module inside it is pickled whole all the same.
      let state = false;
      for (const pair of node.namedChildren) {
        const value = pair?.type === 'pair' ? pair.childForFieldName('value') : null;
        if (!value) continue;
        const s = savedObject(model, value, scope, at, depth + 1);
        if (s.kind === 'module' && !s.byName) return s;
        if (s.kind !== 'unknown') state = true;
      }
      return { kind: state ? 'state' : 'unknown', byName: false };
    }
    case 'call': {
      const fn = node.childForFieldName('function');
      const name = fn ? lastName(fn) : undefined;
      if (name === 'state_dict') return { kind: 'state', byName: false };
      const v = model.evaluate(node, scope, 0, at);
      if (v.kind === 'ref' && MODULE_FACTORY.test(v.qname)) return { kind: 'module', byName: false };
      if (v.kind === 'ref' && /^(copy\.deepcopy|copy\.copy)\(\)$/.test(v.qname)) {
        const first = node.childForFieldName('arguments')?.namedChildren.find((a) => a && a.type !== 'comment');
        return first ? savedObject(model, first, scope, at, depth + 1) : { kind: 'unknown', byName: false };
      }
      if (fn?.type === 'identifier') {
        const b = boundValue(model, fn.text, scope, at);
        if (b && isModuleClass(model, b, 0)) return { kind: 'module', byName: false };
      }
      if (fn?.type === 'attribute' && name && SAME_MODULE.has(name)) {
        const obj = fn.childForFieldName('object');
        return obj ? savedObject(model, obj, scope, at, depth + 1) : { kind: 'unknown', byName: false };
      }
      return { kind: 'unknown', byName: false };
    }
    case 'identifier': {
      const b = boundValue(model, node.text, scope, at);
      if (b?.value) {
        const s = savedObject(model, b.value, b.scope, b.at, depth + 1);
        if (s.kind !== 'unknown') return s;
        // A value the engine cannot classify (`model = build(cfg)`): the name is all there is.
        return byName(node.text);
      }
      if (b?.kind === 'import') return { kind: 'unknown', byName: false };
      return byName(node.text);
    }
    case 'attribute':
      return byName(lastName(node));
    default:
      return { kind: 'unknown', byName: false };
  }
}

// ------------------------------------------------------------------ training code

/** Calls that only training code makes: a backward pass, an optimiser step, a fit. */
const TRAINING_CALLS = new Set(['backward', 'zero_grad', 'fit', 'partial_fit', 'train', 'train_on_batch', 'fit_generator']);
/** Trainer objects: `transformers.Trainer`, `lightning.Trainer`, `trl.SFTTrainer`. */
const TRAINER = /(^|\.)\w*Trainer$/;

/** True when the module trains something: a place where a checkpoint is fresh from training. */
export function isTrainingCode(model: SemanticModel): boolean {
  for (const c of model.calls) {
    if (TRAINING_CALLS.has(c.name)) return true;
    if (c.name.endsWith('Trainer')) {
      const q = c.qname;
      if (q && TRAINER.test(q)) return true;
    }
  }
  return false;
}

// ------------------------------------------------------------------ hash checks and records next to a call

const noLoads = (): boolean => false;
/** `hashlib.sha256()`, `hashlib.new("sha256")`: a digest object fed chunk by chunk. */
const HASHLIB_CONSTRUCTOR = /^hashlib\.(?!file_digest)\w+$/;

/** A call that computes a digest (`hashlib.*`, a `*sha256*` / `*checksum*` helper) or verifies a file's integrity. */
export function digestSite(call: CallSite): RecordSite | undefined {
  const r = recordOf(call);
  if (r?.mode === 'content') return r;
  if (/verify|integrity/i.test(call.name)) return { regions: argumentNodes(call), mode: 'content', scope: call.scope };
  return undefined;
}

function argumentNodes(call: CallSite): Node[] {
  const args = call.argumentList;
  return args ? args.namedChildren.filter((n): n is Node => !!n && n.type !== 'comment') : [];
}

/** The name a call's result is bound to: `r` in `r = requests.get(...)` and `with requests.get(...) as r`. */
export function resultName(call: CallSite): string | undefined {
  const p = call.node.parent;
  if (p?.type === 'assignment' && p.childForFieldName('right')?.id === call.node.id) {
    const left = p.childForFieldName('left');
    return left?.type === 'identifier' ? left.text : undefined;
  }
  if (p?.type === 'as_pattern') {
    const target = p.childForFieldName('alias') ?? p.namedChildren.find((n) => n?.type === 'as_pattern_target');
    const id = target?.type === 'as_pattern_target' ? target.firstNamedChild : target;
    return id?.type === 'identifier' ? id.text : undefined;
  }
  return undefined;
}

export interface Nearby {
  /** A matching check or record was found. */
  found: boolean;
  /** The sources are built from a parameter of the enclosing function: the caller may check them. */
  fromParameter: boolean;
}

/**
 * Whether something in the call's own scope (its function, or the module for module-level code) checks or records the
 * file that `sources` name. In a function any such call counts; at module level it must mention one of the sources
 * (the same name, string or name path, followed through simple assignments and `with open(...) as f`), the call's
 * result name, or be an argument-less digest constructor (`h = hashlib.sha256()` fed chunk by chunk).
 */
export function checkedNearby(
  model: SemanticModel,
  call: CallSite,
  sources: Node[],
  isRecord: (c: CallSite) => RecordSite | undefined,
  /** The sources that count for `fromParameter` (by default all of them). */
  passed: Node[] = sources,
): Nearby {
  const info = sourceInfo(model, sources, call.scope, noLoads);
  const fromParameter = passed === sources ? info.fromParameter : sourceInfo(model, passed, call.scope, noLoads).fromParameter;
  const owner = call.scope.owner;
  const records = recordsIn(model, owner, isRecord);
  const other = (c: CallSite) => c !== call;
  if (!records.calls.some(other)) return { found: false, fromParameter };
  if (owner !== model.module) return { found: true, fromParameter };
  const keys: Keys = info.keys;
  const result = resultName(call);
  if (result) keys.chains.push([result]);
  const index = records.index();
  return { found: index.unconditional.some(other) || index.mentions.matches(keys, other), fromParameter };
}

interface Records {
  /** The calls of the scope that check or record something, in order. */
  calls: CallSite[];
  /** Their mentions, indexed (built on first need: only module-level records are matched by what they mention). */
  index(): { unconditional: CallSite[]; mentions: MentionIndex<CallSite> };
}

const recordsCache = new WeakMap<Scope, Map<(c: CallSite) => RecordSite | undefined, Records>>();

/**
 * The records among a scope's calls, found once per scope and kind of record: every call that `checkedNearby` looks
 * at would otherwise test all the calls of its scope again (quadratic on a long module).
 */
function recordsIn(model: SemanticModel, owner: Scope, isRecord: (c: CallSite) => RecordSite | undefined): Records {
  let byKind = recordsCache.get(owner);
  if (!byKind) recordsCache.set(owner, (byKind = new Map()));
  let records = byKind.get(isRecord);
  if (!records) {
    const sites: Array<{ site: RecordSite; call: CallSite }> = [];
    for (const c of owner.calls) {
      const r = isRecord(c);
      if (r) sites.push({ site: r, call: c });
    }
    let built: ReturnType<Records['index']> | undefined;
    records = {
      calls: sites.map((s) => s.call),
      index: () => {
        if (built) return built;
        built = { unconditional: [], mentions: new MentionIndex<CallSite>() };
        for (const s of sites) {
          // An argument-less digest constructor (`h = hashlib.sha256()` fed chunk by chunk) checks whatever it is fed.
          if (s.site.regions.length === 0 && HASHLIB_CONSTRUCTOR.test(s.call.qname ?? '')) built.unconditional.push(s.call);
          built.mentions.add(s.call, mentionKeys(model, s.site, noLoads));
        }
        return built;
      },
    };
    byKind.set(isRecord, records);
  }
  return records;
}

