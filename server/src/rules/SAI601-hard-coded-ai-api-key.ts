import { addImportEdit, replaceNode } from '../engine/edits';
import type { Node } from '../engine/parser';
import type { Rule } from '../engine/rule';
import { stringValue, type CallSite, type Scope, type SemanticModel } from '../engine/semantic';
import type { Confidence, Fix, TextEdit } from '../engine/types';
import { boundValue } from './artifacts';
import {
  ANY_FORMAT,
  PROVIDERS,
  findKeys,
  keyArguments,
  looksLikeSecret,
  providerOfCallee,
  providerOfKeyword,
  providerOfName,
  redact,
  type Provider,
} from './secrets';

interface Hit {
  /** The string literal that holds the key. */
  node: Node;
  provider: Provider;
  /** The key as written (a token of a known format, or the whole literal). */
  key: string;
  confidence: Confidence;
}

/** Calls that read or set an environment variable: a literal there is a default or a value, not a client argument. */
const ENV_CALLS = new Set(['os.getenv', 'os.environ.get', 'os.environ.setdefault', 'os.putenv', 'os.environ.update']);
/** Callee names that take the key positionally (`cohere.Client("...")`, `login("hf_...")`). */
const POSITIONAL_NAMES = new Set(['Client', 'ClientV2', 'AsyncClient', 'AsyncClientV2', 'login', 'interpreter_login']);

function isBytesOrTemplate(node: Node): boolean {
  const start = node.firstChild;
  return start?.type === 'string_start' && /b/i.test(start.text.replace(/['"]/g, ''));
}

/** A plain string literal's node and value, following a name to the literal it was assigned. */
function literalOf(model: SemanticModel, node: Node, scope: Scope, at: number): { node: Node; value: string } | undefined {
  if (node.type === 'string') {
    if (isBytesOrTemplate(node)) return undefined;
    const v = stringValue(node);
    return v.kind === 'str' && v.complete ? { node, value: v.value } : undefined;
  }
  if (node.type === 'identifier') {
    const b = boundValue(model, node.text, scope, at);
    if (b?.value?.type === 'string') return literalOf(model, b.value, b.scope, b.at);
  }
  return undefined;
}

/** The string node a text offset falls in, or undefined (a comment, a bytes literal). */
function stringAt(root: Node, index: number): Node | undefined {
  let n: Node | null = root.descendantForIndex(index);
  for (let i = 0; n && i < 4; i++, n = n.parent) if (n.type === 'string') return isBytesOrTemplate(n) ? undefined : n;
  return undefined;
}

/** The contents of a string literal; an f-string's literal parts joined with a separator no key contains. */
function contentsOf(node: Node): string {
  const v = stringValue(node);
  if (v.kind === 'str' && v.complete) return v.value;
  const parts: string[] = [];
  for (const c of node.children) if (c?.type === 'string_content') parts.push(c.text);
  return parts.join(' ');
}

/** True when the literal sets or defaults an environment variable: `os.environ["K"] = "..."`, `os.getenv("K", "...")`. */
function inEnvironmentCall(model: SemanticModel, literal: Node): boolean {
  let n: Node | null = literal.parent;
  if (n?.type === 'pair') n = n.parent?.parent ?? null; // os.environ.update({"K": "..."})
  if (n?.type === 'keyword_argument') n = n.parent;
  if (n?.type === 'assignment') {
    const left = n.childForFieldName('left');
    const target = left?.type === 'subscript' ? left.childForFieldName('value') : null;
    return !!target && model.qnameOf(target, model.scopeAt(n)) === 'os.environ';
  }
  if (n?.type !== 'argument_list') return false;
  const call = n.parent;
  const fn = call?.type === 'call' ? call.childForFieldName('function') : null;
  const q = fn ? model.qnameOf(fn, model.scopeAt(call as Node)) : undefined;
  return !!q && ENV_CALLS.has(q);
}

// ------------------------------------------------------------------ the fix

/** `os.environ` as it can be spelled at the literal, and the edit that imports `os` when nothing does yet. */
function environSpelling(model: SemanticModel, literal: Node): { spelling: string; edits: TextEdit[] } | undefined {
  const scope = model.scopeAt(literal);
  const spelling = model.spellingOf('os.environ', scope, literal.startIndex);
  if (spelling) return { spelling, edits: [] };
  // `os` must be free for an added `import os` to mean the module (a parameter or variable named `os` is not).
  const os = model.lookup('os', scope, literal.startIndex);
  if (os.kind !== 'ref' || os.qname !== 'os') return undefined;
  const importOs = addImportEdit(model, 'os');
  return importOs && { spelling: 'os.environ', edits: [importOs] };
}

const NO_PARENS = new Set(['argument_list', 'keyword_argument', 'assignment', 'pair', 'expression_list', 'list', 'tuple', 'set', 'return_statement']);

function fixFor(model: SemanticModel, hit: Hit): Fix | undefined {
  const literal = hit.node;
  const parent = literal.parent;
  if (!parent || parent.type === 'expression_statement' || parent.type === 'concatenated_string') return undefined;
  if (inEnvironmentCall(model, literal)) return undefined;
  const env = PROVIDERS[hit.provider].env;
  const environ = environSpelling(model, literal);
  if (!environ) return undefined;
  const start = literal.firstChild;
  const end = literal.lastChild;
  if (start?.type !== 'string_start' || end?.type !== 'string_end') return undefined;
  const prefix = start.text.replace(/['"]/g, '');
  const quote = start.text.slice(prefix.length);
  const raw = literal.text;
  const at = raw.indexOf(hit.key, start.text.length);
  if (at === -1) return undefined;
  const before = raw.slice(start.text.length, at);
  const after = raw.slice(at + hit.key.length, raw.length - end.text.length);
  // Another key in the same literal would stay in the code, and be quoted in full by every report of the fix.
  if (findKeys(before).length || findKeys(after).length) return undefined;

  let replacement: string;
  let shown: string;
  if (!before && !after) {
    replacement = `${environ.spelling}["${env}"]`;
    shown = replacement;
  } else if (/f/i.test(prefix)) {
    // Inside an f-string: an interpolation, with the other quote character so it parses before Python 3.12 too.
    const inner = quote.includes('"') ? "'" : '"';
    replacement = `${start.text}${before}{${environ.spelling}[${inner}${env}${inner}]}${after}${end.text}`;
    shown = `${environ.spelling}["${env}"]`;
  } else {
    const parts: string[] = [];
    if (before) parts.push(`${start.text}${before}${end.text}`);
    parts.push(`${environ.spelling}["${env}"]`);
    if (after) parts.push(`${start.text}${after}${end.text}`);
    replacement = parts.join(' + ');
    if (!NO_PARENS.has(parent.type)) replacement = `(${replacement})`;
    shown = `${environ.spelling}["${env}"]`;
  }
  return {
    title: `Read the key from \`${shown}\` (the key is already exposed: revoke and rotate it)`,
    safety: 'unsafe',
    edits: [replaceNode(literal, replacement), ...environ.edits],
  };
}

// ------------------------------------------------------------------ finding literals

function formatHits(model: SemanticModel, text: string, hits: Map<number, Hit>): void {
  ANY_FORMAT.lastIndex = 0;
  const any = ANY_FORMAT.test(text);
  ANY_FORMAT.lastIndex = 0;
  if (!any) return;
  const root = model.tree.rootNode;
  const seen = new Set<number>();
  for (const m of text.matchAll(ANY_FORMAT)) {
    const node = stringAt(root, m.index ?? 0);
    if (!node || seen.has(node.id)) continue;
    seen.add(node.id);
    const keys = findKeys(contentsOf(node));
    if (keys.length === 0) continue;
    hits.set(node.id, { node, provider: keys[0].provider, key: keys[0].key, confidence: 'high' });
  }
}

/** A literal found where a key goes: a known format wins; otherwise it must look like a secret for `provider`. */
function contextHit(hits: Map<number, Hit>, literal: { node: Node; value: string }, provider: Provider): void {
  if (hits.has(literal.node.id)) return;
  const keys = findKeys(literal.value);
  if (keys.length) {
    hits.set(literal.node.id, { node: literal.node, provider: keys[0].provider, key: keys[0].key, confidence: 'high' });
  } else if (looksLikeSecret(literal.value, provider)) {
    hits.set(literal.node.id, { node: literal.node, provider, key: literal.value, confidence: 'medium' });
  }
}

function envName(model: SemanticModel, node: Node | undefined, scope: Scope): Provider | undefined {
  if (!node) return undefined;
  const v = model.evaluate(node, scope);
  return v.kind === 'str' && v.complete ? providerOfName(v.value) : undefined;
}

function callHits(model: SemanticModel, call: CallSite, hits: Map<number, Hit>): void {
  const args = call.argumentList;
  if (!args) return;
  if (!POSITIONAL_NAMES.has(call.name) && !/key|token/i.test(args.text)) return;
  const q = call.qname;
  const at = call.node.startIndex;
  const check = (node: Node | undefined, provider: Provider) => {
    const literal = node && literalOf(model, node, call.scope, at);
    if (literal) contextHit(hits, literal, provider);
  };
  if (q && ENV_CALLS.has(q)) {
    // os.getenv("OPENAI_API_KEY", "<key>"), os.environ.setdefault("HF_TOKEN", "<key>")
    const provider = envName(model, call.arg('key', 0), call.scope);
    if (provider) check(call.arg(q === 'os.putenv' ? 'value' : 'default', 1), provider);
    return;
  }
  for (const [name, node] of call.keywords) {
    const provider = providerOfKeyword(name);
    if (provider) check(node, provider);
  }
  const provider = q ? providerOfCallee(q) : undefined;
  if (!provider || !q) return;
  for (const a of keyArguments(provider, q)) check(call.arg(a.name, a.position), provider);
}

/** `OPENAI_API_KEY = "..."`, `openai.api_key = "..."`, `os.environ["HF_TOKEN"] = "..."`. */
function assignmentHits(model: SemanticModel, hits: Map<number, Hit>): void {
  for (const a of model.tree.rootNode.descendantsOfType('assignment')) {
    if (!a) continue;
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    if (!left || right?.type !== 'string') continue;
    const scope = model.scopeAt(a);
    let provider: Provider | undefined;
    if (left.type === 'identifier') provider = providerOfName(left.text);
    else if (left.type === 'attribute') {
      const q = model.qnameOf(left, scope);
      if (q === 'openai.api_key') provider = 'openai';
    } else if (left.type === 'subscript') {
      const target = left.childForFieldName('value');
      if (target && model.qnameOf(target, scope) === 'os.environ') provider = envName(model, left.childForFieldName('subscript') ?? undefined, scope);
    }
    if (!provider) continue;
    const literal = literalOf(model, right, scope, right.startIndex);
    if (literal) contextHit(hits, literal, provider);
  }
}

/** An assignment whose target names a key or token: worth walking the tree's assignments for. */
const KEY_ASSIGNMENT = /(?:key|token)\w*['"]?\]?\s*(?::[^=\n]*)?=(?!=)/i;

export const rule: Rule = {
  id: 'SAI601',
  name: 'hard-coded-ai-api-key',
  hazard: 'Hard-coded AI API key or hub token',
  severity: 'error',
  confidence: 'high',
  guidelines: ['NCSC-2.2', 'NCSC-3.1', 'OWASP-LLM02:2025', 'AML.T0055', 'CWE-798'],
  message:
    'An AI provider API key is written in the source, so anyone who can read the code or its history can use it.',
  triggers: [
    'sk', 'hf_[A-Za-z]+', 'api_org_[A-Za-z]+', 'AIza[\\w-]+', 'r8_\\w+',
    '\\w*(?:api_key|API_KEY|api_token|API_TOKEN|token|TOKEN|_key|_KEY)', 'Client', 'ClientV2',
    'AsyncClient', 'AsyncClientV2', 'login', 'interpreter_login',
  ],
  docs: {
    why:
      'An API key in the source is readable by everyone who can read the repository, its forks, its git history, the ' +
      'notebooks and packages built from it, and the logs of tools that index them; automated scanners look for ' +
      'leaked AI keys, which are abused for paid inference, for data in the account (fine-tuning files, uploaded documents, ' +
      'private models) and to act in the owner\'s name. The NCSC guidelines ask that secrets be tracked and protected ' +
      'as assets (NCSC 2.2) and that access to models and APIs be controlled (NCSC 3.1); MITRE ATLAS lists unsecured ' +
      'credentials (AML.T0055), OWASP LLM02:2025 sensitive information disclosure, and CWE-798 hard-coded ' +
      'credentials.\n\n' +
      'Reported, anywhere in a string literal: the published formats of OpenAI (`sk-proj-…`, `sk-svcacct-…`, ' +
      '`sk-admin-…`, and legacy `sk-…T3BlbkFJ…` keys), Anthropic (`sk-ant-api03-…`), Hugging Face (`hf_` and 34 ' +
      'letters, `api_org_…`), Google (`AIza` and 35 characters) and Replicate (`r8_…`); comments are not read. Also literals where a ' +
      'key goes, when they look like a real secret (20 or more token characters, letters and digits, random enough): ' +
      '`api_key=` of an OpenAI, Anthropic, Cohere, Google or langchain client; `token=` of a Hugging Face call or ' +
      '`huggingface_hub.login`; `api_token=` of Replicate; `wandb.login(key=...)` with a 40-hex key; provider ' +
      'keywords such as `openai_api_key=`; constants named like `OPENAI_API_KEY`, `HF_TOKEN`, `COHERE_API_KEY`; ' +
      '`openai.api_key = ...`; and `os.environ[...]` / `os.getenv` defaults for those names. A name passed as the ' +
      'key is followed to the literal it was assigned, and the literal is what is reported.\n\n' +
      'Not reported: environment lookups, and obvious placeholders: `"sk-..."`, `"<your key>"`, `"hf_xxxx…"`, ' +
      'values with words such as test, dummy, fake, example or your, runs and sequences (`aaaaa`, `1234`, `abcd`), ' +
      'values with too little randomness, and the dummy keys local servers accept (`"EMPTY"`, `"ollama"`). ' +
      'Messages show only the first four characters of a key.\n\n' +
      'The fix replaces the literal with `os.environ["<PROVIDER>_API_KEY"]` (`OPENAI_API_KEY`, ' +
      '`AZURE_OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, `HF_TOKEN`, `GOOGLE_API_KEY`, `COHERE_API_KEY`, ' +
      '`REPLICATE_API_TOKEN`, `WANDB_API_KEY`) and adds `import os` when needed; a key inside a longer string ' +
      '(`"Bearer sk-…"`) becomes a concatenation or an f-string interpolation. A literal that sets or defaults an ' +
      'environment variable (`os.environ["HF_TOKEN"] = ...`, `os.getenv("HF_TOKEN", ...)`), or sits in a docstring, ' +
      'gets no fix: delete it by hand. It is unsafe: the variable must be ' +
      'set where the code runs. Removing the key from the code does not remove it from the history: revoke it and ' +
      'issue a new one.',
    example:
      'from openai import OpenAI\n\nclient = OpenAI(api_key="sk-proj-…")\nHF_TOKEN = "hf_…"',
    useInstead:
      'import os\n\nfrom openai import OpenAI\n\nclient = OpenAI(api_key=os.environ["OPENAI_API_KEY"])\n' +
      '# or simply OpenAI(): the SDK reads OPENAI_API_KEY itself\nHF_TOKEN = os.environ["HF_TOKEN"]',
    references: [
      'https://platform.openai.com/docs/quickstart',
      'https://help.openai.com/en/articles/5112595-best-practices-for-api-key-safety',
      'https://huggingface.co/docs/hub/security-tokens',
      'https://docs.github.com/en/code-security/secret-scanning/introduction/supported-secret-scanning-patterns',
      'https://cwe.mitre.org/data/definitions/798.html',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    const model = ctx.model;
    const hits = new Map<number, Hit>();
    formatHits(model, ctx.text, hits);
    for (const call of model.calls) callHits(model, call, hits);
    if (KEY_ASSIGNMENT.test(ctx.text)) assignmentHits(model, hits);
    for (const hit of hits.values()) {
      const label = PROVIDERS[hit.provider].label;
      ctx.report({
        node: hit.node,
        confidence: hit.confidence,
        message:
          `A hard-coded ${label} (\`${redact(hit.key)}\`) is in the source, so anyone who can read the code or its ` +
          'history can use it.',
        fix: fixFor(model, hit),
      });
    }
  },
};
