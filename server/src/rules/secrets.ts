/**
 * AI provider credentials for SAI601: the published token formats, which environment variable each provider's SDK
 * reads, and the tests that tell a real key from a placeholder. Pure functions over strings: the rule finds the
 * literals and calls through the tree and only hands their contents here.
 */

export type Provider = 'openai' | 'azure-openai' | 'anthropic' | 'huggingface' | 'google' | 'cohere' | 'replicate' | 'wandb';

export const PROVIDERS: Readonly<Record<Provider, { label: string; env: string }>> = {
  openai: { label: 'OpenAI API key', env: 'OPENAI_API_KEY' },
  'azure-openai': { label: 'Azure OpenAI API key', env: 'AZURE_OPENAI_API_KEY' },
  anthropic: { label: 'Anthropic API key', env: 'ANTHROPIC_API_KEY' },
  huggingface: { label: 'Hugging Face token', env: 'HF_TOKEN' },
  google: { label: 'Google API key', env: 'GOOGLE_API_KEY' },
  cohere: { label: 'Cohere API key', env: 'COHERE_API_KEY' },
  replicate: { label: 'Replicate API token', env: 'REPLICATE_API_TOKEN' },
  wandb: { label: 'Weights & Biases API key', env: 'WANDB_API_KEY' },
};

/** Characters a token is made of: a match must not be glued to more of them on either side. */
const BEFORE = '(?<![A-Za-z0-9_-])';
const AFTER = '(?![A-Za-z0-9_-])';

interface Format {
  provider: Provider;
  /** The fixed prefix, left out of the randomness test. */
  prefix: RegExp;
  body: string;
}

/** Published key formats. Cohere and W&B keys have no prefix: they are only recognised where they are used. */
const FORMATS: Format[] = [
  { provider: 'anthropic', prefix: /^sk-ant-(?:api|admin)\d\d-/, body: 'sk-ant-(?:api|admin)\\d\\d-[A-Za-z0-9_-]{32,}' },
  { provider: 'openai', prefix: /^sk-(?:proj|svcacct|admin)-/, body: 'sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{32,}' },
  { provider: 'openai', prefix: /^sk-/, body: 'sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}' },
  { provider: 'huggingface', prefix: /^hf_/, body: 'hf_[A-Za-z]{34}' },
  { provider: 'huggingface', prefix: /^api_org_/, body: 'api_org_[A-Za-z]{34}' },
  { provider: 'google', prefix: /^AIza/, body: 'AIza[0-9A-Za-z_-]{35}' },
  { provider: 'replicate', prefix: /^r8_/, body: 'r8_[A-Za-z0-9]{37}' },
];

/** Any of the formats, for a first pass over a file's text before the tree is asked which matches are literals. */
export const ANY_FORMAT = new RegExp(`${BEFORE}(?:${FORMATS.map((f) => f.body).join('|')})${AFTER}`, 'g');

export interface KeyMatch {
  provider: Provider;
  key: string;
  /** Offset of the key in the searched string. */
  index: number;
}

/** Real-looking keys of a known format in `s` (placeholders left out). */
export function findKeys(s: string): KeyMatch[] {
  const out: KeyMatch[] = [];
  for (const f of FORMATS) {
    const re = new RegExp(`${BEFORE}${f.body}${AFTER}`, 'g');
    for (const m of s.matchAll(re)) {
      const key = m[0];
      if (out.some((o) => o.index === m.index)) continue;
      const body = key.replace(f.prefix, '');
      if (isPlaceholder(key, body) || !mixed(body, 3, f.provider === 'huggingface')) continue;
      out.push({ provider: f.provider, key, index: m.index ?? 0 });
    }
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Words and patterns that documentation, tests and templates put where a key goes. */
const PLACEHOLDER_WORDS =
  /your|example|dummy|fake|test|sample|placeholder|replace|insert|change|redacted|secret|here|mock|todo|fixme|invalid|notreal|foobar|lorem|xxxx/i;
const PLACEHOLDER_MARKS = /\.\.|…|[<>{}[\]*$%\s]/;
const SEQUENCES = /0123|1234|2345|3456|4567|5678|6789|abcd|bcde|cdef|qwer|asdf/i;
const REPEATS = /(.)\1{4,}/i;

/** Shannon entropy in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * True for what is obviously not a live key: `sk-...`, `<your key>`, `hf_xxxx…`, values with test / dummy / example
 * words, runs and sequences (`aaaaa`, `1234`, `abcd`), or too little randomness in `body` (the part after the
 * format's fixed prefix).
 */
export function isPlaceholder(value: string, body = value): boolean {
  if (PLACEHOLDER_MARKS.test(value) || PLACEHOLDER_WORDS.test(value)) return true;
  if (SEQUENCES.test(body) || REPEATS.test(body)) return true;
  return entropy(body) < 3.2;
}

/**
 * Generated keys mix character classes: at least `classes` of lower case, upper case and digits (Hugging Face tokens,
 * all letters, need both cases). A single-case word run such as `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` is a name.
 */
function mixed(s: string, classes: number, bothCases = false): boolean {
  const lower = /[a-z]/.test(s);
  const upper = /[A-Z]/.test(s);
  const digit = /[0-9]/.test(s);
  if (bothCases) return lower && upper;
  return Number(lower) + Number(upper) + Number(digit) >= classes;
}

/** Words that make a value a name or a description rather than a generated key, where no format vouches for it. */
const NAME_WORDS =
  /^(key|keys|token|api|apikey|pass|password|prod|production|dev|staging|default|none|null|empty|local|ollama|studio|required|my|the|for)$/i;

/** A W&B API key: 40 hex digits, `local-` before them on a self-hosted server. */
const WANDB_KEY = /^(?:local-)?[0-9a-f]{40}$/;

/**
 * A literal found where a key goes (an `api_key=` argument, an `OPENAI_API_KEY = ...` constant) that looks like a
 * real secret: 20 or more token characters, letters and digits mixed, random enough, and no placeholder.
 */
export function looksLikeSecret(value: string, provider: Provider): boolean {
  if (provider === 'wandb') return WANDB_KEY.test(value) && !isPlaceholder(value, value.replace(/^local-/, ''));
  if (!/^[A-Za-z0-9_\-.:]{20,256}$/.test(value)) return false;
  if (!/[0-9]/.test(value) || !/[A-Za-z]/.test(value)) return false;
  // The randomness sits in one long run (`sk-or-v1-<64 hex>`); words joined by `_` or `-` are a name.
  const run = value.split(/[^A-Za-z0-9]/).reduce((a, b) => (b.length > a.length ? b : a), '');
  if (run.length < 16 || !mixed(run, 2)) return false;
  if (/^[A-Z][A-Z0-9_]*$/.test(value)) return false; // an environment variable's name
  return !isPlaceholder(value) && !value.split(/[^A-Za-z0-9]/).some((w) => NAME_WORDS.test(w));
}

/** `sk-p…`: the first four characters, never more. */
export function redact(key: string): string {
  return `${key.slice(0, 4)}…`;
}

/**
 * `text` with every key of a known format in it masked as `redact` does: for messages of any rule that quote code
 * (a URL with `?token=hf_…`), so that no report repeats a key in full.
 */
export function redactKeys(text: string): string {
  let out = '';
  let at = 0;
  for (const k of findKeys(text)) {
    out += text.slice(at, k.index) + redact(k.key);
    at = k.index + k.key.length;
  }
  return out + text.slice(at);
}

// ------------------------------------------------------------------ where keys go

/** Names of constants and environment variables that hold a provider's key. */
const NAMED: Array<[RegExp, Provider]> = [
  [/^azure_openai_(?:api_)?key$/i, 'azure-openai'],
  [/^openai_(?:api_)?key$/i, 'openai'],
  [/^(?:anthropic|claude)_(?:api_)?key$/i, 'anthropic'],
  [/^(?:hf|hugging_?face(?:_?hub)?)_(?:api_)?(?:token|key)$/i, 'huggingface'],
  [/^(?:google|gemini|palm)_(?:api_)?key$/i, 'google'],
  [/^(?:cohere|co)_(?:api_)?key$/i, 'cohere'],
  [/^replicate_(?:api_)?(?:token|key)$/i, 'replicate'],
  [/^wandb_(?:api_)?key$/i, 'wandb'],
];

export function providerOfName(name: string): Provider | undefined {
  for (const [re, p] of NAMED) if (re.test(name)) return p;
  return undefined;
}

/** Keyword arguments that name their provider whatever the callee (langchain and friends). */
const PROVIDER_KEYWORDS: Record<string, Provider> = {
  openai_api_key: 'openai',
  azure_openai_api_key: 'azure-openai',
  anthropic_api_key: 'anthropic',
  cohere_api_key: 'cohere',
  google_api_key: 'google',
  huggingfacehub_api_token: 'huggingface',
  huggingface_api_token: 'huggingface',
  hf_token: 'huggingface',
  replicate_api_token: 'replicate',
};

export function providerOfKeyword(name: string): Provider | undefined {
  return Object.prototype.hasOwnProperty.call(PROVIDER_KEYWORDS, name) ? PROVIDER_KEYWORDS[name] : undefined;
}

const HF_LIBRARIES = /^(huggingface_hub|transformers|datasets|diffusers|sentence_transformers|peft|langchain_huggingface|smolagents|timm|accelerate)\./;

/** The provider whose client or login a call is, by its qualified name. */
export function providerOfCallee(qname: string): Provider | undefined {
  const cls = qname.replace(/\(\)/g, '').split('.');
  const last = cls[cls.length - 1];
  const root = cls[0];
  if (root === 'openai' || root === 'langchain_openai') return /Azure/.test(qname) ? 'azure-openai' : 'openai';
  if (root === 'anthropic' || root === 'langchain_anthropic') return 'anthropic';
  if (root === 'cohere' || root === 'langchain_cohere') return 'cohere';
  if (root === 'replicate') return 'replicate';
  if (root === 'wandb') return 'wandb';
  if (HF_LIBRARIES.test(qname)) return 'huggingface';
  if (/^google\.(generativeai|genai|ai\.generativelanguage)\./.test(qname) || root === 'langchain_google_genai') return 'google';
  if (root === 'langchain' || root === 'langchain_community' || root === 'llama_index') {
    if (/Azure\w*OpenAI/.test(last)) return 'azure-openai';
    if (/OpenAI/.test(last)) return 'openai';
    if (/Anthropic/.test(last)) return 'anthropic';
    if (/Cohere/.test(last)) return 'cohere';
    if (/HuggingFace/.test(last)) return 'huggingface';
    if (/Google|Gemini/.test(last)) return 'google';
    if (/Replicate/.test(last)) return 'replicate';
  }
  return undefined;
}

/** The keyword arguments (and positions) that carry the key, for a call of `provider`'s library. */
export function keyArguments(provider: Provider, qname: string): Array<{ name: string; position?: number }> {
  const bare = qname.replace(/\(\)/g, '');
  if (provider === 'wandb') return bare === 'wandb.login' ? [{ name: 'key', position: 1 }] : [];
  if (provider === 'huggingface') {
    const login = /^huggingface_hub\.(\w+\.)*(login|interpreter_login)$/.test(bare);
    return [{ name: 'token', position: login ? 0 : undefined }, { name: 'use_auth_token' }, { name: 'api_key' }];
  }
  if (provider === 'cohere' && /^cohere\.(\w+\.)*(Async)?Client(V2)?$/.test(bare)) return [{ name: 'api_key', position: 0 }];
  if (provider === 'replicate' && /^replicate\.(\w+\.)*Client$/.test(bare)) return [{ name: 'api_token', position: 0 }];
  if (provider === 'replicate') return [{ name: 'api_token' }];
  if (provider === 'azure-openai') return [{ name: 'api_key' }, { name: 'openai_api_key' }];
  return [{ name: 'api_key' }];
}
