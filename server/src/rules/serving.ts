/**
 * Serving code: which functions are Flask / FastAPI route handlers, whether they run a model, and what guards them
 * (authentication, request logging) at the handler or at the application.
 *
 * Apps are recognised by qualified name: a decorator `@app.post(...)` is a route when `app` resolves to a
 * `fastapi.FastAPI()` or `fastapi.APIRouter()` instance, `@bp.route(...)` when `bp` is a `flask.Flask()` or
 * `flask.Blueprint()` instance (Quart alike). Guards at the application level (middleware, `before_request` hooks,
 * app- or router-wide dependencies) are looked for anywhere in the file and, when found, cover every handler in it:
 * the analysis cannot tell which app a hook is attached to across files, and a missed finding is cheaper than a
 * false one.
 *
 * Pure helpers over the semantic model: no rule state, no reporting.
 */
import type { Node } from '../engine/parser';
import { bindingsBefore, type Binding, type CallSite, type Scope, type SemanticModel } from '../engine/semantic';
import { calleeDisplay, definitionOf, llmCall, parametersOf } from './llm';
import { callAt, chainOf } from './provenance';

export type Framework = 'flask' | 'fastapi';

export interface Handler {
  def: Node;
  name: Node;
  scope: Scope;
  framework: Framework;
  /** The decorator or registration call that makes the function a route. */
  route: CallSite;
  /** Decorator expressions of the function, the route's included. */
  decorators: Node[];
}

const FLASK_APP = /^(flask\.(app\.)?Flask|flask\.(blueprints\.)?Blueprint|quart\.Quart|quart\.(blueprints\.)?Blueprint)\(\)$/;
const FASTAPI_APP = /^(fastapi\.(applications\.)?FastAPI|fastapi\.(routing\.)?APIRouter)\(\)$/;
const FLASK_ROUTE = /^(route|get|post|put|patch|delete)$/;
const FASTAPI_ROUTE = /^(get|post|put|patch|delete|api_route|websocket)$/;

/** Words a route module holds: prefilter triggers for rules about handlers. */
export const ROUTE_WORDS = ['route', 'get', 'post', 'put', 'patch', 'delete', 'api_route', 'websocket', 'add_url_rule', 'add_api_route'];
export const WEB_FRAMEWORKS = ['flask', 'fastapi', 'quart'];

/** Hosts that mean "every interface". */
export const ALL_INTERFACES = new Set(['0.0.0.0', '::', '[::]', '*', '::0']);

// ------------------------------------------------------------------ names

/**
 * The qualified name of an expression, like `model.evaluate`, but also through `with gr.Blocks() as demo` targets
 * and through names bound to such values.
 */
export function qnameOf(model: SemanticModel, node: Node, depth = 0): string | undefined {
  if (depth > 8) return undefined;
  const scope = model.scopeAt(node);
  const v = model.evaluate(node, scope);
  if (v.kind === 'ref') return v.qname;
  switch (node.type) {
    case 'identifier': {
      // The bindings before the use in its own scope, else all of them: the name they all agree on, if any.
      const found = model.bindingsOf(node.text, scope);
      if (!found) return undefined;
      const before = found.own ? bindingsBefore(found.bindings, node.startIndex) : 0;
      return agreedName(model, node.text, found.bindings, before || found.bindings.length, depth);
    }
    case 'attribute': {
      const obj = node.childForFieldName('object');
      const attr = node.childForFieldName('attribute');
      const base = obj && qnameOf(model, obj, depth + 1);
      return base && attr ? `${base}.${attr.text}` : undefined;
    }
    case 'call': {
      const fn = node.childForFieldName('function');
      const callee = fn && qnameOf(model, fn, depth + 1);
      return callee ? `${callee}()` : undefined;
    }
    case 'parenthesized_expression':
    case 'await':
      return node.firstNamedChild ? qnameOf(model, node.firstNamedChild, depth + 1) : undefined;
    default:
      return undefined;
  }
}

/** What the first bindings of a name agree on: `{ name }` while they all give the same one, `null` once two differ. */
type Agreed = { name: string | undefined } | null;
const agreed = new WeakMap<Binding[], Agreed[][]>();

/**
 * The qualified name the first `count` bindings of `list` (all bound to `name`) agree on, or undefined. The answer
 * for each prefix of the list is kept, per depth, and extended as far as asked: each use of a name bound n times
 * would otherwise follow every binding before it (quadratic on a long module).
 */
function agreedName(model: SemanticModel, name: string, list: Binding[], count: number, depth: number): string | undefined {
  let byDepth = agreed.get(list);
  if (!byDepth) agreed.set(list, (byDepth = []));
  const prefixes = (byDepth[depth] ??= []);
  while (prefixes.length < count) {
    const last = prefixes.length ? prefixes[prefixes.length - 1] : undefined;
    if (last === null) break; // two bindings differ: so do all longer prefixes
    const q = bindingName(model, name, list[prefixes.length], depth);
    prefixes.push(last === undefined || last.name === q ? { name: q } : null);
  }
  const state = prefixes[Math.min(count, prefixes.length) - 1];
  return state ? state.name : undefined;
}

/** The qualified name one binding of `name` gives it. */
function bindingName(model: SemanticModel, name: string, b: Binding, depth: number): string | undefined {
  if (b.kind === 'assign') return b.value.type === 'identifier' && b.value.text === name ? undefined : qnameOf(model, b.value, depth + 1);
  if (b.kind === 'local' && !b.param) return b.origin && b.via !== 'augmented' ? qnameWithTarget(model, b.origin, depth) : undefined;
  return b.kind === 'import' ? b.qname : undefined;
}

/** A `with` target is the context manager's value (gradio's `Blocks.__enter__` returns the block itself). */
function qnameWithTarget(model: SemanticModel, value: Node, depth: number): string | undefined {
  // A `for` target is an element, not the iterable.
  const p = value.parent;
  if (p?.type === 'for_statement' || p?.type === 'for_in_clause') return undefined;
  return qnameOf(model, value, depth + 1);
}

/** The callee spelled out (`auth.login_required`, `jwt_required`), without the call's arguments. */
export function calleeText(expr: Node): string {
  const fn = expr.type === 'call' ? expr.childForFieldName('function') : expr;
  return (fn ?? expr).text.replace(/\s+/g, '');
}

// ------------------------------------------------------------------ route handlers

const handlerCache = new WeakMap<SemanticModel, Handler[]>();

function frameworkOf(receiverQname: string | undefined): Framework | undefined {
  if (!receiverQname) return undefined;
  if (FLASK_APP.test(receiverQname)) return 'flask';
  if (FASTAPI_APP.test(receiverQname)) return 'fastapi';
  return undefined;
}

/** The app object of a call `app.route(...)`, as a qualified name. */
function receiverFramework(model: SemanticModel, call: CallSite): Framework | undefined {
  const fn = call.functionNode;
  if (fn?.type !== 'attribute') return undefined;
  const obj = fn.childForFieldName('object');
  if (!obj) return undefined;
  const q = call.qname;
  if (q) {
    const base = q.slice(0, q.lastIndexOf('.'));
    const f = frameworkOf(base);
    if (f) return f;
  }
  return frameworkOf(qnameOf(model, obj));
}

/** Every Flask / FastAPI route handler in the file. */
export function routeHandlers(model: SemanticModel): Handler[] {
  const cached = handlerCache.get(model);
  if (cached) return cached;
  const out: Handler[] = [];
  const seen = new Set<number>();
  const add = (def: Node, framework: Framework, route: CallSite) => {
    if (seen.has(def.id)) return;
    const scope = model.scopeOfDefinition(def);
    const name = def.childForFieldName('name');
    if (!scope || !name) return;
    seen.add(def.id);
    out.push({ def, name, scope, framework, route, decorators: decoratorsOf(def) });
  };
  for (const call of model.calls) {
    const n = call.name;
    const inDecorator = call.node.parent?.type === 'decorator';
    if (inDecorator && (FLASK_ROUTE.test(n) || FASTAPI_ROUTE.test(n))) {
      const framework = receiverFramework(model, call);
      if (!framework || !(framework === 'flask' ? FLASK_ROUTE : FASTAPI_ROUTE).test(n)) continue;
      const def = call.node.parent?.parent?.childForFieldName('definition');
      if (def?.type === 'function_definition') add(def, framework, call);
    } else if (n === 'add_url_rule' || n === 'add_api_route') {
      const framework = receiverFramework(model, call);
      if (!framework) continue;
      const view = framework === 'flask' ? call.arg('view_func', 2) : call.arg('endpoint', 1);
      const def = view && definitionOf(model, view);
      if (def?.type === 'function_definition') add(def, framework, call);
    }
  }
  handlerCache.set(model, out);
  return out;
}

export function decoratorsOf(def: Node): Node[] {
  const parent = def.parent;
  if (parent?.type !== 'decorated_definition') return [];
  return parent.namedChildren
    .filter((n): n is Node => n?.type === 'decorator')
    .map((d) => d.firstNamedChild)
    .filter((n): n is Node => !!n);
}

/** The calls a function makes itself, and those of the module-level helpers it calls (two levels down). */
export function reachableCalls(model: SemanticModel, scope: Scope, depth = 2, seen = new Set<Scope>()): CallSite[] {
  if (seen.has(scope)) return [];
  seen.add(scope);
  const out = [...scope.calls];
  if (depth === 0) return out;
  for (const c of scope.calls) {
    const fn = c.functionNode;
    if (fn?.type !== 'identifier') continue;
    const def = definitionOf(model, fn);
    const inner = def?.type === 'function_definition' ? model.scopeOfDefinition(def) : undefined;
    if (inner && inner.parent === model.module) out.push(...reachableCalls(model, inner, depth - 1, seen));
  }
  return out;
}

// ------------------------------------------------------------------ inference

/** Modules whose presence makes `model(...)` and `.generate(...)` in a handler mean inference. */
const ML_MODULES =
  /^(torch|transformers|sklearn|joblib|tensorflow|keras|tf_keras|onnxruntime|xgboost|lightgbm|catboost|sentence_transformers|diffusers|ultralytics|whisper|spacy|jax|flax|timm|mlflow|openai|anthropic|langchain\w*|llama_cpp|vllm|ollama|litellm|cohere|mistralai|groq|google\.generativeai|google\.genai|huggingface_hub|tritonclient|bentoml)(\.|$)/;
const ML_QNAME =
  /^(torch|transformers|sklearn|joblib|tensorflow|keras|tf_keras|onnxruntime|xgboost|lightgbm|catboost|sentence_transformers|diffusers|ultralytics|whisper|spacy|timm|mlflow|pickle|cloudpickle|dill|skops)\./;
const PREDICT = /^(predict|predict_proba|predict_log_proba|decision_function)$/;
const GENERATE = /^(generate|transcribe|encode|run|infer|inference|detect|classify|segment|embed_query|embed_documents)$/;
const MODEL_NAME =
  /^(model|\w+_model|clf|\w+_clf|classifier|\w+_classifier|pipe|\w+_pipe|pipeline|\w+_pipeline|generator|\w+_generator|llm|\w+_llm|predictor|detector|regressor|estimator|net|summarizer|translator|transcriber|captioner|nlp)$/i;

/** Helpers around a model that do not run it: `load_model(...)`, `get_model()`. */
const NOT_INFERENCE_NAME = /^(load|get|build|create|make|init|save|download|train|fit|register|delete|list|update|set|reload)_/i;
/** Objects of model libraries that prepare inputs and do not run a model. */
const NOT_A_MODEL = /(Tokenizer|Processor|FeatureExtractor|Config|Scaler|Encoder|Vectorizer)\w*\.from_pretrained\(\)|tokenizer/i;

export function importsMl(model: SemanticModel): boolean {
  for (const m of model.importedModules) if (ML_MODULES.test(m)) return true;
  return false;
}

/** The call as a message names it when it runs a model (or asks an LLM), else undefined. */
export function inferenceCall(site: CallSite, ml: boolean): string | undefined {
  const llm = llmCall(site);
  if (llm) return llm;
  const fn = site.functionNode;
  if (!fn) return undefined;
  const text = calleeDisplay(fn);
  const q = site.qname;
  const name = site.name;
  if (q) {
    if (q === 'transformers.pipeline' || /^transformers\.pipelines?\.pipeline$/.test(q)) return text;
    if (ML_QNAME.test(q)) {
      if (NOT_A_MODEL.test(q) || NOT_A_MODEL.test(text)) return undefined;
      // Calling a loaded model (`model(x)` for `model = torch.load(...)`) or one of its inference methods.
      if (q.endsWith('()')) return text;
      const base = q.slice(0, q.lastIndexOf('.'));
      if (base.endsWith('()') && (PREDICT.test(name) || GENERATE.test(name) || name === '__call__')) return text;
      return undefined;
    }
    if (/^[\w.]+$/.test(q)) {
      // Resolved to something that is not a model library: a model only by the method's name.
      return PREDICT.test(name) && fn.type === 'attribute' ? text : undefined;
    }
  }
  if (fn.type === 'attribute' && PREDICT.test(name)) return text;
  if (!ml) return undefined;
  if (fn.type === 'attribute' && /^(generate|transcribe)$/.test(name)) return text;
  const last = fn.type === 'identifier' ? fn.text : fn.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
  if (last && MODEL_NAME.test(last) && !NOT_INFERENCE_NAME.test(last)) return text;
  if (fn.type === 'attribute' && name === 'run') {
    // An ONNX Runtime session whose construction is out of sight (neo4j and TensorFlow 1 have `session.run` too).
    const obj = fn.childForFieldName('object');
    const recv = obj && chainOf(obj);
    const last = recv?.[recv.length - 1] ?? '';
    if (/onnx|^ort_|_ort$|^ort$/i.test(last) || (/^(session|sess|ort_session)$/.test(last) && site.model.imports('onnxruntime'))) return text;
  }
  return undefined;
}

/** The first inference call a handler makes (itself or through a helper in this file). */
export function handlerInference(model: SemanticModel, h: Handler): { call: CallSite; what: string } | undefined {
  const ml = importsMl(model);
  for (const c of reachableCalls(model, h.scope)) {
    const what = inferenceCall(c, ml);
    if (what) return { call: c, what };
  }
  return undefined;
}

// ------------------------------------------------------------------ authentication

const AUTH_DECORATOR = /login|auth|require|token|permission|jwt|protect|api_?key|apikey|roles?_|verify|secur/i;
const AUTH_DEPENDENCY =
  /auth|login|token|jwt|api_?key|apikey|permission|credential|oauth|bearer|secur|identity|principal|user|verify|require|scheme|guard|protect|signature|admin|role|session|account/i;
const AUTH_PARAM =
  /^(x_)?(api_?key|apikey|key|token|access_token|id_token|session_token|auth\w*|authorization|credentials?|bearer\w*|secret\w*|password|signature)$/i;
const AUTH_CLASS = /auth|login|token|jwt|api_?key|apikey|permission|credential|oauth|bearer|secur|identity|principal|basic/i;
/** What a body that checks a caller contains. */
const AUTH_TEXT =
  /authori[sz]|authenticat|api[_-]?key|x-api-key|bearer|jwt|current_user|verify_\w*token|check_\w*token|valid\w*_token|decode_token|HTTP_40[13]|status_code\s*=\s*40[13]|abort\(\s*40[13]|\bpermission|login_required|is_authenticated|hmac\.compare_digest|secrets\.compare_digest/i;
const SECURITY_QNAME = /^(fastapi\.security|fastapi_users|fastapi_login|fastapi_jwt_auth|authx|fastapi_auth0|flask_login|flask_httpauth|flask_jwt_extended)(\.|$)/;

/** A FastAPI dependency that authenticates: a security scheme, or something named or built like an auth check. */
function authDependency(model: SemanticModel, dep: CallSite, depth: number): boolean {
  if (dep.name === 'Security' || dep.qname === 'fastapi.Security' || dep.qname === 'fastapi.params.Security') return true;
  const target = dep.arg('dependency', 0);
  if (!target) {
    // `user: User = Depends()`: the annotation is the dependency.
    const param = dep.node.parent?.type === 'typed_default_parameter' ? dep.node.parent : undefined;
    const type = param?.childForFieldName('type');
    return !!type && AUTH_DEPENDENCY.test(type.text);
  }
  if (AUTH_DEPENDENCY.test(target.text)) return true;
  const q = qnameOf(model, target);
  if (q && SECURITY_QNAME.test(q)) return true;
  const def = target.type === 'identifier' ? definitionOf(model, target) : undefined;
  if (def && depth < 3) {
    const body = def.childForFieldName('body');
    if (body && AUTH_TEXT.test(body.text)) return true;
    if (parametersHaveAuth(model, def, depth + 1)) return true;
  }
  return false;
}

/** `Depends` / `Security` calls inside a node (a parameter list, a `dependencies=[...]` list). */
function dependencyCalls(model: SemanticModel, node: Node): CallSite[] {
  const out: CallSite[] = [];
  for (const c of node.descendantsOfType('call')) {
    if (!c) continue;
    const site = callAt(model, c);
    if (!site) continue;
    const q = site.qname ?? '';
    if (site.name === 'Depends' || site.name === 'Security' || /^fastapi\.(params\.)?(Depends|Security)$/.test(q)) out.push(site);
  }
  return out;
}

function dependenciesHaveAuth(model: SemanticModel, node: Node | undefined, depth = 0): boolean {
  return !!node && dependencyCalls(model, node).some((d) => authDependency(model, d, depth));
}

function parametersHaveAuth(model: SemanticModel, def: Node, depth = 0): boolean {
  const params = def.childForFieldName('parameters');
  if (!params) return false;
  if (dependenciesHaveAuth(model, params, depth)) return true;
  // `x_api_key: str = Header(...)`, `authorization: str | None = Header(None)`: checked in the body.
  return parametersOf(def).some((p) => AUTH_PARAM.test(p.name) && p.node.type !== 'identifier');
}

const authCache = new WeakMap<SemanticModel, boolean>();

/** Authentication set up for a whole app or router anywhere in the file. */
export function appLevelAuth(model: SemanticModel): boolean {
  const cached = authCache.get(model);
  if (cached !== undefined) return cached;
  let found = false;
  for (const c of model.calls) {
    const q = c.qname ?? '';
    if (c.name === 'add_middleware') {
      const cls = c.arg('middleware_class', 0);
      if (cls && AUTH_CLASS.test(cls.text)) found = true;
    } else if (FASTAPI_APP.test(`${q}()`) || c.name === 'include_router') {
      if (dependenciesHaveAuth(model, c.keywords.get('dependencies'))) found = true;
      const mw = c.keywords.get('middleware');
      if (mw && AUTH_CLASS.test(mw.text)) found = true;
    } else if (c.node.parent?.type === 'decorator' && /^(before_request|before_app_request|middleware)$/.test(c.name)) {
      if (hookBody(c.node.parent)?.match(AUTH_TEXT)) found = true;
    } else if (/^(flask_httpauth|flask_basicauth)\./.test(q) && /BasicAuth$/.test(q) && c.positional.length > 0) {
      found = true; // flask_basicauth.BasicAuth(app) with BASIC_AUTH_FORCE
    }
    if (found) break;
  }
  if (!found) {
    // `@app.before_request` without arguments is a decorator that is not a call.
    for (const d of model.tree.rootNode.descendantsOfType('decorator')) {
      const e = d?.firstNamedChild;
      if (!d || !e || e.type !== 'attribute') continue;
      if (/^(before_request|before_app_request)$/.test(e.childForFieldName('attribute')?.text ?? '') && hookBody(d)?.match(AUTH_TEXT)) {
        found = true;
        break;
      }
    }
  }
  authCache.set(model, found);
  return found;
}

function hookBody(decorator: Node): string | undefined {
  const def = decorator.parent?.childForFieldName('definition');
  return def?.childForFieldName('body')?.text;
}

/** How a handler authenticates its caller, or undefined. */
export function handlerAuth(model: SemanticModel, h: Handler): string | undefined {
  for (const d of h.decorators) {
    if (d.id === h.route.node.id) {
      if (dependenciesHaveAuth(model, h.route.keywords.get('dependencies'))) return 'route dependencies';
      continue;
    }
    if (AUTH_DECORATOR.test(calleeText(d))) return `decorator ${calleeText(d)}`;
  }
  if (h.route.node.parent?.type !== 'decorator' && dependenciesHaveAuth(model, h.route.keywords.get('dependencies'))) return 'route dependencies';
  if (parametersHaveAuth(model, h.def)) return 'parameters';
  const body = h.def.childForFieldName('body');
  if (body && AUTH_TEXT.test(body.text)) return 'body';
  if (appLevelAuth(model)) return 'app';
  return undefined;
}

// ------------------------------------------------------------------ request logging

const LOG_METHOD = /^(debug|info|warning|warn|error|critical|exception|log|success|trace|msg)$/;
const LOG_RECEIVER = /log/i;
const LOG_HELPER = /^_?(log|audit|record|track|trace)(_\w+)?$|_(log|logs|audit|logger)$/i;
const LOG_DECORATOR = /log|audit|trac|monitor|observe|instrument|telemetry|record/i;
const TELEMETRY_CALL = /^(autolog|instrument_app|instrument_fastapi|instrument_flask|instrument_openai|instrument_anthropic|instrument_langchain|instrument_httpx|instrument_requests)$/;
const TELEMETRY_MODULES = /^(langfuse|langsmith|logfire|opentelemetry\.instrumentation|openlit|traceloop|helicone|arize|phoenix|weave|openinference)(\.|$)/;
const LOG_CLASS = /log|audit|trac|telemetry|monitor|access|instrument|observ/i;

/** A call that writes a log record: `logging.*`, a logger's method, loguru / structlog, a `log_*` / `audit` helper. */
export function isLogCall(site: CallSite): boolean {
  const q = site.qname ?? '';
  const name = site.name;
  if (/^(logging|loguru|structlog|logfire)\./.test(q) && (LOG_METHOD.test(name) || q.startsWith('logfire.'))) return true;
  const fn = site.functionNode;
  if (fn?.type === 'attribute' && LOG_METHOD.test(name)) {
    const obj = fn.childForFieldName('object');
    const chain = obj && chainOf(obj);
    if (chain && LOG_RECEIVER.test(chain[chain.length - 1])) return true;
    if (obj?.type === 'call' && /getLogger|get_logger/.test(obj.text)) return true;
  }
  // `np.log(p)` is arithmetic.
  if (/^(math|cmath|numpy|torch|jax|tensorflow|scipy|sympy)\./.test(q)) return false;
  return LOG_HELPER.test(name);
}

const telemetryCache = new WeakMap<SemanticModel, boolean>();

/** Request logging or tracing set up for the whole app anywhere in the file. */
export function appLevelLogging(model: SemanticModel): boolean {
  const cached = telemetryCache.get(model);
  if (cached !== undefined) return cached;
  let found = [...model.importedModules].some((m) => TELEMETRY_MODULES.test(m));
  if (!found) {
    for (const c of model.calls) {
      if (TELEMETRY_CALL.test(c.name)) {
        found = true;
      } else if (c.name === 'add_middleware') {
        const cls = c.arg('middleware_class', 0);
        if (cls && LOG_CLASS.test(cls.text)) found = true;
      }
      if (found) break;
    }
  }
  if (!found) {
    for (const d of model.tree.rootNode.descendantsOfType('decorator')) {
      const e = d?.firstNamedChild;
      if (!d || !e) continue;
      const callee = e.type === 'call' ? e.childForFieldName('function') : e;
      const attr = callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text : undefined;
      if (!attr || !/^(before_request|before_app_request|after_request|after_app_request|middleware)$/.test(attr)) continue;
      const def = d.parent?.childForFieldName('definition');
      const scope = def && model.scopeOfDefinition(def);
      if (scope && reachableCalls(model, scope, 1).some(isLogCall)) {
        found = true;
        break;
      }
    }
  }
  telemetryCache.set(model, found);
  return found;
}

/** How a handler records its requests, or undefined. */
export function handlerLogging(model: SemanticModel, h: Handler): string | undefined {
  for (const d of h.decorators) if (d.id !== h.route.node.id && LOG_DECORATOR.test(calleeText(d))) return `decorator ${calleeText(d)}`;
  const log = reachableCalls(model, h.scope).find(isLogCall);
  if (log) return 'log call';
  const body = h.def.childForFieldName('body');
  // LangChain / LlamaIndex callbacks hand every prompt to a tracer.
  if (body && /\bcallbacks\b|callback_manager/.test(body.text)) return 'callbacks';
  if (appLevelLogging(model)) return 'app';
  return undefined;
}
