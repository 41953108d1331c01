/**
 * LLM applications: which calls ask a language model for text, and where a value flows inside one function.
 *
 * The flow analysis (`Tainter`) is deliberately local. It follows a value from its source through assignments
 * (plain, tuple, augmented, walrus), `for` and `with ... as` targets, attribute and subscript reads, method calls on
 * the value, string building (f-strings, `%`, `+`, `.format`, `.join`) and containers, all within the function (or
 * module) that holds the use. It never follows a name into another function or from the module into a function:
 * a flow it cannot see is a flow it does not report. Passing through a call it does not know lowers the level, so a
 * rule reports such flows with less confidence; parsers that turn text into data (`json.loads`, `ast.literal_eval`)
 * and escaping functions end the flow.
 *
 * Pure helpers over the semantic model: no rule state, no reporting.
 */
import type { Node } from '../engine/parser';
import { reachingBindings, type Binding, type CallSite, type Scope, type SemanticModel } from '../engine/semantic';
import type { Confidence } from '../engine/types';
import { callAt } from './provenance';

/** Module names of LLM clients and frameworks, as prefilter words (regular expressions allowed). */
export const LLM_MODULE_WORDS = [
  'openai', 'anthropic', 'groq', 'mistralai', 'together', 'cohere', 'ollama', 'litellm', 'google', 'vertexai',
  'llama_cpp', 'vllm', 'langchain\\w*', 'langgraph', 'llama_index', 'huggingface_hub', 'replicate', 'transformers',
  'agents', 'boto3',
];

/** Qualified-name prefixes of LLM libraries. */
export const LLM_LIBRARY =
  /^(openai|anthropic|groq|mistralai|together|cohere|ollama|litellm|google\.generativeai|google\.genai|vertexai|llama_cpp|vllm|langchain\w*|langgraph|llama_index|huggingface_hub|replicate|fireworks|pydantic_ai|agents|autogen\w*|crewai|smolagents)(\.|$)/;

/** Callee spellings that are LLM calls whatever the receiver is (a client passed in, `self.client`). */
const DISTINCTIVE_CHAIN =
  /(^|\.)(chat\.completions\.(create|parse|acreate)|completions\.(create|acreate)|generate_content(_async)?|create_chat_completion|create_completion|chat\.complete(_async)?|text_generation|chat_completion)$/;

/** Resolved qualified names of LLM calls. */
const LLM_QNAMES: RegExp[] = [
  /^openai\.(ChatCompletion|Completion)\.a?create$/,
  /^openai\.(Async)?(Azure)?OpenAI\(\)\.(chat\.completions|completions|responses|beta\.chat\.completions)\.(create|parse)$/,
  /^anthropic\.(Async)?(Anthropic|AnthropicBedrock|AnthropicVertex)\(\)\.(messages|completions|beta\.messages)\.(create|stream)$/,
  /^ollama(\.(Async)?Client\(\))?\.(chat|generate)$/,
  /^litellm\.(a?completion|text_completion)$/,
  /^replicate\.run$/,
  /^cohere\.(Async)?Client(V2)?\(\)\.(chat|generate)$/,
  /^vllm\.LLM\(\)\.(generate|chat)$/,
  /^llama_cpp\.Llama\(\)$/,
  /^transformers\.pipeline\(\)$/,
  /^transformers\.\w+\.from_pretrained\(\)\.generate$/,
  /^(langchain\w*|langgraph|llama_index)\.[\w.]*\(\)\.(invoke|ainvoke|run|arun|predict|apredict|stream|astream|batch|abatch|query|aquery|chat|achat|complete|acomplete)$/,
  /^(langchain\w*|llama_index)\.[\w.]*\(\)$/,
  /^agents\.Runner\.run(_sync)?$/,
  /^boto3\.client\(\)\.(invoke_model|converse)$/,
];

const LANGCHAIN_METHODS = /^(invoke|ainvoke|stream|astream|batch|abatch)$/;
const NAMED_RUNNER_METHODS = /^(run|arun|predict|apredict|query|aquery|chat|achat|complete|acomplete)$/;
const RUNNER_NAME = /llm|chain|agent|chat|engine|bot|qa|executor/i;

/** The callee as a message shows it: argument lists emptied (`ChatOpenAI().invoke`), kept short. */
function spelled(node: Node): string {
  const render = (n: Node | null, depth: number): string => {
    if (!n || depth > 12) return '…';
    switch (n.type) {
      case 'identifier':
        return n.text;
      case 'attribute':
        return `${render(n.childForFieldName('object'), depth + 1)}.${n.childForFieldName('attribute')?.text ?? ''}`;
      case 'call':
        return `${render(n.childForFieldName('function'), depth + 1)}()`;
      case 'subscript':
        return `${render(n.childForFieldName('value'), depth + 1)}[…]`;
      case 'parenthesized_expression':
        return `(${render(n.firstNamedChild, depth + 1)})`;
      case 'binary_operator':
        return `${render(n.childForFieldName('left'), depth + 1)} ${n.childForFieldName('operator')?.text ?? ''} ${render(n.childForFieldName('right'), depth + 1)}`;
      case 'await':
        return render(n.firstNamedChild, depth + 1);
      default:
        return '…';
    }
  };
  return render(node, 0);
}

/** A callee for a message: `ChatOpenAI().invoke`, `client.chat.completions.create`. */
export function calleeDisplay(node: Node): string {
  return shortened(spelled(node));
}

function shortened(text: string): string {
  return text.length > 60 ? `…${text.slice(-59)}` : text;
}

/** Libraries whose `invoke` / `run` are not a language model's (AWS Lambda, processes, HTTP). */
const NOT_LLM = /^(boto3|botocore|aiobotocore|subprocess|requests|httpx|asyncio|concurrent|multiprocessing|threading)\./;

function importsLangchain(model: SemanticModel): boolean {
  for (const m of model.importedModules) if (/^(langchain\w*|langgraph|llama_index)(\.|$)/.test(m)) return true;
  return false;
}

/** The last name of a receiver chain: `llm` in `self.llm.invoke`. */
function receiverName(fn: Node): string | undefined {
  if (fn.type !== 'attribute') return undefined;
  const obj = fn.childForFieldName('object');
  if (!obj) return undefined;
  if (obj.type === 'identifier') return obj.text;
  if (obj.type === 'attribute') return obj.childForFieldName('attribute')?.text;
  return undefined;
}

/**
 * The callee as written (`client.chat.completions.create`) when the call asks a language model for output,
 * else undefined. Resolved names are matched against the clients' APIs; unresolved receivers count only for
 * spellings no other library uses, or when the file imports the framework the method belongs to.
 */
export function llmCall(site: CallSite): string | undefined {
  const fn = site.functionNode;
  if (!fn) return undefined;
  const text = spelled(fn);
  const q = site.qname;
  if (q && LLM_QNAMES.some((re) => re.test(q))) return shortened(text);
  if (DISTINCTIVE_CHAIN.test(text) && fn.type === 'attribute') return shortened(text);
  if (q && LLM_LIBRARY.test(q)) return undefined; // something else of an LLM library (a constructor, a helper)
  const model = site.model;
  if (fn.type !== 'attribute') return undefined;
  if (/(^|\.)responses\.(create|parse)$/.test(text) && model.imports('openai')) return shortened(text);
  if (/(^|\.)messages\.(create|stream)$/.test(text) && model.imports('anthropic')) return shortened(text);
  // An unresolved receiver (`chain = prompt | llm`, `self.llm`), or one imported from the project's own modules.
  if (!q || !NOT_LLM.test(q)) {
    if (LANGCHAIN_METHODS.test(site.name) && importsLangchain(model)) return shortened(text);
    const receiver = receiverName(fn);
    if (NAMED_RUNNER_METHODS.test(site.name) && receiver && RUNNER_NAME.test(receiver) && importsLangchain(model)) return shortened(text);
  }
  return undefined;
}

// ------------------------------------------------------------------ taint

/** How sure a flow is: 3 direct, 2 through a call the analysis does not know, 1 guessed. */
export type Level = 1 | 2 | 3;

export interface Taint {
  level: Level;
  /** The source, as a message names it. */
  what: string;
  /** The value was combined with other text on the way (formatting, concatenation, joining). */
  built: boolean;
}

export interface TaintSpec {
  /** The description of the untrusted data this expression produces itself (an LLM call, `flask.request`). */
  source(node: Node, scope: Scope): string | undefined;
  /** The description of a parameter of `scope` that carries untrusted data. */
  parameter?(name: string, scope: Scope): string | undefined;
  /**
   * Calls the analysis does not know end the flow instead of lowering its level: for sources whose danger is the
   * text itself (a retriever called with the user's question returns documents, not the question).
   */
  opaqueCalls?: boolean;
}

export function confidenceOf(level: Level): Confidence {
  return level === 3 ? 'high' : level === 2 ? 'medium' : 'low';
}

/** Calls whose result is data, not the text that went in: the flow stops there. */
const SANITIZERS = new Set([
  'json.loads', 'json.load', 'ast.literal_eval', 'int', 'float', 'bool', 'len', 'shlex.quote', 'pipes.quote',
  'html.escape', 're.escape', 'urllib.parse.quote', 'urllib.parse.quote_plus', 'isinstance', 'hash', 'type', 'id',
  'markupsafe.escape', 'bleach.clean', 'orjson.loads', 'ujson.loads', 'yaml.safe_load',
]);
/** Local helpers named like this claim to check or clean their input: taken at their word. */
const SANITIZER_NAME = /saniti[sz]|escape|quote|validat|allowlist|whitelist|safe_|is_safe|literal_eval/i;

/** Functions that hand their text argument on, as text. */
const TRANSPARENT = new Set([
  'str', 'repr', 'format', 'list', 'tuple', 'next', 'iter', 'reversed', 'sorted', 'compile', 'getattr',
  'textwrap.dedent', 'textwrap.indent', 're.sub', 're.search', 're.match', 're.fullmatch', 're.findall',
  're.finditer', 're.split', 'base64.b64decode', 'codecs.decode', 'sqlalchemy.text', 'sqlalchemy.sql.text',
  'sqlalchemy.sql.expression.text',
]);
/** Methods that hand a text argument on (`"\n".join(parts)`, `tokenizer.decode(ids)`, `template.format(x=...)`). */
const TRANSPARENT_METHODS = new Set([
  'join', 'format', 'format_map', 'decode', 'batch_decode', 'convert_tokens_to_string', 'sub', 'search', 'match',
  'fullmatch', 'findall', 'finditer', 'extend', 'append',
]);
const BUILDING_METHODS = new Set(['join', 'format', 'format_map']);
/** Methods whose arguments are keys into the receiver: `ALLOWED.get(choice)` is one of the receiver's values. */
const KEY_METHODS = new Set(['get', 'pop', 'setdefault', 'index', 'count', 'startswith', 'endswith', '__contains__', '__getitem__']);

const MAX_DEPTH = 40;

function stronger(a: Taint | undefined, b: Taint | undefined): Taint | undefined {
  if (!a) return b;
  if (!b) return a;
  if (b.level !== a.level) return b.level > a.level ? b : a;
  return b.built && !a.built ? b : a;
}

function capped(t: Taint | undefined, level: Level): Taint | undefined {
  return t && t.level > level ? { ...t, level } : t;
}

function built(t: Taint | undefined): Taint | undefined {
  return t && !t.built ? { ...t, built: true } : t;
}

/** The untrusted data an expression may carry, within its function. */
export class Tainter {
  private readonly memo = new Map<string, Taint | null>();
  private readonly active = new Set<string>();

  constructor(
    readonly model: SemanticModel,
    readonly spec: TaintSpec,
  ) {}

  of(node: Node, at = node.startIndex, depth = 0): Taint | undefined {
    const key = `${node.id}@${at}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known ?? undefined;
    if (this.active.has(key) || depth > MAX_DEPTH) return undefined;
    this.active.add(key);
    let t: Taint | undefined;
    try {
      t = this.compute(node, at, depth + 1);
    } finally {
      this.active.delete(key);
    }
    this.memo.set(key, t ?? null);
    return t;
  }

  private compute(node: Node, at: number, depth: number): Taint | undefined {
    const scope = this.model.scopeAt(node);
    const what = this.spec.source(node, scope);
    if (what) return { level: 3, what, built: false };
    const sub = (n: Node | null | undefined) => (n ? this.of(n, at, depth) : undefined);
    const all = (nodes: Array<Node | null>) => nodes.reduce<Taint | undefined>((acc, n) => stronger(acc, sub(n)), undefined);
    switch (node.type) {
      case 'identifier':
        return this.name(node.text, scope, at, depth);
      case 'attribute':
        return sub(node.childForFieldName('object'));
      case 'subscript':
        return sub(node.childForFieldName('value'));
      case 'named_expression':
        return sub(node.childForFieldName('value'));
      case 'await':
      case 'parenthesized_expression':
      case 'keyword_argument':
      case 'list_splat':
      case 'dictionary_splat':
      case 'pair':
        return node.type === 'keyword_argument' || node.type === 'pair'
          ? sub(node.childForFieldName('value'))
          : sub(node.firstNamedChild);
      case 'string': {
        const parts = node.namedChildren.filter((c): c is Node => c?.type === 'interpolation');
        const t = all(parts.map((p) => p.childForFieldName('expression')));
        const text = node.namedChildren.some((c) => c?.type === 'string_content' && c.text.trim() !== '');
        return text ? built(t) : t;
      }
      case 'concatenated_string':
      case 'binary_operator':
        return built(all(node.namedChildren));
      case 'boolean_operator':
      case 'list':
      case 'tuple':
      case 'set':
      case 'expression_list':
      case 'dictionary':
        return all(node.namedChildren);
      case 'conditional_expression': {
        const [a, , b] = node.namedChildren;
        return all([a ?? null, b ?? null]);
      }
      case 'list_comprehension':
      case 'set_comprehension':
      case 'generator_expression':
      case 'dictionary_comprehension':
        return sub(node.childForFieldName('body'));
      case 'call':
        return this.call(node, at, depth);
      default:
        return undefined;
    }
  }

  private call(node: Node, at: number, depth: number): Taint | undefined {
    const fn = node.childForFieldName('function');
    const site = callAt(this.model, node);
    const q = site?.qname;
    const name = site?.name ?? '';
    if (q && SANITIZERS.has(q)) return undefined;
    if (name && SANITIZER_NAME.test(name)) return undefined;
    const receiver = fn?.type === 'attribute' ? fn.childForFieldName('object') : undefined;
    // A method of the value itself (`answer.strip()`, `match.group(1)`): still that value.
    const own = receiver ? this.of(receiver, at, depth) : undefined;
    const args = node.childForFieldName('arguments');
    let passed: Taint | undefined;
    if (args) for (const a of args.namedChildren) if (a && a.type !== 'comment') passed = stronger(passed, this.of(a, at, depth));
    if (passed) {
      if (q && TRANSPARENT.has(q)) passed = q === 'format' ? built(passed) : passed;
      else if (receiver && TRANSPARENT_METHODS.has(name)) passed = BUILDING_METHODS.has(name) ? built(passed) : passed;
      else if (receiver && KEY_METHODS.has(name)) passed = undefined;
      else passed = this.spec.opaqueCalls ? undefined : capped(passed, 2);
    }
    return stronger(own, passed);
  }

  /** A name's taint at `at`: the bindings that can reach the use, within the same function. */
  private name(name: string, scope: Scope, at: number, depth: number): Taint | undefined {
    const found = this.model.bindingsOf(name, scope);
    if (!found || found.scope.owner !== scope.owner) return undefined;
    let chosen: Binding[];
    if (found.scope.kind === 'comprehension') {
      chosen = found.bindings; // loop variables are bound after the body in the text
    } else {
      const reaching = reachingBindings(found.bindings, at);
      if (!reaching?.length) return undefined;
      chosen = reaching;
    }
    let t: Taint | undefined;
    for (const b of chosen) t = stronger(t, this.binding(name, b, found.scope, depth));
    return t;
  }

  private binding(name: string, b: Binding, scope: Scope, depth: number): Taint | undefined {
    switch (b.kind) {
      case 'import':
        return undefined;
      case 'assign':
        return this.of(b.value, b.index, depth);
      case 'local': {
        if (b.param) return this.spec.parameter ? paramTaint(this.spec.parameter(name, scope)) : undefined;
        // A `for`, `with ... as`, unpacking or augmented target: its value is read where the statement (or the
        // `with` item) starts, before the name is bound.
        const origin = b.origin;
        const at = origin?.parent?.startIndex;
        if (!origin || at === undefined) return undefined;
        const t = this.of(origin, at, depth);
        return b.via === 'augmented' ? built(stronger(t, this.name(name, scope, at, depth))) : t;
      }
    }
  }
}

function paramTaint(what: string | undefined): Taint | undefined {
  return what ? { level: 3, what, built: false } : undefined;
}

// ------------------------------------------------------------------ small shared helpers

/** The function definition a name refers to, when it is a `def` in this file. */
export function definitionOf(model: SemanticModel, node: Node): Node | undefined {
  if (node.type === 'lambda') return node;
  if (node.type !== 'identifier') return undefined;
  const found = model.bindingsOf(node.text, model.scopeAt(node));
  if (!found) return undefined;
  // The same for every use that sees these bindings: found once per list (a name defined n times, called n times).
  let def = definitions.get(found.bindings);
  if (def === undefined) definitions.set(found.bindings, (def = firstDefinition(model, found.bindings) ?? null));
  return def ?? undefined;
}

const definitions = new WeakMap<Binding[], Node | null>();

function firstDefinition(model: SemanticModel, bindings: Binding[]): Node | undefined {
  for (const b of bindings) {
    if (b.kind !== 'local' || b.param) continue;
    const leaf = model.tree.rootNode.descendantForIndex(b.index);
    for (let n: Node | null = leaf; n; n = n.parent) {
      if (n.type === 'function_definition' && n.startIndex === b.index) return n;
      if (n.startIndex !== b.index) break;
    }
  }
  return undefined;
}

/** Parameter names of a function definition or lambda, with the parameter nodes. */
export function parametersOf(def: Node): Array<{ name: string; node: Node }> {
  const params = def.childForFieldName('parameters');
  if (!params) return [];
  const out: Array<{ name: string; node: Node }> = [];
  for (const p of params.namedChildren) {
    if (!p) continue;
    let id: Node | null = null;
    if (p.type === 'identifier') id = p;
    else if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') id = p.childForFieldName('name');
    else if (p.type === 'typed_parameter') id = p.namedChildren.find((n) => n?.type === 'identifier') ?? null;
    if (id) out.push({ name: id.text, node: p });
  }
  return out;
}

/** Programs that run their arguments as code: `["bash", "-c", text]` is as bad as `shell=True`. */
const INTERPRETER = /^(.*[/\\])?((ba|z|k|da|fi|c|tc)?sh|python[\d.]*|node|deno|perl|ruby|php|pwsh|powershell(\.exe)?|cmd(\.exe)?|osascript|Rscript|sqlite3|psql|mysql)$/i;

/**
 * The taint that makes a `subprocess` call dangerous: a command string (or `shell=True`) built from the value, or
 * an argument list whose program is the value or is an interpreter or shell. A value that is only one argument of
 * a fixed program (`["git", "commit", "-m", message]`) cannot choose what runs.
 */
export function commandTaint(call: CallSite, tainter: Tainter): Taint | undefined {
  const cmd = call.arg('args', 0) ?? call.arg('cmd', 0);
  if (!cmd) return undefined;
  const shell = call.value('shell');
  const viaShell = shell?.kind === 'bool' && shell.value;
  if (cmd.type !== 'list' && cmd.type !== 'tuple') return tainter.of(cmd);
  const items = cmd.namedChildren.filter((n): n is Node => !!n && n.type !== 'comment');
  if (!items.length) return undefined;
  const program = tainter.of(items[0]);
  if (program) return program;
  const v = call.model.evaluate(items[0], call.scope);
  const interpreter =
    (v.kind === 'str' && INTERPRETER.test(v.value)) ||
    (v.kind === 'ref' && v.qname === 'sys.executable') ||
    items.some((n) => {
      const a = call.model.evaluate(n, call.scope);
      return a.kind === 'str' && (a.value === '-c' || a.value === '-e' || a.value === '/c');
    });
  if (!viaShell && !interpreter) return undefined;
  return items.slice(1).reduce<Taint | undefined>((acc, n) => stronger(acc, tainter.of(n)), undefined);
}
