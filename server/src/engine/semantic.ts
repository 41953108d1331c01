/**
 * A small semantic layer over one tree-sitter tree, built in a single walk:
 * - scopes (module, function, lambda, class, comprehension) and the names each binds;
 * - import and alias resolution to qualified names (`import torch as T` makes `T.load` mean `torch.load`);
 * - constant propagation for simple assignments of strings, booleans, numbers and None;
 * - call sites with positional and keyword argument lookup, and `*args` / `**kwargs` splat awareness.
 *
 * Names bound locally (a parameter called `load`) shadow imports: they resolve to `local`, never to `pickle.load`.
 */
import { Query } from 'web-tree-sitter';
import { timeLimitMs, type Node, type Tree } from './parser';

export type Value =
  /** A string. When `complete` is false only its prefix is known (an f-string, a concatenation with a variable). */
  | { kind: 'str'; value: string; complete: boolean }
  | { kind: 'bool'; value: boolean }
  | { kind: 'num'; value: number }
  | { kind: 'none' }
  /** A module, function or class by qualified name; an instance is the constructor's name plus `()`. */
  | { kind: 'ref'; qname: string }
  /** A name bound locally to something the engine does not follow (a parameter, a loop variable). */
  | { kind: 'local' }
  | { kind: 'unknown' };

const UNKNOWN: Value = { kind: 'unknown' };
const LOCAL: Value = { kind: 'local' };
const MAX_DEPTH = 24;
/**
 * At most this many conditional bindings of a name since its last unconditional one are weighed for one use in their
 * own scope; past it the value is unknown. A file that rebinds one name conditionally thousands of times would
 * otherwise cost a quadratic number of evaluations.
 */
const MAX_CANDIDATES = 64;

/** How a target name takes its value: see `origin` on a `local` binding. */
export type BindingVia = 'with' | 'for' | 'unpack' | 'augmented';

export type Binding = (
  | { kind: 'import'; qname: string }
  | { kind: 'assign'; value: Node; scope: Scope }
  | {
      kind: 'local';
      param?: boolean;
      /**
       * For a name bound as a target (`with X as y`, `for y in X`, `y, z = X`, `y += X`): the node it takes its value
       * from (the `with` item's context expression, the iterable, the right side) and how. The value is read where
       * `origin.parent` starts: the `for` statement or clause, the assignment, or the `with` item's `X as y`.
       */
      origin?: Node;
      via?: BindingVia;
    }
) & {
  index: number;
  /** The statement that binds, and the node of its scope: what `isConditional` looks between. */
  site?: Node;
  home?: Node;
  /** Whether the binding may not run; computed on first need by `isConditional`. */
  conditional?: boolean;
  /** The value of an `assign` binding, by evaluation depth, once computed: each is evaluated once per depth. */
  values?: Value[];
};

const CONDITIONAL = new Set([
  'if_statement',
  'try_statement',
  'for_statement',
  'while_statement',
  'match_statement',
  'conditional_expression',
  'boolean_operator',
]);

/**
 * True when the binding may not run (inside an if, try, loop or match within its scope), so a later use cannot rely
 * on it. Walking up the tree is costly, and only names bound more than once need it, so it is computed on demand.
 */
export function isConditional(b: Binding): boolean {
  if (b.conditional === undefined) {
    b.conditional = false;
    const home = b.home?.id;
    for (let n = b.site?.parent; n && n.id !== home; n = n.parent) {
      if (CONDITIONAL.has(n.type)) {
        b.conditional = true;
        break;
      }
    }
  }
  return b.conditional;
}

/**
 * How many of a scope's bindings of a name (sorted by position, as `walk` leaves them) come before offset `index`: a
 * binary search, so that rules do not filter a name's whole list at each use (quadratic on a name bound many times).
 */
export function bindingsBefore(list: readonly Binding[], index: number): number {
  let count = 0;
  for (let hi = list.length; count < hi; ) {
    const mid = (count + hi) >> 1;
    if (list[mid].index < index) count = mid + 1;
    else hi = mid;
  }
  return count;
}

/**
 * The bindings of one scope (sorted by position, as `walk` leaves them) that can reach a use at `index` in that
 * scope: the last one before it when it always runs; after a conditional one, every binding back to the last
 * unconditional one. Empty when none comes before the use; undefined past `MAX_CANDIDATES` conditional rebindings.
 */
export function reachingBindings(list: readonly Binding[], index: number): Binding[] | undefined {
  const count = bindingsBefore(list, index);
  if (count === 0) return [];
  const last = list[count - 1];
  if (!isConditional(last)) return [last];
  let from = count - 1;
  while (from > 0 && isConditional(list[from])) {
    if (count - from > MAX_CANDIDATES) return undefined;
    from--;
  }
  return list.slice(isConditional(list[from]) ? 0 : from, count);
}

export type ScopeKind = 'module' | 'function' | 'class' | 'comprehension';

export class Scope {
  readonly bindings = new Map<string, Binding[]>();
  /** The byte range (UTF-16 offsets) of the scope's body. */
  start = 0;
  end = Number.MAX_SAFE_INTEGER;
  readonly globals = new Set<string>();
  readonly calls: CallSite[] = [];
  /** What a use of a name in a scope nested in this one finds from here outwards (null: unbound), once asked. */
  readonly enclosing = new Map<string, FoundBindings | null>();
  private ownerScope?: Scope;
  constructor(
    readonly kind: ScopeKind,
    readonly node: Node,
    readonly parent: Scope | undefined,
  ) {}

  bind(name: string, b: Binding, at?: Node): void {
    if (at) {
      b.site = at;
      b.home = this.node;
    }
    const list = this.bindings.get(name);
    if (list) list.push(b);
    else this.bindings.set(name, [b]);
  }

  /** The nearest enclosing function or module: the scope whose statements a rule searches for related calls. */
  get owner(): Scope {
    if (this.ownerScope) return this.ownerScope;
    // Found once per scope: thousands of nested comprehensions would otherwise walk the chain for every call site.
    const path: Scope[] = [];
    let s: Scope = this;
    while (!s.ownerScope && (s.kind === 'class' || s.kind === 'comprehension') && s.parent) {
      path.push(s);
      s = s.parent;
    }
    const owner = s.ownerScope ?? s;
    for (const p of path) p.ownerScope = owner;
    this.ownerScope = owner;
    return owner;
  }
}

/** Where a name's bindings were found: the scope, its bindings of the name, and whether it is the scope of the use. */
export interface FoundBindings {
  scope: Scope;
  bindings: Binding[];
  own: boolean;
}

export class CallSite {
  private args?: {
    positional: Node[];
    keywords: Map<string, Node>;
    keywordNodes: Map<string, Node>;
    hasArgSplat: boolean;
    hasKwSplat: boolean;
  };
  private resolved?: string | null;

  constructor(
    readonly node: Node,
    readonly scope: Scope,
    readonly model: SemanticModel,
  ) {}

  /** Arguments are read on first use: most calls are dismissed by name before anyone asks. */
  private get parsed(): NonNullable<CallSite['args']> {
    if (this.args) return this.args;
    const a = { positional: [] as Node[], keywords: new Map<string, Node>(), keywordNodes: new Map<string, Node>(), hasArgSplat: false, hasKwSplat: false };
    this.args = a;
    const list = this.argumentList;
    if (!list) return a; // a generator argument: f(x for x in y)
    for (const n of list.namedChildren) {
      if (!n) continue;
      switch (n.type) {
        case 'keyword_argument': {
          const name = n.childForFieldName('name');
          const value = n.childForFieldName('value');
          if (name && value) {
            a.keywords.set(name.text, value);
            a.keywordNodes.set(name.text, n);
          }
          break;
        }
        case 'list_splat':
          a.hasArgSplat = true;
          break;
        case 'dictionary_splat':
          a.hasKwSplat = true;
          break;
        case 'comment':
          break;
        default:
          if (!a.hasArgSplat && a.keywords.size === 0) a.positional.push(n);
      }
    }
    return a;
  }

  /** Positional arguments up to the first `*args` splat. */
  get positional(): Node[] {
    return this.parsed.positional;
  }

  /** Keyword argument values by name. */
  get keywords(): Map<string, Node> {
    return this.parsed.keywords;
  }

  /** The `name=value` nodes, for edits. */
  get keywordNodes(): Map<string, Node> {
    return this.parsed.keywordNodes;
  }

  get hasArgSplat(): boolean {
    return this.parsed.hasArgSplat;
  }

  get hasKwSplat(): boolean {
    return this.parsed.hasKwSplat;
  }

  private fn?: Node | null;
  /** The callee expression; looked up once (rules ask for it many times). */
  get functionNode(): Node | null {
    if (this.fn === undefined) this.fn = this.node.childForFieldName('function');
    return this.fn;
  }

  get argumentList(): Node | null {
    const a = this.node.childForFieldName('arguments');
    return a && a.type === 'argument_list' ? a : null;
  }

  /** The last identifier of the callee: `load` for `torch.load(...)`, `''` when the callee is not a name. */
  get name(): string {
    return (this.calleeName ??= this.computeName());
  }

  private calleeName?: string;
  private computeName(): string {
    const f = this.functionNode;
    if (!f) return '';
    if (f.type === 'identifier') return f.text;
    if (f.type === 'attribute') return f.childForFieldName('attribute')?.text ?? '';
    return '';
  }

  /** The callee's qualified name (`torch.load`), or undefined when it is local or unknown. */
  get qname(): string | undefined {
    if (this.resolved === undefined) {
      const f = this.functionNode;
      const v = f ? this.model.evaluate(f, this.scope) : UNKNOWN;
      this.resolved = v.kind === 'ref' ? v.qname : null;
    }
    return this.resolved ?? undefined;
  }

  /** The argument given by keyword `name`, else at `position` (0-based) among the positional ones. */
  arg(name: string, position?: number): Node | undefined {
    const k = this.keywords.get(name);
    if (k) return k;
    if (position !== undefined && position < this.positional.length) return this.positional[position];
    return undefined;
  }

  /** The argument's value, resolved through constants and imports; undefined when the argument is absent. */
  value(name: string, position?: number): Value | undefined {
    const n = this.arg(name, position);
    return n ? this.model.evaluate(n, this.scope) : undefined;
  }

  /**
   * True when the argument is given by keyword, or might be passed through `*args` / `**kwargs`. Called for an
   * argument `arg()` did not find, it tells a rule to lower its confidence rather than guess.
   */
  mayPass(name: string, position?: number): boolean {
    if (this.keywords.has(name)) return true;
    if (this.hasKwSplat) return true;
    return position !== undefined && this.hasArgSplat && position >= this.positional.length;
  }
}

export interface Comment {
  node: Node;
  line: number;
  text: string;
  /** True when nothing but whitespace precedes the comment on its line. */
  ownLine: boolean;
}

const MODEL_QUERY = `
(import_statement) @import
(import_from_statement) @import
(comment) @comment
(call function: [(identifier) (attribute)]) @call
(assignment) @assignment
(augmented_assignment) @targets
(for_statement) @targets
(for_in_clause) @targets
(named_expression) @walrus
(as_pattern_target) @as
(global_statement) @global
(nonlocal_statement) @global
[(function_definition) (lambda) (class_definition) (list_comprehension) (set_comprehension)
 (dictionary_comprehension) (generator_expression)] @scope
`;

/** Comments matter to the model only as suppression directives (`# secure-ai: ignore[...]`). */
const SUPPRESSION_MARK = 'secure-ai';

const queries = new WeakMap<object, Query>();
const withoutComments = new WeakMap<object, Query>();
/** The model's query; without comments when the text holds no suppression directive to find among them. */
function modelQuery(tree: Tree, comments: boolean): Query {
  const language = tree.language;
  const cache = comments ? queries : withoutComments;
  let q = cache.get(language);
  if (!q) {
    q = new Query(language, comments ? MODEL_QUERY : MODEL_QUERY.replace('(comment) @comment\n', ''));
    cache.set(language, q);
  }
  return q;
}

/** The file could not be parsed or walked within the engine's time limit (`timeLimitMs`); `analyze` reports it. */
export class TooComplexError extends Error {}

const SCOPE_TYPES: Record<string, ScopeKind> = {
  function_definition: 'function',
  lambda: 'function',
  class_definition: 'class',
  list_comprehension: 'comprehension',
  set_comprehension: 'comprehension',
  dictionary_comprehension: 'comprehension',
  generator_expression: 'comprehension',
};

export class SemanticModel {
  readonly module: Scope;
  readonly calls: CallSite[] = [];
  /** The file's comments, collected only when its text mentions `secure-ai` (they matter as ignore directives). */
  readonly comments: Comment[] = [];
  /** Every module imported anywhere in the file, by qualified name (`torch`, `transformers.AutoModel`). */
  readonly importedModules = new Set<string>();
  private readonly lineStarts: number[];

  /**
   * `deadline` (`performance.now()` ms) bounds the walk: past it the constructor throws `TooComplexError`. By default
   * the file's whole time limit from now.
   */
  constructor(
    readonly tree: Tree,
    readonly text: string,
    deadline = performance.now() + timeLimitMs(text.length),
  ) {
    this.module = new Scope('module', tree.rootNode, undefined);
    this.lineStarts = lineStarts(text);
    this.walk(deadline);
  }

  /** True when the file imports `prefix` or a submodule or member of it. */
  imports(prefix: string): boolean {
    for (const m of this.importedModules) if (m === prefix || m.startsWith(prefix + '.')) return true;
    return false;
  }

  // ---------------------------------------------------------------- walk

  /**
   * One tree-sitter query collects every node the model needs (running inside the parser's WebAssembly is several
   * times faster than visiting each node from JavaScript). Scopes come first, each covering its body's byte range:
   * decorators, bases, parameter defaults and annotations belong to the enclosing scope, as in Python. Every other
   * node then lands in the innermost scope that holds its start.
   */
  private walk(deadline: number): void {
    // tree-sitter's query cursor turns quadratic on some broken input (30,000 unclosed `(`): it stops at the deadline,
    // and a walk that ran that long is not trusted to be complete.
    const left = deadline - performance.now();
    const captures = left > 0 ? modelQuery(this.tree, this.text.includes(SUPPRESSION_MARK)).captures(this.tree.rootNode, { timeoutMicros: Math.ceil(left * 1000) }) : [];
    if (performance.now() >= deadline) throw new TooComplexError(`walking its syntax tree took longer than the limit of ${Math.round(timeLimitMs(this.text.length))} ms for its size`);
    const ranges: Scope[] = [];
    for (const { name, node } of captures) {
      if (name !== 'scope') continue;
      const kind = SCOPE_TYPES[node.type];
      const outer = this.scopeAtIndex(ranges, node.startIndex);
      const nameNode = node.childForFieldName('name');
      if (nameNode && kind !== 'comprehension') outer.bind(nameNode.text, { kind: 'local', index: node.startIndex }, node);
      const inner = new Scope(kind, node, outer);
      const params = node.childForFieldName('parameters');
      if (params) this.bindParameters(params, inner);
      const body = kind === 'comprehension' ? node : node.childForFieldName('body');
      if (!body) continue;
      inner.start = body.startIndex;
      inner.end = body.endIndex;
      this.scopeByNode.set(body.id, inner);
      let i = ranges.length;
      while (i > 0 && ranges[i - 1].start > inner.start) i--;
      ranges.splice(i, 0, inner);
    }
    for (const { name, node } of captures) {
      if (name === 'scope') continue;
      const scope = this.scopeAtIndex(ranges, node.startIndex);
      switch (name) {
        case 'import':
          this.bindImport(node, scope);
          break;
        case 'comment': {
          const line = node.startPosition.row;
          const before = this.text.slice(this.lineStarts[line], node.startIndex);
          this.comments.push({ node, line, text: node.text, ownLine: before.trim() === '' });
          break;
        }
        case 'call': {
          const site = new CallSite(node, scope, this);
          this.calls.push(site);
          scope.owner.calls.push(site);
          break;
        }
        case 'assignment':
          this.bindAssignment(node, scope);
          break;
        case 'targets': {
          const via = node.type === 'augmented_assignment' ? 'augmented' : 'for';
          this.bindTargets(node.childForFieldName('left'), scope, node.childForFieldName('right') ?? undefined, via);
          break;
        }
        case 'walrus': {
          const target = node.childForFieldName('name');
          const value = node.childForFieldName('value');
          if (target && value) scope.owner.bind(target.text, { kind: 'assign', index: node.startIndex, value, scope }, node);
          break;
        }
        case 'as': {
          // `with X as y` takes its value from X; `except E as e` and `case P as y` bind nothing the engine follows.
          const pattern = node.parent;
          const value = pattern?.type === 'as_pattern' && pattern.parent?.type === 'with_item' ? pattern.firstNamedChild : null;
          this.bindTargets(node.firstNamedChild, scope, value ?? undefined, value ? 'with' : undefined);
          break;
        }
        case 'global':
          for (const id of node.namedChildren) if (id?.type === 'identifier') scope.globals.add(id.text);
          break;
      }
    }
    // Scope names and parameters were bound in the first pass: order each name's bindings by position, as `pick`
    // expects (a binary search for the ones before a use).
    for (const scope of [this.module, ...ranges]) {
      for (const list of scope.bindings.values()) {
        if (list.some((b, i) => i > 0 && list[i - 1].index > b.index)) list.sort((a, b) => a.index - b.index);
      }
    }
  }

  /** The innermost scope whose range holds `index`; `ranges` is sorted by start. */
  private scopeAtIndex(ranges: Scope[], index: number): Scope {
    let lo = 0;
    let hi = ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[mid].start <= index) lo = mid + 1;
      else hi = mid;
    }
    for (let s: Scope | undefined = ranges[lo - 1]; s; s = s.parent) if (s.start <= index && index < s.end) return s;
    return this.module;
  }

  private bindImport(node: Node, scope: Scope): void {
    const index = node.startIndex;
    if (node.type === 'import_statement') {
      for (const n of node.childrenForFieldName('name')) {
        if (!n) continue;
        if (n.type === 'aliased_import') {
          const full = n.childForFieldName('name')?.text;
          const alias = n.childForFieldName('alias')?.text;
          if (full && alias) {
            scope.bind(alias, { kind: 'import', index, qname: full }, node);
            this.importedModules.add(full);
          }
        } else {
          // `import a.b.c` binds `a`, and `a.b.c` resolves through it.
          const full = n.text;
          const head = full.split('.')[0].trim();
          scope.bind(head, { kind: 'import', index, qname: head }, node);
          this.importedModules.add(full.replace(/\s+/g, ''));
        }
      }
      return;
    }
    const moduleNode = node.childForFieldName('module_name');
    if (!moduleNode) return;
    const mod = moduleNode.text.replace(/\s+/g, '');
    this.importedModules.add(mod);
    for (const n of node.childrenForFieldName('name')) {
      if (!n) continue;
      const nameNode = n.type === 'aliased_import' ? n.childForFieldName('name') : n;
      const local = n.type === 'aliased_import' ? n.childForFieldName('alias')?.text : n.text;
      if (!nameNode || !local) continue;
      const qname = mod.endsWith('.') ? mod + nameNode.text : `${mod}.${nameNode.text}`;
      scope.bind(local, { kind: 'import', index, qname }, node);
      this.importedModules.add(qname);
    }
  }

  private bindAssignment(node: Node, scope: Scope): void {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (!left) return;
    if (left.type === 'identifier' && right && right.type !== 'assignment') {
      scope.bind(left.text, { kind: 'assign', index: node.startIndex, value: right, scope }, node);
    } else if (left.type === 'identifier' && right?.type === 'assignment') {
      // a = b = "x": bind `a` to whatever `b` gets.
      const inner = right.childForFieldName('right');
      if (inner) scope.bind(left.text, { kind: 'assign', index: node.startIndex, value: inner, scope }, node);
    } else {
      this.bindTargets(left, scope, right ?? undefined, right ? 'unpack' : undefined);
    }
  }

  /** Binds the names in an assignment, `for` or `with` target; each takes its value from `origin`, if given. */
  private bindTargets(node: Node | null, scope: Scope, origin?: Node, via?: BindingVia): void {
    if (!node) return;
    if (node.type === 'identifier') {
      scope.bind(node.text, origin ? { kind: 'local', index: node.startIndex, origin, via } : { kind: 'local', index: node.startIndex });
      return;
    }
    if (node.type === 'attribute' || node.type === 'subscript') return;
    for (const child of node.namedChildren) this.bindTargets(child, scope, origin, via);
  }

  private bindParameters(params: Node, scope: Scope): void {
    // Parameters are bound in the function's scope; `param` tells them apart from other local names.
    for (const p of params.namedChildren) {
      if (!p) continue;
      let id: Node | null = null;
      if (p.type === 'identifier') id = p;
      else if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') id = p.childForFieldName('name');
      else id = p.namedChildren.find((n) => n?.type === 'identifier') ?? null;
      if (id) scope.bind(id.text, { kind: 'local', index: p.startIndex, param: true });
    }
  }

  // ---------------------------------------------------------------- lookup

  private readonly scopeByNode = new Map<number, Scope>();

  /** The innermost scope that holds `node`. */
  scopeAt(node: Node): Scope {
    for (let n: Node | null = node.parent; n; n = n.parent) {
      const s = this.scopeByNode.get(n.id);
      if (s) return s;
    }
    return this.module;
  }

  /** The scope a function, class or lambda body opens, or undefined when `node` is not one (or has no body). */
  scopeOfDefinition(node: Node): Scope | undefined {
    const body = node.childForFieldName('body');
    const scope = body ? this.scopeByNode.get(body.id) : undefined;
    return scope?.node.id === node.id ? scope : undefined;
  }

  /**
   * The bindings a use of `name` in `scope` can see, and the scope that holds them, found as Python looks names up
   * (class scopes are skipped from nested functions; `global` / `nonlocal` names go to the module). Undefined for an
   * unbound name (a builtin).
   */
  bindingsOf(name: string, scope: Scope): FoundBindings | undefined {
    // `global x` at module level is legal and changes nothing: only another scope is sent to the module.
    if (scope.globals.has(name) && scope !== this.module) return this.enclosingBindings(name, this.module);
    const list = scope.bindings.get(name);
    if (list) return { scope, bindings: list, own: true };
    return scope.parent ? this.enclosingBindings(name, scope.parent) : undefined;
  }

  /**
   * The bindings of `name` seen from a scope nested in `start`, searched from `start` outwards. Each answer is kept on
   * the scopes it passed, so that thousands of nested scopes do not each walk the whole chain again.
   */
  private enclosingBindings(name: string, start: Scope): FoundBindings | undefined {
    const visited: Scope[] = [];
    let found: FoundBindings | null = null;
    for (let s: Scope | undefined = start; s; ) {
      const known = s.enclosing.get(name);
      if (known !== undefined) {
        found = known;
        break;
      }
      visited.push(s);
      if (s.kind === 'class') {
        s = s.parent;
        continue;
      }
      if (s.globals.has(name) && s !== this.module) {
        s = this.module;
        continue;
      }
      const list = s.bindings.get(name);
      if (list) {
        found = { scope: s, bindings: list, own: false };
        break;
      }
      s = s.parent;
    }
    for (const s of visited) s.enclosing.set(name, found);
    return found ?? undefined;
  }

  /** Resolve a name as Python would from `scope` at byte offset `index`. */
  lookup(name: string, scope: Scope, index: number, depth = 0): Value {
    const found = this.bindingsOf(name, scope);
    // Unbound here: a builtin such as `open` or `eval` keeps its own name.
    if (!found) return { kind: 'ref', qname: name };
    return this.pick(found.bindings, found.own ? index : undefined, depth);
  }

  /**
   * The value a use at `index` sees. In the use's own scope the last binding before it stands when it always runs;
   * after a conditional one (if/else branches, try/except) the earlier candidates must agree. From an inner scope
   * (a function reading a module name later) every binding is a candidate.
   */
  private pick(list: Binding[], index: number | undefined, depth: number): Value {
    if (index !== undefined) {
      const reaching = reachingBindings(list, index);
      if (reaching === undefined) return UNKNOWN;
      if (reaching.length === 1) return this.bindingValue(reaching[0], depth);
      if (reaching.length) return this.combine(reaching, depth);
    }
    // Every binding is a candidate (a use from an inner scope): the same answer for every such use, so kept.
    let known = this.combined.get(list);
    if (!known) this.combined.set(list, (known = []));
    return (known[depth] ??= this.combine(list, depth));
  }


  private readonly combined = new WeakMap<Binding[], Value[]>();

  private combine(list: Binding[], depth: number): Value {
    if (list.length === 1) return this.bindingValue(list[0], depth);
    const values = list.map((b) => this.bindingValue(b, depth));
    const refs = values.filter((v) => v.kind === 'ref');
    // Conditional imports (`try: import cPickle as pickle / except: import pickle`, or `except: X = None`): the
    // import that stands last is what the code means when it runs.
    if (refs.length && values.every((v) => v.kind === 'ref' || v.kind === 'none')) return refs[refs.length - 1];
    const firstKey = JSON.stringify(values[0]);
    return values.every((v) => JSON.stringify(v) === firstKey) ? values[0] : UNKNOWN;
  }

  private bindingValue(b: Binding, depth: number): Value {
    switch (b.kind) {
      case 'import':
        return { kind: 'ref', qname: b.qname };
      case 'local':
        return LOCAL;
      case 'assign': {
        const known = b.values?.[depth];
        if (known) return known;
        const v = this.evaluate(b.value, b.scope, depth + 1, b.index);
        // An assigned name we cannot follow is still a local name: it shadows any import.
        const value = v.kind === 'unknown' ? LOCAL : v;
        (b.values ??= [])[depth] = value;
        return value;
      }
    }
  }

  // ---------------------------------------------------------------- evaluation

  /** The value of an expression as far as the engine can tell. */
  evaluate(node: Node, scope: Scope, depth = 0, at = node.startIndex): Value {
    if (depth > MAX_DEPTH) return UNKNOWN;
    switch (node.type) {
      case 'string':
        return stringValue(node);
      case 'concatenated_string': {
        let acc = '';
        for (const part of node.namedChildren) {
          if (!part) continue;
          const v = stringValue(part);
          if (v.kind !== 'str') return UNKNOWN;
          acc += v.value;
          if (!v.complete) return { kind: 'str', value: acc, complete: false };
        }
        return { kind: 'str', value: acc, complete: true };
      }
      case 'true':
        return { kind: 'bool', value: true };
      case 'false':
        return { kind: 'bool', value: false };
      case 'none':
        return { kind: 'none' };
      case 'integer':
      case 'float': {
        const n = Number(node.text.replace(/_/g, ''));
        return Number.isFinite(n) ? { kind: 'num', value: n } : UNKNOWN;
      }
      case 'parenthesized_expression': {
        const inner = node.firstNamedChild;
        return inner ? this.evaluate(inner, scope, depth + 1, at) : UNKNOWN;
      }
      case 'identifier':
        return this.lookup(node.text, scope, at, depth + 1);
      case 'attribute': {
        const obj = node.childForFieldName('object');
        const attr = node.childForFieldName('attribute');
        if (!obj || !attr) return UNKNOWN;
        const base = this.evaluate(obj, scope, depth + 1, at);
        return base.kind === 'ref' ? { kind: 'ref', qname: `${base.qname}.${attr.text}` } : UNKNOWN;
      }
      case 'call': {
        const fn = node.childForFieldName('function');
        if (!fn) return UNKNOWN;
        const callee = this.evaluate(fn, scope, depth + 1, at);
        return callee.kind === 'ref' ? { kind: 'ref', qname: `${callee.qname}()` } : UNKNOWN;
      }
      case 'binary_operator': {
        const op = node.childForFieldName('operator')?.text;
        const l = node.childForFieldName('left');
        const r = node.childForFieldName('right');
        if (!l || !r) return UNKNOWN;
        const lv = this.evaluate(l, scope, depth + 1, at);
        // `Path("x") / "y"` is still a path object: keep the instance.
        if (op === '/' && lv.kind === 'ref' && lv.qname.endsWith('()')) return lv;
        if (op !== '+') return UNKNOWN;
        if (lv.kind !== 'str') return UNKNOWN;
        if (!lv.complete) return lv;
        const rv = this.evaluate(r, scope, depth + 1, at);
        if (rv.kind === 'str') return { kind: 'str', value: lv.value + rv.value, complete: rv.complete };
        return { kind: 'str', value: lv.value, complete: false };
      }
      default:
        return UNKNOWN;
    }
  }

  /** The qualified name an expression refers to, if any. */
  qnameOf(node: Node, scope: Scope): string | undefined {
    const v = this.evaluate(node, scope);
    return v.kind === 'ref' ? v.qname : undefined;
  }

  /**
   * The local spelling that reaches `qname` from `scope` at offset `at` (`np.load` for `numpy.load`), for fixes that
   * insert a reference. Each candidate is checked by resolving it back at `at`, so a parameter or a later rebinding
   * that shadows the import is never proposed. Undefined when nothing visible there imports it.
   */
  spellingOf(qname: string, scope: Scope, at: number): string | undefined {
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      // The scope's imports of `qname` or of a module it is in (`b.qname === qname`, or `qname` starts with
      // `b.qname + '.'`), in the order of the scope's bindings: looked up, not scanned, as every fix asks again.
      const imports = this.importsOf(s);
      const candidates: ImportName[] = [...(imports.get(qname) ?? [])];
      for (let dot = qname.indexOf('.'); dot !== -1; dot = qname.indexOf('.', dot + 1)) candidates.push(...(imports.get(qname.slice(0, dot)) ?? []));
      candidates.sort((a, b) => a.rank - b.rank);
      for (const { name, qname: imported } of candidates) {
        const spelling = imported === qname ? name : name + qname.slice(imported.length);
        const [head, ...rest] = spelling.split('.');
        const v = this.lookup(head, scope, at);
        if (v.kind === 'ref' && [v.qname, ...rest].join('.') === qname) return spelling;
      }
    }
    return undefined;
  }

  private readonly importNames = new Map<Scope, Map<string, ImportName[]>>();

  /**
   * A scope's import bindings by the qualified name they import, each (name, qualified name) pair once, ranked in the
   * order of the scope's bindings (by name, then position). A pair met again would give the same spelling, checked
   * the same way: only its first occurrence matters.
   */
  private importsOf(scope: Scope): Map<string, ImportName[]> {
    let out = this.importNames.get(scope);
    if (out) return out;
    out = new Map();
    let rank = 0;
    for (const [name, list] of scope.bindings) {
      const seen = new Set<string>();
      for (const b of list) {
        if (b.kind !== 'import' || seen.has(b.qname)) continue;
        seen.add(b.qname);
        const entry: ImportName = { name, qname: b.qname, rank: rank++ };
        const same = out.get(b.qname);
        if (same) same.push(entry);
        else out.set(b.qname, [entry]);
      }
    }
    this.importNames.set(scope, out);
    return out;
  }
}

/** An import binding as `spellingOf` uses it: the local name, the qualified name, the rank among the scope's. */
interface ImportName {
  name: string;
  qname: string;
  rank: number;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

/** The value of one string literal; an f-string with interpolations gives its known prefix. */
export function stringValue(node: Node): Value {
  if (node.type !== 'string') return UNKNOWN;
  const start = node.firstChild;
  const prefix = start?.type === 'string_start' ? start.text.replace(/['"]/g, '').toLowerCase() : '';
  if (prefix.includes('b')) return UNKNOWN;
  const raw = prefix.includes('r');
  let value = '';
  for (const part of node.children) {
    if (!part) continue;
    if (part.type === 'interpolation') return { kind: 'str', value, complete: false };
    if (part.type === 'string_content') {
      value += raw ? part.text : part.text.replace(/\\(.)/gs, (m, ch: string) => SIMPLE_ESCAPES[ch] ?? m);
    } else if (part.type === 'escape_sequence') {
      value += raw ? part.text : (SIMPLE_ESCAPES[part.text.slice(1)] ?? part.text);
    }
  }
  return { kind: 'str', value, complete: true };
}
