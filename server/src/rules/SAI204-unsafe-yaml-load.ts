import { replaceNode, setKeywordArgument } from '../engine/edits';
import type { Node } from '../engine/parser';
import type { Rule, RuleContext } from '../engine/rule';
import type { CallSite, Scope, SemanticModel } from '../engine/semantic';
import type { Confidence, Fix } from '../engine/types';

/** What a loader does with tagged YAML, in increasing order of risk. */
type Verdict = 'safe' | 'unknown' | 'full' | 'unsafe';
const RANK: Record<Verdict, number> = { safe: 0, unknown: 1, full: 2, unsafe: 3 };
const worst = (a: Verdict, b: Verdict): Verdict => (RANK[a] >= RANK[b] ? a : b);

/** PyYAML's loader classes by qualified name, as exported from `yaml`, `yaml.loader` and `yaml.cyaml`. */
const LOADER_CLASSES = new Map<string, Verdict>();
for (const [name, verdict] of [
  ['BaseLoader', 'safe'],
  ['SafeLoader', 'safe'],
  ['FullLoader', 'full'],
  ['Loader', 'unsafe'],
  ['UnsafeLoader', 'unsafe'],
] as Array<[string, Verdict]>) {
  for (const mod of ['yaml', 'yaml.loader']) LOADER_CLASSES.set(`${mod}.${name}`, verdict);
  for (const mod of ['yaml', 'yaml.cyaml']) LOADER_CLASSES.set(`${mod}.C${name}`, verdict);
}
const LOADER_MODULES = new Set(['yaml', 'yaml.loader', 'yaml.cyaml']);

/** Functions that take a `Loader` (position 1). */
const WITH_LOADER = new Set(['yaml.load', 'yaml.load_all']);

/** Functions whose loader is fixed and not safe. */
const FIXED_LOADER = new Map<string, { verdict: Verdict; safe: string }>([
  ['yaml.unsafe_load', { verdict: 'unsafe', safe: 'safe_load' }],
  ['yaml.unsafe_load_all', { verdict: 'unsafe', safe: 'safe_load_all' }],
  ['yaml.full_load', { verdict: 'full', safe: 'safe_load' }],
  ['yaml.full_load_all', { verdict: 'full', safe: 'safe_load_all' }],
]);

const MAX_DEPTH = 8;

/**
 * What the loader expression `node` is: resolved by qualified name (never by spelling), through constants,
 * conditional expressions, `getattr(yaml, "CSafeLoader", yaml.SafeLoader)` and the bases of a class defined in
 * the file. `undefined` means no loader at all (`None`).
 */
function classify(node: Node, scope: Scope, model: SemanticModel, depth = 0): Verdict | undefined {
  if (depth > MAX_DEPTH) return 'unknown';
  if (node.type === 'parenthesized_expression' && node.firstNamedChild) return classify(node.firstNamedChild, scope, model, depth + 1);
  if (node.type === 'conditional_expression') {
    const [a, , b] = node.namedChildren;
    if (!a || !b) return 'unknown';
    return worst(classify(a, scope, model, depth + 1) ?? 'unknown', classify(b, scope, model, depth + 1) ?? 'unknown');
  }
  const v = model.evaluate(node, scope);
  switch (v.kind) {
    case 'none':
      return undefined;
    case 'ref':
      if (v.qname === 'getattr()' && node.type === 'call') return classifyGetattr(node, scope, model, depth);
      return LOADER_CLASSES.get(v.qname) ?? 'unknown';
    case 'local':
      return node.type === 'identifier' ? classifyLocalClass(node, scope, model, depth) : 'unknown';
    default:
      return 'unknown';
  }
}

/** `getattr(yaml, "CSafeLoader", yaml.SafeLoader)`: the named loader, or the default, whichever is worse. */
function classifyGetattr(node: Node, scope: Scope, model: SemanticModel, depth: number): Verdict {
  const args = node.childForFieldName('arguments');
  const items = args?.type === 'argument_list' ? args.namedChildren.filter((n): n is Node => !!n && n.type !== 'comment') : [];
  if (items.length < 2 || items.length > 3 || items.some((n) => n.type === 'keyword_argument')) return 'unknown';
  const mod = model.qnameOf(items[0], scope);
  const name = model.evaluate(items[1], scope);
  if (!mod || !LOADER_MODULES.has(mod) || name.kind !== 'str' || !name.complete) return 'unknown';
  const named = LOADER_CLASSES.get(`${mod}.${name.value}`) ?? 'unknown';
  return items[2] ? worst(named, classify(items[2], scope, model, depth + 1) ?? 'unknown') : named;
}

const classIndex = new WeakMap<SemanticModel, Map<string, Map<Scope, Node[]>>>();

/** The file's class definitions by name and by the scope that holds them: found in one walk of the tree per file. */
function classesNamed(model: SemanticModel, name: string): Map<Scope, Node[]> | undefined {
  let index = classIndex.get(model);
  if (!index) {
    index = new Map();
    for (const c of model.tree.rootNode.descendantsOfType('class_definition')) {
      const n = c?.childForFieldName('name')?.text;
      if (!c || n === undefined) continue;
      let byScope = index.get(n);
      if (!byScope) index.set(n, (byScope = new Map()));
      const scope = model.scopeAt(c);
      const list = byScope.get(scope);
      if (list) list.push(c);
      else byScope.set(scope, [c]);
    }
    classIndex.set(model, index);
  }
  return index.get(name);
}

/** A loader class defined in this file (`class Strict(yaml.SafeLoader): ...`) is as safe as its worst base. */
function classifyLocalClass(id: Node, scope: Scope, model: SemanticModel, depth: number): Verdict {
  // The classes of that name in a scope the use can see: exactly one, or the loader is unknown.
  const byScope = classesNamed(model, id.text);
  const candidates: Node[] = [];
  for (let s: Scope | undefined = scope; s && byScope; s = s.parent) candidates.push(...(byScope.get(s) ?? []).slice(0, 2));
  if (candidates.length !== 1) return 'unknown';
  const cls = candidates[0];
  const bases = (cls.childForFieldName('superclasses')?.namedChildren ?? []).filter(
    (n): n is Node => !!n && n.type !== 'comment' && n.type !== 'keyword_argument',
  );
  if (bases.length === 0) return 'unknown';
  const outer = model.scopeAt(cls);
  return bases.map((b) => classify(b, outer, model, depth + 1) ?? 'unknown').reduce(worst);
}

/** How to write `yaml.SafeLoader` (or `yaml.CSafeLoader` when only that is imported) at the call. */
function safeLoaderSpelling(call: CallSite): string | undefined {
  for (const target of ['yaml.SafeLoader', 'yaml.CSafeLoader']) {
    const spelling = call.model.spellingOf(target, call.scope, call.node.startIndex);
    if (spelling) return spelling;
  }
  return undefined;
}

function describe(verdict: Verdict): string {
  return verdict === 'full'
    ? 'builds Python objects from YAML tags and has had code-execution bypasses, so a malicious document may run code.'
    : 'constructs arbitrary Python objects from YAML tags, so a malicious document runs arbitrary code.';
}

const confidenceOf = (verdict: Verdict): Confidence => (verdict === 'full' ? 'medium' : 'high');

function checkFixedLoader(ctx: RuleContext, call: CallSite, qname: string, verdict: Verdict, safe: string): void {
  let fix: Fix | undefined;
  const f = call.functionNode;
  const attr = f?.type === 'attribute' ? f.childForFieldName('attribute') : null;
  const obj = f?.type === 'attribute' ? f.childForFieldName('object') : null;
  if (attr && obj && ctx.model.qnameOf(obj, call.scope) === 'yaml') {
    fix = { title: `Replace \`${attr.text}\` with \`${safe}\``, safety: 'unsafe', edits: [replaceNode(attr, safe)] };
  }
  const how = verdict === 'full' ? `uses \`FullLoader\`, which ${describe(verdict)}` : describe(verdict);
  ctx.report({ node: call.node, confidence: confidenceOf(verdict), message: `\`${qname}\` ${how}`, fix });
}

function checkLoaderArgument(ctx: RuleContext, call: CallSite, qname: string): void {
  const node = call.arg('Loader', 1);
  const verdict = node ? classify(node, call.scope, ctx.model) : undefined;
  if (verdict === 'safe') return;
  if (verdict === 'unknown') {
    // A loader held in a parameter or built elsewhere: worth a look, but no fix and low confidence.
    ctx.report({
      node: node ?? call.node,
      confidence: 'low',
      message:
        `\`${qname}\` with a loader that cannot be resolved may build Python objects from YAML tags, so unless it is ` +
        '`yaml.SafeLoader` a malicious document can run arbitrary code.',
    });
    return;
  }
  const spelling = safeLoaderSpelling(call);
  if (verdict === undefined) {
    // No loader, or `Loader=None`: PyYAML before 6.0 falls back to `FullLoader` (5.1-5.4) or `Loader` (older).
    const maybePassed = !node && call.mayPass('Loader', 1);
    const edit = spelling && !maybePassed ? (node ? replaceNode(node, spelling) : setKeywordArgument(call, 'Loader', spelling)) : undefined;
    ctx.report({
      node: node ?? call.node,
      confidence: maybePassed ? 'low' : 'high',
      message:
        `\`${qname}\` without a safe \`Loader\` builds Python objects from YAML tags on PyYAML before 6.0, so a ` +
        'malicious document can run arbitrary code.',
      fix: edit ? { title: node ? `Use \`${spelling}\`` : `Add \`Loader=${spelling}\``, safety: 'unsafe', edits: [edit] } : undefined,
    });
    return;
  }
  if (!node) return; // unreachable: a verdict other than `undefined` needs a loader node
  const loaderName = ctx.model.qnameOf(node, call.scope);
  const what =
    loaderName && LOADER_CLASSES.has(loaderName)
      ? `\`${loaderName}\``
      : verdict === 'full'
        ? 'a `FullLoader`-based loader'
        : 'an unsafe loader';
  ctx.report({
    node,
    confidence: confidenceOf(verdict),
    message: `\`${qname}\` with ${what} ${describe(verdict)}`,
    fix: spelling ? { title: `Use \`${spelling}\``, safety: 'unsafe', edits: [replaceNode(node, spelling)] } : undefined,
  });
}

export const rule: Rule = {
  id: 'SAI204',
  name: 'unsafe-yaml-load',
  hazard: '`yaml.load` without a safe loader',
  severity: 'warning',
  confidence: 'high',
  guidelines: ['NCSC-1.3', 'NCSC-2.1', 'OWASP-ML06', 'OWASP-LLM03:2025', 'AML.T0011.000', 'AML.T0018.002', 'CWE-502'],
  message: '`yaml.load` without `yaml.SafeLoader` constructs Python objects from YAML tags, so a malicious document runs arbitrary code.',
  triggers: ['load', 'load_all', 'unsafe_load', 'unsafe_load_all', 'full_load', 'full_load_all'],
  requires: ['yaml'],
  docs: {
    why:
      "PyYAML's full and unsafe loaders turn tags such as `!!python/object/apply:os.system` into Python objects " +
      'and calls, so reading a YAML file with them is running whatever the file names. Model configs, training ' +
      'recipes and dataset cards are YAML, and they are downloaded with the model. `yaml.unsafe_load` and ' +
      '`Loader=yaml.Loader` / `yaml.UnsafeLoader` (and their `C` twins) execute code outright; `FullLoader` ' +
      '(`yaml.full_load`) still builds Python objects and had code-execution bypasses until PyYAML 5.4 ' +
      '(CVE-2020-1747, CVE-2020-14343); `yaml.load` without a loader used those loaders by default before PyYAML ' +
      '6.0. Only `SafeLoader`, `CSafeLoader` and `BaseLoader` keep to plain data. Loaders are recognised by what ' +
      'they are, not by their local name, and a loader class defined in the file counts as its bases. The NCSC ' +
      'guidelines ask that third-party models and their artefacts be treated as untrusted with secure defaults ' +
      '(NCSC 1.3) and that the supply chain be secured (NCSC 2.1). The fix switches to `SafeLoader` / ' +
      '`safe_load`; it is marked unsafe because documents that rely on custom Python tags will stop loading.',
    example:
      'import yaml\n\nconfig = yaml.load(open("config.yaml"), Loader=yaml.Loader)\nrecipe = yaml.full_load(text)\n' +
      'docs = list(yaml.load_all(stream, Loader=yaml.UnsafeLoader))',
    useInstead:
      'import yaml\n\nconfig = yaml.safe_load(open("config.yaml"))\nrecipe = yaml.load(text, Loader=yaml.SafeLoader)\n' +
      'docs = list(yaml.safe_load_all(stream))',
    references: [
      'https://pyyaml.org/wiki/PyYAMLDocumentation',
      'https://github.com/yaml/pyyaml/wiki/PyYAML-yaml.load(input)-Deprecation',
      'https://nvd.nist.gov/vuln/detail/CVE-2020-14343',
      'https://cwe.mitre.org/data/definitions/502.html',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    for (const call of ctx.callsNamed('load', 'load_all', 'unsafe_load', 'unsafe_load_all', 'full_load', 'full_load_all')) {
      const qname = call.qname;
      if (!qname) continue;
      const fixed = FIXED_LOADER.get(qname);
      if (fixed) checkFixedLoader(ctx, call, qname, fixed.verdict, fixed.safe);
      else if (WITH_LOADER.has(qname)) checkLoaderArgument(ctx, call, qname);
    }
  },
};
