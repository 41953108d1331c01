/**
 * The work a rule does on a file, counted instead of timed: a deterministic number that does not depend on the
 * machine, its load or the JIT, so that a test can compare the work on an input and on the same input twice as long.
 *
 * Counted, while `countWork` runs:
 * - every call of a tree-sitter `Node` method or getter from JavaScript, plus the nodes it hands back in an array
 *   (`descendantsOfType`, `children`, `namedChildren`) and one per 32 characters of a `text` it returns: a walk of the
 *   tree or of the file's text, done once per call site, shows up as work proportional to the file for each call;
 * - every element read from the semantic model's lists, through counting proxies put on them by `countModel`: the
 *   file's calls, each scope's calls and each name's bindings. A rule that filters a name's bindings, or scans the
 *   scope's calls, at each use shows up as well;
 * - every `evaluate` of the model.
 * Rules do almost all their work through these; a loop that touches none of them costs what its body costs, which is
 * counted. Hot spots of issue 8 (a walk of the whole tree, the module's statements, a scope's calls or a name's
 * bindings once per call site) each cost a count proportional to the file at every call.
 */
import { Node } from 'web-tree-sitter';
import { parseBefore, timeLimitMs } from '../../server/src/engine/parser';
import { RuleContext, type Rule } from '../../server/src/engine/rule';
import { SemanticModel, type Scope } from '../../server/src/engine/semantic';

let counter = 0;
let counting = false;

const isIndex = (p: string | symbol): boolean => typeof p === 'string' && p.length > 0 && p.charCodeAt(0) >= 48 && p.charCodeAt(0) <= 57;

function counted<T>(list: T[]): T[] {
  return new Proxy(list, {
    get(target, prop, receiver) {
      if (counting && isIndex(prop)) counter++;
      return Reflect.get(target, prop, receiver);
    },
  });
}

function cost(result: unknown): number {
  if (Array.isArray(result)) return 1 + result.length;
  if (typeof result === 'string') return 1 + (result.length >> 5);
  return 1;
}

/**
 * Put counting proxies on the model's lists and count its `evaluate` calls. Call it right after building the model,
 * before any rule (or lookup) has run, so that every holder of a list holds the proxy.
 */
export function countModel(model: SemanticModel): void {
  const scopes = new Set<Scope>([model.module]);
  // The scopes are known to the model by the node of their body; the field is private to the engine, not to a test.
  const byNode = (model as unknown as { scopeByNode?: Map<number, Scope> }).scopeByNode;
  if (!(byNode instanceof Map)) throw new Error('SemanticModel.scopeByNode is gone: update test/fuzz/work.ts');
  for (const s of byNode.values()) scopes.add(s);
  for (const s of scopes) {
    (s as { calls: unknown }).calls = counted(s.calls);
    for (const [name, list] of s.bindings) s.bindings.set(name, counted(list));
  }
  (model as { calls: unknown }).calls = counted(model.calls);
  const evaluate = model.evaluate;
  model.evaluate = function (this: SemanticModel, ...args: Parameters<SemanticModel['evaluate']>) {
    if (counting) counter++;
    return evaluate.apply(this, args);
  };
}

/** Run `f` and count its work (see above): tree-sitter node calls, reads of the model's lists, evaluations. */
export function countWork(f: () => void): number {
  const proto = Node.prototype as unknown as Record<string, unknown>;
  const saved = new Map<string, PropertyDescriptor>();
  for (const key of Object.getOwnPropertyNames(proto)) {
    if (key === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(proto, key);
    if (!d || !d.configurable) continue;
    saved.set(key, d);
    if (d.get) {
      const get = d.get;
      Object.defineProperty(proto, key, {
        ...d,
        get(this: unknown) {
          const r = get.call(this);
          if (counting) counter += cost(r);
          return r;
        },
      });
    } else if (typeof d.value === 'function') {
      const fn = d.value as (...a: unknown[]) => unknown;
      Object.defineProperty(proto, key, {
        ...d,
        value(this: unknown, ...a: unknown[]) {
          const r = fn.apply(this, a);
          if (counting) counter += cost(r);
          return r;
        },
      });
    }
  }
  const before = counter;
  counting = true;
  try {
    f();
  } finally {
    counting = false;
    for (const [key, d] of saved) Object.defineProperty(proto, key, d);
  }
  return counter - before;
}

/** The work of one rule's check on `text`, on a model of its own (what another rule memoised is not shared). */
export function ruleWork(rule: Rule, text: string): number {
  // No time limit that matters: counting makes the engine slower, and the count is what is asked for.
  const deadline = () => performance.now() + 100 * timeLimitMs(text.length);
  const tree = parseBefore(text, deadline());
  if (!tree) throw new Error('parse timed out');
  try {
    const model = new SemanticModel(tree, text, deadline());
    countModel(model);
    const ctx = new RuleContext(rule, model, 'fuzz.py');
    return countWork(() => rule.check?.(ctx));
  } finally {
    tree.delete();
  }
}
