import { addImportEdit, rangeOf } from '../engine/edits';
import type { Node } from '../engine/parser';
import type { Rule } from '../engine/rule';
import { Scope, type SemanticModel, type Value } from '../engine/semantic';
import type { Fix, TextEdit } from '../engine/types';
import { parametersOf } from './llm';
import { ROUTE_WORDS, WEB_FRAMEWORKS, handlerInference, handlerLogging, routeHandlers, type Handler } from './serving';

/** Parameters that are not request input: framework objects and injected dependencies. */
const NOT_INPUT_TYPE = /^(Request|Response|BackgroundTasks|WebSocket|HTTPConnection|Session|AsyncSession)$/;

function inputParameters(h: Handler): string[] {
  return parametersOf(h.def)
    .filter((p) => p.name !== 'self' && p.name !== 'cls')
    .filter((p) => !/\b(Depends|Security)\s*\(/.test(p.node.text))
    .filter((p) => {
      const type = p.node.childForFieldName('type')?.text.trim();
      return !type || !NOT_INPUT_TYPE.test(type.replace(/^\w+\./, ''));
    })
    .map((p) => p.name);
}

function isAsync(def: Node): boolean {
  return def.children.some((c) => c?.type === 'async');
}

/** The handler's `request: Request` parameter. */
function requestParameter(h: Handler): string | undefined {
  const p = parametersOf(h.def).find((p) => /^(\w+\.)?Request$/.test(p.node.childForFieldName('type')?.text.trim() ?? ''));
  return p?.name;
}

const isLogger = (v: Value) => v.kind === 'ref' && /^(logging\.getLogger\(\)|loguru\.logger|structlog\.get_logger\(\))$/.test(v.qname);

/**
 * The first name bound at module level (in the module's order of names) that a handler sees as a logger
 * (`logger = logging.getLogger(__name__)`, loguru's `logger`). Asking every module name for every handler would be
 * quadratic on a long module, so `moduleLoggers` works out once per file what a function that binds none of them sees,
 * and only the names the handler's own scopes bind (which may hide or replace a logger) are looked up for it.
 */
function moduleLogger(model: SemanticModel, h: Handler, at: number): string | undefined {
  const { loggers, rank } = moduleLoggers(model);
  const own = new Set<string>();
  for (let s: Scope | undefined = h.scope; s && s !== model.module; s = s.parent) for (const name of s.bindings.keys()) if (rank.has(name)) own.add(name);
  let best = loggers.find((name) => !own.has(name));
  for (const name of own) {
    if (best !== undefined && (rank.get(name) ?? 0) > (rank.get(best) ?? 0)) continue;
    if (isLogger(model.lookup(name, h.scope, at))) best = name;
  }
  return best;
}

const loggerCache = new WeakMap<SemanticModel, { loggers: string[]; rank: Map<string, number> }>();

/** The module's names in order, and those a function nested in the module that binds none of them sees as a logger. */
function moduleLoggers(model: SemanticModel): { loggers: string[]; rank: Map<string, number> } {
  let known = loggerCache.get(model);
  if (!known) {
    // A scope that binds nothing: a use in it sees each module name as every function that leaves it alone does.
    const inner = new Scope('function', model.module.node, model.module);
    known = { loggers: [], rank: new Map() };
    for (const name of model.module.bindings.keys()) {
      known.rank.set(name, known.rank.size);
      if (isLogger(model.lookup(name, inner, model.module.node.startIndex))) known.loggers.push(name);
    }
    loggerCache.set(model, known);
  }
  return known;
}

function logFix(model: SemanticModel, h: Handler): Fix | undefined {
  const body = h.def.childForFieldName('body');
  const statements = (body?.namedChildren ?? []).filter((n): n is Node => !!n && n.type !== 'comment');
  const first = statements[0];
  if (!first) return undefined;
  const text = model.text;
  const ownLine = (n: Node) => text.slice(text.lastIndexOf('\n', n.startIndex - 1) + 1, n.startIndex);
  const indent = ownLine(first);
  if (/\S/.test(indent)) return undefined; // `def f(x): return model(x)`
  const docstring = first.type === 'expression_statement' && first.namedChildCount === 1 && first.firstNamedChild?.type === 'string';
  const next = docstring ? statements[1] : first;
  if (next && /\S/.test(ownLine(next))) return undefined;
  const at = next ? next.startIndex : first.endIndex;

  const edits: TextEdit[] = [];
  let logger = moduleLogger(model, h, at);
  let call = logger ? `${logger}.info` : model.spellingOf('logging.info', h.scope, at);
  if (!call) {
    if (model.bindingsOf('logging', h.scope)) return undefined; // `logging` is something else here
    const importLogging = addImportEdit(model, 'logging');
    if (!importLogging) return undefined;
    call = 'logging.info';
    edits.push(importLogging);
  }
  logger = call;

  const names = inputParameters(h);
  const parts = names.map((n) => `${n}=%.500r`);
  const args = [...names];
  if (names.length === 0) {
    const flask = h.framework === 'flask' ? model.spellingOf('flask.request', h.scope, at) ?? model.spellingOf('quart.request', h.scope, at) : undefined;
    // Starlette caches the body, so reading it here leaves it for the handler.
    const starlette = h.framework === 'fastapi' && isAsync(h.def) ? requestParameter(h) : undefined;
    if (flask && !isAsync(h.def)) {
      parts.push('%s %.500r');
      args.push(`${flask}.full_path`, `${flask}.get_data(as_text=True)`);
    } else if (starlette) {
      parts.push('%s %.500r');
      args.push(`${starlette}.url.path`, `await ${starlette}.body()`);
    }
  }
  const format = `"${h.name.text} request${parts.length ? `: ${parts.join(' ')}` : ''}"`;
  const line = `${logger}(${[format, ...args].join(', ')})`;
  if (next) {
    const start = rangeOf(next).start;
    edits.push({ range: { start, end: start }, newText: `${line}\n${indent}` });
  } else {
    const end = rangeOf(first).end;
    edits.push({ range: { start: end, end }, newText: `\n${indent}${line}` });
  }
  return { title: `Log the request at the start of \`${h.name.text}\``, safety: 'unsafe', edits };
}

export const rule: Rule = {
  id: 'SAI404',
  name: 'inference-inputs-not-logged',
  hazard: 'Inference requests not logged',
  severity: 'hint',
  confidence: 'medium',
  guidelines: ['NCSC-4.2', 'NCSC-3.2', 'OWASP-ML05', 'OWASP-LLM10:2025', 'AML.T0024', 'AML.M0024', 'CWE-778'],
  message:
    'The route runs the model without logging the request, so misuse, prompt injection or extraction attempts ' +
    'leave no trace to investigate.',
  triggers: ROUTE_WORDS,
  requires: WEB_FRAMEWORKS,
  docs: {
    why:
      'Attacks on a model arrive as ordinary requests: prompt injections, adversarial inputs, the thousands of ' +
      'queries that extract a model (ATLAS AML.T0024) or run up its cost. Without a record of what was asked, none ' +
      'of this can be noticed, investigated or stopped. The NCSC guidelines ask operators to monitor the inputs ' +
      'of their systems (NCSC 4.2: log inference requests and prompts, with privacy in mind) and to guard the ' +
      'query interface (NCSC 3.2); MITRE ATLAS lists AI telemetry logging as a mitigation (AML.M0024), and the ' +
      'general weakness is insufficient logging (CWE-778). The finding is a hint: logging is a duty, not an ' +
      'exploit.\n\n' +
      'The rule reports the route handlers SAI403 looks at (Flask, Quart and FastAPI routes that run a model or ' +
      'ask an LLM) when neither the handler nor a helper it calls in the same file writes a log record, ' +
      'and nothing app-wide does. Log records are `logging` calls, a logger\'s methods (`logger.info`, ' +
      '`app.logger.warning`), loguru and structlog, and helpers named `log_*` or `audit*`; `print` is not one. ' +
      'App-wide are a `before_request` / `after_request` hook or an `@app.middleware("http")` function that logs, ' +
      'logging or tracing middleware (`app.add_middleware(...)` of a class named for it), and tracing ' +
      'integrations (OpenTelemetry, Langfuse, LangSmith, Logfire, MLflow `autolog`). A tracing decorator on the ' +
      'handler (`@traceable`, `@observe()`) or LangChain callbacks also count.\n\n' +
      'The fix inserts a log line at the start of the handler that records its input parameters (or, in Flask, ' +
      'the request body), each cut to 500 characters, and adds `import logging` when needed. Review what it ' +
      'logs: redact personal data and secrets before the records are kept.',
    example:
      'from flask import Flask, request\nfrom transformers import pipeline\n\napp = Flask(__name__)\n' +
      'classifier = pipeline("sentiment-analysis")\n\n\n@app.post("/predict")\n@login_required\ndef predict():\n' +
      '    return classifier(request.json["text"])[0]',
    useInstead:
      'import logging\n\nfrom flask import Flask, request\nfrom transformers import pipeline\n\n' +
      'logger = logging.getLogger(__name__)\napp = Flask(__name__)\nclassifier = pipeline("sentiment-analysis")\n\n\n' +
      '@app.post("/predict")\n@login_required\ndef predict():\n    text = request.json["text"]\n' +
      '    logger.info("predict request from %s: %.500r", current_user.id, text)\n' +
      '    return classifier(text)[0]',
    references: [
      'https://docs.python.org/3/howto/logging.html',
      'https://fastapi.tiangolo.com/tutorial/middleware/',
      'https://atlas.mitre.org/mitigations/AML.M0024',
      'https://cwe.mitre.org/data/definitions/778.html',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    const model = ctx.model;
    for (const h of routeHandlers(model)) {
      const inference = handlerInference(model, h);
      if (!inference || handlerLogging(model, h)) continue;
      ctx.report({
        node: h.name,
        message:
          `Route \`${h.name.text}\` runs the model (\`${inference.what}\`) without logging the request, so misuse, ` +
          'prompt injection or extraction attempts leave no trace to investigate.',
        fix: logFix(model, h),
      });
    }
  },
};
