import type { Node } from '../engine/parser';
import type { Rule, RuleContext } from '../engine/rule';
import type { Binding, CallSite, Scope, SemanticModel } from '../engine/semantic';
import { LLM_LIBRARY, Tainter, confidenceOf, definitionOf, llmCall, parametersOf, type Taint } from './llm';
import { qnameOf, routeHandlers } from './serving';

const SYSTEM_ROLES = new Set(['system', 'developer']);
/** Keyword arguments of LLM calls and agents that set the system prompt. */
const SYSTEM_KEYWORDS = ['system', 'instructions', 'system_instruction', 'system_prompt', 'system_message', 'preamble'];
const GRADIO_APPS = /^gradio\.(Interface|ChatInterface)$/;
const GRADIO_EVENTS = /^(click|submit|change|input|select|upload|then|success|blur|release|load)$/;

/** A parameter typed as a number, a boolean or a fixed choice (`Literal`, an `Enum` of this file): no instructions. */
function cannotCarryText(model: SemanticModel, param: Node): boolean {
  const typeNode = param.childForFieldName('type');
  const type = typeNode?.text.replace(/\s+/g, '') ?? '';
  if (/^(int|float|bool|Literal\[.*\]|con(int|float)\(.*\)|(Optional\[)?(int|float|bool)\]?|(int|float|bool)\|None)$/.test(type)) return true;
  const id = typeNode?.firstNamedChild;
  if (id?.type !== 'identifier') return false;
  const found = model.bindingsOf(id.text, model.scopeAt(param));
  if (!found) return false;
  // The same for every parameter typed with the name: worked out once per list of bindings.
  let isEnum = enumBindings.get(found.bindings);
  if (isEnum === undefined) {
    isEnum = found.bindings.some((b) => {
      if (b.kind !== 'local' || b.param) return false;
      const cls = model.tree.rootNode.descendantForIndex(b.index)?.parent;
      return cls?.type === 'class_definition' && cls.startIndex === b.index && /Enum\b/.test(cls.childForFieldName('superclasses')?.text ?? '');
    });
    enumBindings.set(found.bindings, isEnum);
  }
  return isEnum;
}

const enumBindings = new WeakMap<Binding[], boolean>();

/** Parameters that carry request or UI input, by function scope. */
function inputParameters(model: SemanticModel): Map<Scope, Map<string, string>> {
  const out = new Map<Scope, Map<string, string>>();
  const add = (def: Node | undefined, describe: (name: string) => string, skip?: (p: Node) => boolean) => {
    const scope = def && model.scopeOfDefinition(def);
    if (!def || !scope) return;
    const names = out.get(scope) ?? new Map<string, string>();
    for (const p of parametersOf(def)) {
      if (p.name === 'self' || p.name === 'cls' || skip?.(p.node)) continue;
      names.set(p.name, describe(p.name));
    }
    out.set(scope, names);
  };
  for (const h of routeHandlers(model)) {
    add(h.def, (n) => `the request parameter \`${n}\``, (p) => /\b(Depends|Security)\s*\(/.test(p.text) || cannotCarryText(model, p));
  }
  if (model.imports('gradio')) {
    for (const c of model.calls) {
      const q = c.qname ?? '';
      let fn: Node | undefined;
      if (GRADIO_APPS.test(q)) fn = c.arg('fn', 0);
      else if (GRADIO_EVENTS.test(c.name) && c.functionNode?.type === 'attribute') {
        const obj = c.functionNode.childForFieldName('object');
        const base = obj && qnameOf(model, obj);
        if (base?.startsWith('gradio.')) fn = c.arg('fn', 0);
      }
      if (fn) add(definitionOf(model, fn), (n) => `the gradio input \`${n}\``);
    }
  }
  return out;
}

function stringOf(model: SemanticModel, node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  const v = model.evaluate(node, model.scopeAt(node));
  return v.kind === 'str' && v.complete ? v.value : undefined;
}

/** `{"role": "system", "content": X}`: X. */
function systemContentOfDict(model: SemanticModel, dict: Node): Node | undefined {
  let system = false;
  let content: Node | undefined;
  for (const pair of dict.namedChildren) {
    if (pair?.type !== 'pair') continue;
    const key = stringOf(model, pair.childForFieldName('key'));
    const value = pair.childForFieldName('value');
    if (key === 'role') system = SYSTEM_ROLES.has(stringOf(model, value) ?? '');
    else if (key === 'content' && value) content = value;
  }
  return system ? content : undefined;
}

/** System prompt arguments of a call: `SystemMessage(X)`, `dict(role="system", content=X)`, `system=X` on an LLM call. */
function systemArguments(call: CallSite): Node[] {
  const q = call.qname ?? '';
  const model = call.model;
  if (q === 'dict') {
    const role = call.keywords.get('role');
    const content = call.keywords.get('content');
    return content && SYSTEM_ROLES.has(stringOf(model, role) ?? '') ? [content] : [];
  }
  if (/^(langchain\w*|llama_index)\./.test(q)) {
    if (/\.(SystemMessage|SystemMessagePromptTemplate\.from_template)$/.test(q)) {
      const content = call.arg('content', 0) ?? call.arg('template', 0);
      return content ? [content] : [];
    }
    if (/\.ChatMessage$/.test(q)) {
      const role = call.keywords.get('role');
      const content = call.arg('content');
      const isSystem = role && (SYSTEM_ROLES.has(stringOf(model, role) ?? '') || /\.SYSTEM$/.test(role.text));
      return isSystem && content ? [content] : [];
    }
  }
  const llm = !!llmCall(call) || LLM_LIBRARY.test(q) || /(assistants|runs)\.(create|update)$/.test(call.functionNode?.text ?? '');
  if (!llm) return [];
  const out: Node[] = [];
  for (const k of SYSTEM_KEYWORDS) {
    const v = call.keywords.get(k);
    if (v) out.push(v);
  }
  const prompt = call.keywords.get('prompt') ?? call.keywords.get('state_modifier');
  if (prompt && /create_react_agent$/.test(q)) out.push(prompt);
  return out;
}

function report(ctx: RuleContext, node: Node, t: Taint): void {
  ctx.report({
    node,
    confidence: confidenceOf(t.level),
    message:
      `${t.what[0].toUpperCase()}${t.what.slice(1)} is formatted into the system prompt, so a user can rewrite the ` +
      'application\'s instructions (OWASP LLM01:2025 Prompt Injection).',
  });
}

export const rule: Rule = {
  id: 'SAI503',
  name: 'untrusted-input-in-system-prompt',
  hazard: 'Request or UI input formatted into a system prompt',
  severity: 'warning',
  confidence: 'high',
  guidelines: ['NCSC-1.3', 'NCSC-4.2', 'OWASP-LLM01:2025', 'OWASP-LLM07:2025', 'AML.T0051', 'CWE-1427'],
  message:
    'Request data is formatted into the system prompt, so a user can rewrite the application\'s instructions ' +
    '(OWASP LLM01:2025 Prompt Injection).',
  triggers: ['system', 'SystemMessage', 'SystemMessagePromptTemplate', 'instructions', 'system_instruction', 'system_prompt', 'system_message', 'preamble', 'developer'],
  requires: ['flask', 'fastapi', 'quart', 'gradio'],
  docs: {
    why:
      'Chat models give the system (or developer) message more authority than the user\'s: it is where an ' +
      'application puts its rules, its persona, what it must not reveal and which tools it may use. Formatting ' +
      'request data into that message (`f"You are a helpful assistant for {company}. {extra}"`) lets the user ' +
      'write the rules: a prompt injection with the highest priority the model knows (OWASP LLM01:2025, ATLAS ' +
      'AML.T0051), and a way to make the model reveal the rest of its instructions (LLM07:2025). CWE-1427 is the ' +
      'improper neutralisation of input used in LLM prompts. The NCSC guidelines ask that untrusted input be ' +
      'kept apart by design (NCSC 1.3) and that inputs be monitored (NCSC 4.2).\n\n' +
      'Inside one function, the rule follows request data (Flask or Quart `request.*`, the parameters of a FastAPI ' +
      'or Flask route handler other than its `Depends` / `Security` dependencies, the inputs of a gradio ' +
      '`Interface`, `ChatInterface` or event handler) through assignments and string building into the system ' +
      'prompt: `{"role": "system", "content": ...}` (and `"developer"`), LangChain `SystemMessage` and ' +
      '`("system", ...)` message tuples, LlamaIndex `ChatMessage(role="system")`, and the `system=`, ' +
      '`instructions=`, `system_instruction=`, `system_prompt=` and `preamble=` arguments of LLM clients and ' +
      'agents. Input in the `user` role is how a chat is meant to work and is not reported. Nor is input that ' +
      'is the whole system prompt with nothing of yours around it (a "system message" field in a playground ' +
      'UI): there the caller is meant to set the instructions.',
    example:
      'from fastapi import FastAPI\nfrom openai import OpenAI\n\napp = FastAPI()\nclient = OpenAI()\n\n\n' +
      '@app.post("/support")\ndef support(product: str, question: str):\n' +
      '    messages = [\n' +
      '        {"role": "system", "content": f"You are the support bot for {product}. Never discuss refunds."},\n' +
      '        {"role": "user", "content": question},\n    ]\n' +
      '    return client.chat.completions.create(model="gpt-4o-mini", messages=messages).choices[0].message.content',
    useInstead:
      'PRODUCTS = {"widget": "Widget Pro", "gadget": "Gadget Max"}\n\n\n@app.post("/support")\n' +
      'def support(product: str, question: str):\n    name = PRODUCTS.get(product, "our products")  # an allow-list, not the raw input\n' +
      '    messages = [\n' +
      '        {"role": "system", "content": f"You are the support bot for {name}. Never discuss refunds."},\n' +
      '        {"role": "user", "content": question},\n    ]\n' +
      '    return client.chat.completions.create(model="gpt-4o-mini", messages=messages).choices[0].message.content',
    references: [
      'https://genai.owasp.org/llmrisk/llm01-prompt-injection/',
      'https://cwe.mitre.org/data/definitions/1427.html',
      'https://atlas.mitre.org/techniques/AML.T0051',
      'https://platform.openai.com/docs/guides/text#message-roles-and-instruction-following',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    const model = ctx.model;
    const params = inputParameters(model);
    const flask = model.imports('flask') || model.imports('quart');
    if (!params.size && !flask) return;
    const tainter = new Tainter(model, {
      opaqueCalls: true,
      source(node, scope) {
        if (node.type !== 'identifier' || node.text !== 'request' || !flask) return undefined;
        const v = model.evaluate(node, scope);
        return v.kind === 'ref' && /^(flask|quart)\.(globals\.)?request$/.test(v.qname) ? 'request data (`' + v.qname + '`)' : undefined;
      },
      parameter(name, scope) {
        return params.get(scope)?.get(name);
      },
    });
    const check = (node: Node | undefined) => {
      const t = node && tainter.of(node);
      if (node && t?.built) report(ctx, node, t);
    };
    for (const dict of model.tree.rootNode.descendantsOfType('dictionary')) if (dict) check(systemContentOfDict(model, dict));
    for (const call of model.calls) for (const arg of systemArguments(call)) check(arg);
    if ([...model.importedModules].some((m) => /^langchain\w*(\.|$)/.test(m))) {
      for (const tuple of model.tree.rootNode.descendantsOfType('tuple')) {
        const items = tuple?.namedChildren.filter((n): n is Node => !!n && n.type !== 'comment') ?? [];
        if (items.length === 2 && SYSTEM_ROLES.has(stringOf(model, items[0]) ?? '')) check(items[1]);
      }
    }
  },
};
