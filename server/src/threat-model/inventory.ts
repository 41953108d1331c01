/**
 * What one Python file tells the threat model: the models and data it loads, the endpoints it serves and where they
 * bind, the AI APIs it calls, the secrets it reads (by name), and what kind of file it is. Pure: a semantic model in,
 * facts out. It reads the same qualified names the rules read (`hubCall` for Hub downloads), never spellings.
 */
import type { Node } from '../engine/parser';
import type { CallSite, SemanticModel, Value } from '../engine/semantic';
import { DATASET_BUILDERS, hubCall, pinOf, revisionOf, type Pin } from '../rules/hub';
import { redactKeys } from '../rules/secrets';
import type { ArtefactFormat, Bind, DatasetUse, Endpoint, Evidence, ExternalApi, FileRole, ModelUse, Pinned, SourceFile } from './types';

/** What `fileFacts` found in one file, before the workspace puts the files together. */
export interface FileFacts {
  file: SourceFile;
  models: ModelUse[];
  datasets: DatasetUse[];
  endpoints: Endpoint[];
  binds: Bind[];
  externalApis: ExternalApi[];
  /** Environment variables read, with secret-looking names only; SDK defaults; literal credentials by keyword. */
  secrets: Array<{ name: string; kind: 'env' | 'implicit' | 'literal'; evidence: Evidence }>;
}

/**
 * Words whose presence makes a file worth parsing for the inventory. Files with none of them hold nothing the
 * inventory lists, and are classified by name alone.
 */
export const INVENTORY_TRIGGERS =
  /\b(?:torch|tensorflow|keras|transformers|datasets|huggingface_hub|sentence_transformers|timm|diffusers|peft|sklearn|joblib|pickle|dill|cloudpickle|onnx|onnxruntime|safetensors|xgboost|lightgbm|mlflow|llama_cpp|ultralytics|pandas|numpy|flask|fastapi|starlette|gradio|streamlit|uvicorn|openai|anthropic|cohere|mistralai|groq|together|replicate|litellm|langchain\w*|vertexai|google|boto3|ollama|vllm|environ|getenv|urlretrieve|tensorflow_datasets|torchvision|api_key|token)\b/;

const line = (n: Node): number => n.startPosition.row + 1;

/** The source text of a short expression, for tables; undefined for long or multi-line ones. */
function shortText(n: Node | undefined): string | undefined {
  if (!n) return undefined;
  const t = n.text.trim();
  return t.length <= 60 && !t.includes('\n') ? t : undefined;
}

/**
 * `fh` in `with open(path) as fh: pickle.load(fh)`: the `open` call's first argument, found in the enclosing `with`
 * statements; undefined when the name is not bound that way.
 */
function openedPath(n: Node): Node | undefined {
  if (n.type !== 'identifier') return undefined;
  for (let p: Node | null = n.parent; p; p = p.parent) {
    if (p.type === 'function_definition' || p.type === 'class_definition') return undefined;
    if (p.type !== 'with_statement') continue;
    for (const item of p.descendantsOfType('with_item')) {
      const value = item?.childForFieldName('value');
      if (value?.type !== 'as_pattern') continue;
      const alias = value.childForFieldName('alias') ?? value.namedChildren[value.namedChildren.length - 1];
      const target = alias?.type === 'as_pattern_target' ? alias.firstNamedChild : alias;
      const opened = value.namedChildren[0];
      if (target?.text !== n.text || opened?.type !== 'call') continue;
      const fn = opened.childForFieldName('function')?.text;
      if (fn !== 'open' && fn !== 'io.open' && !fn?.endsWith('.open')) continue;
      return opened.childForFieldName('arguments')?.namedChildren.find((a) => a && a.type !== 'comment' && a.type !== 'keyword_argument') ?? undefined;
    }
  }
  return undefined;
}

/** A name for what an argument refers to: the string when it is known, else its code (`computed`). */
/** The name of a model, dataset or download as the document shows it: a key in it (`?token=hf_…`) is masked. */
function named(call: CallSite, n: Node | undefined, fallback = '(not given)'): { name: string; computed?: boolean } {
  if (!n) return { name: fallback, computed: true };
  const through = openedPath(n) ?? n;
  const v = call.model.evaluate(through, call.scope);
  if (v.kind === 'str') return v.complete ? { name: redactKeys(v.value) } : { name: `${redactKeys(v.value)}…`, computed: true };
  return { name: redactKeys(shortText(through) ?? '(expression)'), computed: true };
}

function nameOf(call: CallSite, n: Node | undefined, fallback?: string): string {
  return named(call, n, fallback).name;
}

function strValue(call: CallSite, name: string, position?: number): string | undefined {
  const v = call.value(name, position);
  return v?.kind === 'str' && v.complete ? v.value : undefined;
}

function boolValue(call: CallSite, name: string): boolean | undefined {
  const v = call.value(name);
  return v?.kind === 'bool' ? v.value : undefined;
}

function pinnedOf(pin: Pin): { pinned: Pinned; revision?: string } {
  switch (pin.kind) {
    case 'pinned':
      return { pinned: 'yes' };
    case 'absent':
      return { pinned: 'no' };
    case 'movable':
      return { pinned: 'no', revision: pin.ref };
    case 'unknown':
      return { pinned: 'unknown' };
  }
}

const EXTENSION_FORMATS: Array<[RegExp, ArtefactFormat]> = [
  [/\.safetensors$/i, 'safetensors'],
  [/\.(?:pt|pth|bin|ckpt|pt2)$/i, 'torch (pickle)'],
  [/\.(?:pkl|pickle|joblib|dill|sav)$/i, 'pickle'],
  [/\.keras$/i, 'keras'],
  [/\.(?:h5|hdf5)$/i, 'hdf5'],
  [/\.onnx$/i, 'onnx'],
  [/\.tflite$/i, 'tflite'],
  [/\.(?:pb|savedmodel)$/i, 'tensorflow'],
  [/\.gguf$/i, 'gguf'],
  [/\.(?:npy|npz)$/i, 'numpy'],
  [/\.(?:ubj|xgb)$/i, 'xgboost'],
];

/** The serialisation format a file name shows, if any. */
export function formatOfPath(p: string): ArtefactFormat | undefined {
  for (const [re, f] of EXTENSION_FORMATS) if (re.test(p)) return f;
  return undefined;
}

// ------------------------------------------------------------------ models and data

interface LocalLoader {
  format: ArtefactFormat | ((call: CallSite) => ArtefactFormat);
  /** The argument that names the file: keyword and position. */
  arg: [string, number] | undefined;
}

const torchFormat = (call: CallSite): ArtefactFormat => (boolValue(call, 'weights_only') === true ? 'torch (weights only)' : 'torch (pickle)');

const LOCAL_LOADERS = new Map<string, LocalLoader>([
  ['torch.load', { format: torchFormat, arg: ['f', 0] }],
  ['torch.serialization.load', { format: torchFormat, arg: ['f', 0] }],
  ['torch.jit.load', { format: 'torchscript', arg: ['f', 0] }],
  ['joblib.load', { format: 'pickle', arg: ['filename', 0] }],
  ['pickle.load', { format: 'pickle', arg: ['file', 0] }],
  ['pickle.loads', { format: 'pickle', arg: ['data', 0] }],
  ['dill.load', { format: 'pickle', arg: ['file', 0] }],
  ['cloudpickle.load', { format: 'pickle', arg: ['file', 0] }],
  ['pandas.read_pickle', { format: 'pickle', arg: ['filepath_or_buffer', 0] }],
  ['skops.io.load', { format: 'pickle', arg: ['file', 0] }],
  ['keras.models.load_model', { format: 'keras', arg: ['filepath', 0] }],
  ['keras.saving.load_model', { format: 'keras', arg: ['filepath', 0] }],
  ['tensorflow.keras.models.load_model', { format: 'keras', arg: ['filepath', 0] }],
  ['tensorflow.keras.saving.load_model', { format: 'keras', arg: ['filepath', 0] }],
  ['tensorflow.saved_model.load', { format: 'tensorflow', arg: ['export_dir', 0] }],
  ['tensorflow.lite.Interpreter', { format: 'tflite', arg: ['model_path', 0] }],
  ['onnxruntime.InferenceSession', { format: 'onnx', arg: ['path_or_bytes', 0] }],
  ['onnx.load', { format: 'onnx', arg: ['f', 0] }],
  ['safetensors.torch.load_file', { format: 'safetensors', arg: ['filename', 0] }],
  ['safetensors.numpy.load_file', { format: 'safetensors', arg: ['filename', 0] }],
  ['safetensors.safe_open', { format: 'safetensors', arg: ['filename', 0] }],
  ['xgboost.Booster', { format: 'xgboost', arg: ['model_file', 2] }],
  ['lightgbm.Booster', { format: 'lightgbm', arg: ['model_file', 1] }],
  ['llama_cpp.Llama', { format: 'gguf', arg: ['model_path', 0] }],
  ['ultralytics.YOLO', { format: 'torch (pickle)', arg: ['model', 0] }],
]);

const MLFLOW_LOAD = /^mlflow\.(\w+)\.load_model$/;

function modelFromHub(call: CallSite, ev: Evidence): ModelUse | DatasetUse | undefined {
  const hub = hubCall(call);
  if (!hub) return undefined;
  if (hub.kind === 'dataset') {
    const builder = hub.source.kind === 'hub' && DATASET_BUILDERS.has(hub.source.id) ? hub.source.id : undefined;
    if (builder) {
      const files = call.arg('data_files', 3) ?? call.arg('data_dir', 2);
      return {
        ...(files ? named(call, files) : { name: builder }),
        source: 'local',
        loader: `load_dataset("${builder}")`,
        pinned: 'n/a',
        provenance: 'unknown',
        evidence: ev,
      };
    }
    const local = hub.source.kind === 'local';
    const pin = local ? { pinned: 'n/a' as Pinned } : pinnedOf(revisionOf(call).pin);
    return {
      ...named(call, hub.idNode),
      source: local ? 'local' : hub.source.kind === 'unknown' || hub.source.kind === 'none' ? 'unknown' : 'hub',
      loader: hub.label,
      ...pin,
      provenance: 'unknown',
      evidence: ev,
    };
  }
  if (hub.source.kind === 'none' && hub.kind === 'timm') return undefined;
  const local = hub.source.kind === 'local';
  let pin = local ? { pinned: 'n/a' as Pinned } : pinnedOf(revisionOf(call).pin);
  if (hub.embeddedPin) pin = pinnedOf(hub.embeddedPin);
  let format: ArtefactFormat = 'safetensors or pickle';
  const useSafetensors = boolValue(call, 'use_safetensors');
  if (useSafetensors === true) format = 'safetensors';
  else if (useSafetensors === false) format = 'torch (pickle)';
  if (hub.kind === 'hf_hub') {
    const filename = strValue(call, 'filename', 1);
    format = hub.label === 'snapshot_download' ? 'unknown' : (filename && formatOfPath(filename)) || 'unknown';
  }
  const id = hub.kind === 'pipeline' && !hub.idNode ? { name: `(default model for ${strValue(call, 'task', 0) ?? 'the task'})` } : named(call, hub.idNode);
  return {
    ...id,
    source: local ? 'local' : hub.source.kind === 'unknown' || hub.source.kind === 'none' ? 'unknown' : 'hub',
    loader: hub.label,
    ...pin,
    trustRemoteCode: boolValue(call, 'trust_remote_code') === true,
    format,
    evidence: ev,
  };
}

function torchHubModel(call: CallSite, ev: Evidence): ModelUse | undefined {
  if (call.qname !== 'torch.hub.load') return undefined;
  const repoNode = call.arg('repo_or_dir', 0);
  const repo = call.value('repo_or_dir', 0);
  const entry = strValue(call, 'model', 1);
  const local = strValue(call, 'source') === 'local';
  let pinned: Pinned = 'unknown';
  let revision: string | undefined;
  if (local) pinned = 'n/a';
  else if (repo?.kind === 'str') {
    const at = repo.value.indexOf(':');
    if (at === -1) pinned = repo.complete ? 'no' : 'unknown';
    else {
      const p = pinnedOf(pinOf({ kind: 'str', value: repo.value.slice(at + 1), complete: repo.complete }));
      pinned = p.pinned;
      revision = p.revision;
    }
  }
  const id = named(call, repoNode);
  const base = id.name;
  return {
    name: entry ? `${base} (${entry})` : base,
    ...(id.computed ? { computed: true } : {}),
    source: local ? 'local' : 'torch-hub',
    loader: 'torch.hub.load',
    revision,
    pinned,
    // torch.hub imports the repository's hubconf.py: its code runs here, whatever the weights.
    trustRemoteCode: !local,
    format: 'torch (pickle)',
    evidence: ev,
  };
}

function localModel(call: CallSite, ev: Evidence): ModelUse | undefined {
  const q = call.qname;
  if (!q) return undefined;
  const mlflow = MLFLOW_LOAD.exec(q);
  if (mlflow) {
    const uri = call.value('model_uri', 0);
    const id = named(call, call.arg('model_uri', 0));
    const name = id.name;
    const registry = uri?.kind === 'str' && /^(?:models|runs):\//.test(uri.value);
    return { name, ...(id.computed ? { computed: true } : {}), source: registry ? 'registry' : 'local', loader: `mlflow.${mlflow[1]}.load_model`, pinned: registry ? 'unknown' : 'n/a', trustRemoteCode: false, format: 'mlflow', evidence: ev };
  }
  const loader = LOCAL_LOADERS.get(q) ?? (q.endsWith('.load_model') && /^(?:xgboost|lightgbm|catboost)\./.test(q) ? { format: (q.startsWith('lightgbm') ? 'lightgbm' : 'xgboost') as ArtefactFormat, arg: ['fname', 0] as [string, number] } : undefined);
  if (!loader) return undefined;
  const argNode = loader.arg ? call.arg(loader.arg[0], loader.arg[1]) : undefined;
  const id = named(call, argNode, '(in memory)');
  const name = id.name;
  let format = typeof loader.format === 'function' ? loader.format(call) : loader.format;
  const byExt = formatOfPath(name);
  if (byExt && (format === 'keras' || format === 'unknown')) format = byExt;
  const remote = /^https?:\/\//i.test(name);
  return {
    name,
    ...(id.computed ? { computed: true } : {}),
    source: remote ? 'unknown' : 'local',
    loader: q.replace(/^tensorflow\./, 'tf.'),
    pinned: remote ? 'no' : 'n/a',
    trustRemoteCode: false,
    format,
    evidence: ev,
  };
}

const PANDAS_READ = /^pandas\.(?:io\.\w+\.)?(read_csv|read_json|read_parquet|read_feather|read_excel|read_table|read_orc|read_sql)$/;
const SKLEARN_DATA = /^sklearn\.datasets\.(?:_\w+\.)?(fetch_\w+|load_\w+)$/;
const KERAS_DATA = /^(?:tensorflow\.)?keras\.datasets\.(\w+)\.load_data$/;
const TORCHVISION_DATA = /^torchvision\.datasets\.(\w+)$/;

function otherDataset(call: CallSite, ev: Evidence): DatasetUse | undefined {
  const q = call.qname;
  if (!q) return undefined;
  const base = (n: string | { name: string; computed?: boolean }, source: DatasetUse['source'], loader: string, pinned: Pinned = 'n/a'): DatasetUse => ({
    ...(typeof n === 'string' ? { name: n } : n),
    source,
    loader,
    pinned,
    provenance: 'unknown',
    evidence: ev,
  });
  const pandas = PANDAS_READ.exec(q);
  if (pandas) {
    const id = named(call, call.positional[0] ?? call.keywords.get('filepath_or_buffer') ?? call.keywords.get('path') ?? call.keywords.get('path_or_buf') ?? call.keywords.get('io'));
    const remote = !id.computed && /^(?:https?|s3|gs|hf):\/\//i.test(id.name);
    return base(id, remote ? 'url' : 'local', `pandas.${pandas[1]}`, remote && /^https?:/i.test(id.name) ? 'no' : 'n/a');
  }
  if (q === 'datasets.load_from_disk' || q === 'datasets.load.load_from_disk') {
    return base(named(call, call.arg('dataset_path', 0)), 'local', 'load_from_disk');
  }
  if (q === 'urllib.request.urlretrieve') return base(named(call, call.arg('url', 0)), 'url', 'urlretrieve', 'no');
  const sk = SKLEARN_DATA.exec(q);
  if (sk) {
    if (sk[1] === 'fetch_openml') {
      const id = call.value('data_id');
      const version = call.value('version');
      const pinned: Pinned = (id && id.kind !== 'none') || version?.kind === 'num' ? 'yes' : 'no';
      return base(`openml ${nameOf(call, call.arg('name', 0) ?? call.keywords.get('data_id'))}`, 'url', 'sklearn.datasets.fetch_openml', pinned);
    }
    // The fixed fetchers check SHA-256 sums shipped with scikit-learn; the loaders read files bundled with it.
    return base(sk[1], 'library', `sklearn.datasets.${sk[1]}`, sk[1].startsWith('fetch_') ? 'yes' : 'n/a');
  }
  if (q === 'tensorflow_datasets.load') {
    const name = nameOf(call, call.arg('name', 0));
    return base(name, 'library', 'tfds.load', /:\d+\.\d+\.\d+$/.test(name) ? 'yes' : 'no');
  }
  const kd = KERAS_DATA.exec(q);
  if (kd) return base(kd[1], 'library', `keras.datasets.${kd[1]}.load_data`, 'yes');
  const tv = TORCHVISION_DATA.exec(q);
  if (tv && /^[A-Z]/.test(tv[1]) && tv[1] !== 'ImageFolder' && tv[1] !== 'DatasetFolder') {
    const download = boolValue(call, 'download') === true;
    return base(tv[1], download ? 'library' : 'local', `torchvision.datasets.${tv[1]}`, download ? 'unknown' : 'n/a');
  }
  if (tv && (tv[1] === 'ImageFolder' || tv[1] === 'DatasetFolder')) {
    return base(named(call, call.arg('root', 0)), 'local', `torchvision.datasets.${tv[1]}`);
  }
  return undefined;
}

// ------------------------------------------------------------------ serving

const FLASK_ROUTE = /^flask\.(?:Flask|Blueprint|app\.Flask|blueprints\.Blueprint)\(\)\.(route|get|post|put|delete|patch|add_url_rule)$/;
const FASTAPI_ROUTE = /^fastapi\.(?:FastAPI|APIRouter|routing\.APIRouter|applications\.FastAPI)\(\)\.(get|post|put|delete|patch|options|head|api_route|websocket|add_api_route)$/;
const GRADIO_APP = /^gradio\.(Interface|Blocks|ChatInterface|TabbedInterface)$/;
const SERVING_IMPORTS = ['flask', 'fastapi', 'starlette', 'gradio', 'streamlit', 'bentoml', 'ray.serve', 'litserve', 'uvicorn', 'aiohttp.web', 'django', 'ts.torch_handler', 'tornado.web'];

function listOfStrings(call: CallSite, n: Node | undefined): string[] {
  if (!n || (n.type !== 'list' && n.type !== 'tuple' && n.type !== 'set')) return [];
  return n.namedChildren.flatMap((c) => {
    if (!c) return [];
    const v = call.model.evaluate(c, call.scope);
    return v.kind === 'str' && v.complete ? [v.value.toUpperCase()] : [];
  });
}

function routeOf(call: CallSite, ev: Evidence): Endpoint | undefined {
  const q = call.qname;
  if (!q) return undefined;
  const flask = FLASK_ROUTE.exec(q);
  const fastapi = flask ? undefined : FASTAPI_ROUTE.exec(q);
  if (!flask && !fastapi) return undefined;
  const verb = (flask ?? fastapi)![1];
  const route = strValue(call, flask ? 'rule' : 'path', 0) ?? nameOf(call, call.arg(flask ? 'rule' : 'path', 0), '(dynamic)');
  let methods: string[];
  if (['route', 'add_url_rule', 'api_route', 'add_api_route'].includes(verb)) {
    methods = listOfStrings(call, call.keywords.get('methods'));
    if (methods.length === 0) methods = flask ? ['GET'] : verb === 'api_route' || verb === 'add_api_route' ? ['GET'] : [];
  } else if (verb === 'websocket') {
    methods = ['WEBSOCKET'];
  } else {
    methods = [verb.toUpperCase()];
  }
  return {
    framework: flask ? 'flask' : 'fastapi',
    name: `${methods.join('|')} ${route}`.trim(),
    methods,
    route,
    evidence: ev,
  };
}

const PUBLIC_HOSTS = new Set(['0.0.0.0', '::', '', '[::]']);

function hostOf(call: CallSite, name: string, position?: number): { host?: string; known: boolean } {
  const n = call.arg(name, position);
  if (!n) return { known: true };
  const v = call.model.evaluate(n, call.scope);
  if (v.kind === 'str' && v.complete) return { host: v.value, known: true };
  return { host: shortText(n) ?? '(dynamic)', known: false };
}

function portOf(call: CallSite, name: string, position?: number): number | undefined {
  const v = call.value(name, position);
  return v?.kind === 'num' ? v.value : undefined;
}

function bindOf(call: CallSite, model: SemanticModel, ev: Evidence): Bind | undefined {
  const q = call.qname ?? '';
  if (/^flask\.(?:app\.)?Flask\(\)\.run$/.test(q)) {
    const h = hostOf(call, 'host', 0);
    return { framework: 'flask', host: h.host, port: portOf(call, 'port', 1), public: h.known && h.host !== undefined && PUBLIC_HOSTS.has(h.host), debug: boolValue(call, 'debug'), evidence: ev };
  }
  if (q === 'uvicorn.run') {
    const h = hostOf(call, 'host');
    return { framework: 'uvicorn', host: h.host, port: portOf(call, 'port'), public: h.known && h.host !== undefined && PUBLIC_HOSTS.has(h.host), debug: boolValue(call, 'reload'), evidence: ev };
  }
  const gradioLaunch = /^gradio\.\w+\(\)\.launch$/.test(q) || (call.name === 'launch' && !q && model.imports('gradio'));
  if (gradioLaunch) {
    const h = hostOf(call, 'server_name');
    const share = boolValue(call, 'share') === true;
    return {
      framework: 'gradio',
      host: h.host,
      port: portOf(call, 'server_port'),
      public: share || (h.known && h.host !== undefined && PUBLIC_HOSTS.has(h.host)),
      share,
      debug: boolValue(call, 'debug'),
      evidence: ev,
    };
  }
  return undefined;
}

// ------------------------------------------------------------------ AI APIs and secrets

interface Provider {
  name: string;
  /** The environment variable the SDK reads when no key is passed. */
  env?: string;
}

const OPENAI: Provider = { name: 'OpenAI', env: 'OPENAI_API_KEY' };
const ANTHROPIC: Provider = { name: 'Anthropic', env: 'ANTHROPIC_API_KEY' };
const HF_INFERENCE: Provider = { name: 'Hugging Face Inference', env: 'HF_TOKEN' };
const GEMINI: Provider = { name: 'Google Gemini', env: 'GOOGLE_API_KEY' };

/** Client constructors and module-level calls that reach a hosted model, by qualified name. */
const API_CALLS: Array<[RegExp, Provider]> = [
  [/^openai\.(?:OpenAI|AsyncOpenAI)$/, OPENAI],
  [/^openai\.(?:AzureOpenAI|AsyncAzureOpenAI)$/, { name: 'Azure OpenAI', env: 'AZURE_OPENAI_API_KEY' }],
  [/^openai\.(?:ChatCompletion|Completion|Embedding|chat|completions|responses|embeddings)\.\w+$/, OPENAI],
  [/^anthropic\.(?:Anthropic|AsyncAnthropic|AnthropicBedrock|AnthropicVertex|Client)$/, ANTHROPIC],
  [/^huggingface_hub\.(?:InferenceClient|AsyncInferenceClient|InferenceApi|inference_api\.InferenceApi)$/, HF_INFERENCE],
  [/^google\.generativeai\.(?:GenerativeModel|configure)$/, GEMINI],
  [/^google\.genai\.Client$/, GEMINI],
  [/^vertexai\.(?:init|generative_models\.GenerativeModel|preview\.\w+)/, { name: 'Google Vertex AI' }],
  [/^cohere\.(?:Client|ClientV2|AsyncClient|AsyncClientV2)$/, { name: 'Cohere', env: 'CO_API_KEY' }],
  [/^mistralai\.(?:Mistral|client\.MistralClient|async_client\.MistralAsyncClient)$/, { name: 'Mistral AI', env: 'MISTRAL_API_KEY' }],
  [/^groq\.(?:Groq|AsyncGroq)$/, { name: 'Groq', env: 'GROQ_API_KEY' }],
  [/^together\.(?:Together|AsyncTogether)$/, { name: 'Together AI', env: 'TOGETHER_API_KEY' }],
  [/^replicate\.(?:run|Client|stream)$/, { name: 'Replicate', env: 'REPLICATE_API_TOKEN' }],
  [/^litellm\.(?:completion|acompletion|embedding|Router)$/, { name: 'LiteLLM (any provider)' }],
  [/^langchain_openai\.(?:ChatOpenAI|OpenAI|OpenAIEmbeddings)$/, OPENAI],
  [/^langchain_openai\.(?:AzureChatOpenAI|AzureOpenAIEmbeddings)$/, { name: 'Azure OpenAI', env: 'AZURE_OPENAI_API_KEY' }],
  [/^langchain_anthropic\.ChatAnthropic$/, ANTHROPIC],
  [/^langchain_google_genai\.\w+$/, GEMINI],
  [/^langchain_(?:huggingface|community\.llms)\.HuggingFaceEndpoint$/, HF_INFERENCE],
  [/^ollama\.(?:chat|generate|embeddings|embed|Client|AsyncClient)$/, { name: 'Ollama' }],
];

/** Hosted model APIs reached by URL (`requests.post("https://api.openai.com/v1/...")`). */
const API_HOSTS: Array<[RegExp, string]> = [
  [/https?:\/\/api\.openai\.com\b/g, 'OpenAI'],
  [/https?:\/\/[\w.-]+\.openai\.azure\.com\b/g, 'Azure OpenAI'],
  [/https?:\/\/api\.anthropic\.com\b/g, 'Anthropic'],
  [/https?:\/\/(?:api-inference\.huggingface\.co|router\.huggingface\.co|[\w.-]+\.endpoints\.huggingface\.cloud)\b/g, 'Hugging Face Inference'],
  [/https?:\/\/generativelanguage\.googleapis\.com\b/g, 'Google Gemini'],
  [/https?:\/\/api\.cohere\.(?:ai|com)\b/g, 'Cohere'],
  [/https?:\/\/api\.mistral\.ai\b/g, 'Mistral AI'],
  [/https?:\/\/api\.groq\.com\b/g, 'Groq'],
  [/https?:\/\/api\.together\.xyz\b/g, 'Together AI'],
];

const KEY_KEYWORDS = /^(?:api_key|apikey|token|access_token|auth_token|hf_token|use_auth_token|secret|secret_key|password|passwd)$/;

/** Name segments that make an environment variable a credential (`HF_TOKEN`, but not `TOKENIZERS_PARALLELISM`). */
const SECRET_SEGMENTS = new Set(['KEY', 'APIKEY', 'TOKEN', 'SECRET', 'PASSWORD', 'PASSWD', 'PWD', 'CREDENTIAL', 'CREDENTIALS', 'AUTH', 'PAT', 'PRIVATE']);

export function secretLikeName(name: string): boolean {
  return name.toUpperCase().split(/[^A-Z0-9]+/).some((s) => SECRET_SEGMENTS.has(s));
}

const ENV_CALLS = new Set(['os.getenv', 'os.environ.get', 'os.environ.setdefault', 'os.environ.pop', 'os.environ.__getitem__']);

/** `os.environ["X"]`: subscripts are not calls, so they are found in the tree. */
function envSubscripts(model: SemanticModel): Array<{ name: string; node: Node }> {
  if (!/\benviron\b/.test(model.text)) return [];
  const out: Array<{ name: string; node: Node }> = [];
  for (const node of model.tree.rootNode.descendantsOfType('subscript')) {
    if (!node) continue;
    const value = node.childForFieldName('value');
    const index = node.childForFieldName('subscript');
    if (!value || !index) continue;
    const scope = model.scopeAt(node);
    const target = model.evaluate(value, scope);
    if (target.kind !== 'ref' || target.qname !== 'os.environ') continue;
    const key = model.evaluate(index, scope);
    if (key.kind === 'str' && key.complete) out.push({ name: key.value, node });
  }
  return out;
}

// ------------------------------------------------------------------ roles

const TRAINING_CALLS = /^(?:transformers\.(?:Trainer|Seq2SeqTrainer)|trl\.\w*Trainer|(?:pytorch_)?lightning(?:\.pytorch)?\.Trainer|accelerate\.Accelerator|sentence_transformers\.SentenceTransformerTrainer)$/;
const TRAINING_METHODS = new Set(['fit', 'train', 'backward', 'fit_transform', 'partial_fit']);
const SAVE_CALLS = /^(?:torch\.save|torch\.jit\.save|joblib\.dump|pickle\.dump|dill\.dump|cloudpickle\.dump|safetensors\.\w+\.save_file|tensorflow\.saved_model\.save|keras\.models\.save_model|mlflow\.\w+\.(?:log_model|save_model)|onnx\.save|torch\.onnx\.export)$/;
const SAVE_METHODS = new Set(['save_pretrained', 'save_model', 'push_to_hub', 'save_state']);
const LLM_MODELS = /(?:ForCausalLM|ForSeq2SeqLM|ForConditionalGeneration)\.from_pretrained$|^vllm\.LLM$|^llama_cpp\.Llama(?:\.from_pretrained)?$/;
const LLM_TASKS = new Set(['text-generation', 'text2text-generation', 'conversational', 'summarization', 'translation', 'image-text-to-text']);
const MONITORING = ['prometheus_client', 'evidently', 'whylogs', 'opentelemetry', 'sentry_sdk', 'mlflow', 'wandb', 'langfuse', 'langsmith', 'arize', 'datadog', 'ddtrace'];
const SERVING_NAME = /(?:^|[\\/_-])(?:serve|server|serving|app|api|inference|infer|predict|predictor|handler|endpoint|gateway|chat|bot)(?:[_-][^\\/]*)?\.py$/i;
const TRAINING_NAME = /(?:^|[\\/_-])(?:train|training|trainer|finetune|fine_tune|fine-tune|pretrain|fit)(?:[_-][^\\/]*)?\.py$/i;

/** Names that suggest a route checks who is calling; the serving rows quote the first one as something to confirm. */
const AUTH_HINT =
  /\b(login_required|HTTPBearer|HTTPBasic|OAuth2\w*|APIKey(?:Header|Query|Cookie)|jwt_required|\w*auth\w*_required|requires_auth|verify_\w*(?:key|token|auth|user)\w*|check_\w*(?:key|token|auth)\w*|get_current_user|BasicAuth|HTTPAuthorizationCredentials)\b/;

function importLine(text: string, module: string): number | undefined {
  const re = new RegExp(`^\\s*(?:import|from)\\s+${module.replace(/\./g, '\\.')}\\b`, 'm');
  const m = re.exec(text);
  if (!m) return undefined;
  return text.slice(0, m.index).split('\n').length;
}

// ------------------------------------------------------------------ the file

/** The inventory facts of one parsed file. `path` is the POSIX path relative to the workspace. */
export function fileFacts(model: SemanticModel, path: string): FileFacts {
  const at = (n: Node): Evidence => ({ path, line: line(n) });
  const models: ModelUse[] = [];
  const datasets: DatasetUse[] = [];
  const endpoints: Endpoint[] = [];
  const binds: Bind[] = [];
  const externalApis: ExternalApi[] = [];
  const secrets: FileFacts['secrets'] = [];
  let trainingWhy: string | undefined;
  let saves = false;
  let logs = model.imports('logging') || model.imports('loguru') || model.imports('structlog');
  let usesLlm = false;

  for (const call of model.calls) {
    const ev = at(call.node);
    const q = call.qname;
    const hub = modelFromHub(call, ev);
    if (hub) {
      if ('provenance' in hub) datasets.push(hub);
      else {
        models.push(hub);
        const task = call.value('task', 0);
        if (LLM_MODELS.test(hub.loader) || (hub.loader === 'pipeline' && task?.kind === 'str' && LLM_TASKS.has(task.value))) usesLlm = true;
      }
      continue;
    }
    const th = torchHubModel(call, ev);
    if (th) {
      models.push(th);
      continue;
    }
    const lm = localModel(call, ev);
    if (lm) {
      models.push(lm);
      if (q && LLM_MODELS.test(q)) usesLlm = true;
      continue;
    }
    const ds = otherDataset(call, ev);
    if (ds) {
      datasets.push(ds);
      continue;
    }
    const route = routeOf(call, ev);
    if (route) {
      endpoints.push(route);
      continue;
    }
    if (q && GRADIO_APP.test(q)) {
      endpoints.push({ framework: 'gradio', name: `gradio ${q.slice('gradio.'.length)}`, methods: [], evidence: ev });
      continue;
    }
    const bind = bindOf(call, model, ev);
    if (bind) {
      binds.push(bind);
      continue;
    }
    if (q) {
      const api = API_CALLS.find(([re]) => re.test(q));
      if (api) {
        const provider = api[1];
        externalApis.push({ provider: provider.name, via: q, evidence: ev });
        usesLlm = true;
        const key = call.keywords.get('api_key') ?? call.keywords.get('token');
        if (!key && provider.env && /^[A-Z]/.test(q.split('.').pop() ?? '')) {
          secrets.push({ name: provider.env, kind: 'implicit', evidence: ev });
        }
      } else if (q === 'boto3.client' || q === 'boto3.session.Session().client') {
        const service = strValue(call, 'service_name', 0);
        if (service === 'bedrock-runtime' || service === 'bedrock-agent-runtime') {
          externalApis.push({ provider: 'AWS Bedrock', via: `boto3.client("${service}")`, evidence: ev });
          usesLlm = true;
        }
      }
      if (ENV_CALLS.has(q)) {
        const name = strValue(call, 'key', 0);
        if (name && secretLikeName(name)) secrets.push({ name, kind: 'env', evidence: ev });
      }
      if (TRAINING_CALLS.test(q) && !trainingWhy) trainingWhy = `calls \`${q.split('.').pop()}\``;
      if (SAVE_CALLS.test(q)) saves = true;
      if (/^(?:logging|loguru\.logger|structlog)\b/.test(q)) logs = true;
    }
    if (!trainingWhy && TRAINING_METHODS.has(call.name) && call.functionNode?.type === 'attribute' && !/^(?:sklearn\.preprocessing|flask|fastapi)/.test(q ?? '')) {
      trainingWhy = `calls \`.${call.name}()\``;
    }
    if (SAVE_METHODS.has(call.name) && call.functionNode?.type === 'attribute') saves = true;
    if (call.name === 'info' || call.name === 'warning' || call.name === 'exception') {
      const obj = call.functionNode?.childForFieldName('object')?.text ?? '';
      if (/^_{0,2}(?:log|logger)$/i.test(obj)) logs = true;
    }
    // A credential written into the code: reported by keyword, never by value.
    for (const [kw, node] of call.keywords) {
      if (!KEY_KEYWORDS.test(kw)) continue;
      const v = call.model.evaluate(node, call.scope);
      if (v.kind === 'str' && v.complete && looksLikeCredential(v)) secrets.push({ name: kw, kind: 'literal', evidence: at(node) });
    }
  }

  for (const { name, node } of envSubscripts(model)) if (secretLikeName(name)) secrets.push({ name, kind: 'env', evidence: at(node) });

  // URLs of hosted model APIs in strings.
  for (const [re, provider] of API_HOSTS) {
    re.lastIndex = 0;
    for (let m = re.exec(model.text); m; m = re.exec(model.text)) {
      const ln = model.text.slice(0, m.index).split('\n').length;
      if (!externalApis.some((a) => a.provider === provider && a.evidence.line === ln)) {
        externalApis.push({ provider, via: m[0], evidence: { path, line: ln } });
        usesLlm = true;
      }
    }
  }

  if (model.imports('streamlit')) {
    const ln = importLine(model.text, 'streamlit') ?? 1;
    endpoints.push({ framework: 'streamlit', name: 'streamlit app', methods: [], evidence: { path, line: ln } });
    // `streamlit run` listens on every interface unless server.address is set.
    binds.push({ framework: 'streamlit', host: undefined, public: true, evidence: { path, line: ln } });
  }
  if (model.imports('langchain') || model.imports('langchain_core') || model.imports('llama_index') || model.imports('vllm')) usesLlm = true;

  const monitoring = MONITORING.filter((m) => model.imports(m));
  const servingImport = SERVING_IMPORTS.find((m) => model.imports(m));
  let role: FileRole = 'other';
  let why = 'no serving or training code found';
  if (endpoints.length || binds.length) {
    role = 'serving';
    why = endpoints.length ? `defines ${endpoints[0].framework === 'streamlit' || endpoints[0].framework === 'gradio' ? `a ${endpoints[0].framework} app` : 'routes'}` : 'starts a server';
  } else if (servingImport && (models.length || externalApis.length)) {
    // A helper module of a web app (schemas, dependencies) is not a component of its own unless it touches a model.
    role = 'serving';
    why = `imports \`${servingImport}\` and loads a model`;
  } else if (trainingWhy) {
    role = 'training';
    why = trainingWhy;
  } else if (TRAINING_NAME.test(path)) {
    role = 'training';
    why = `named \`${path.split('/').pop()}\``;
  } else if (SERVING_NAME.test(path) && (models.length || externalApis.length)) {
    role = 'serving';
    why = `named \`${path.split('/').pop()}\` and loads a model`;
  }

  return {
    file: { path, role, why, logs, savesArtefacts: saves, usesLlm, monitoring, ...(role === 'serving' && AUTH_HINT.test(model.text) ? { authHint: AUTH_HINT.exec(model.text)![1] } : {}) },
    models,
    datasets,
    endpoints,
    binds,
    externalApis,
    secrets,
  };
}

/** A string that could be a real credential rather than a placeholder or an empty default. */
function looksLikeCredential(v: Value & { kind: 'str' }): boolean {
  const s = v.value.trim();
  if (s.length < 8 || /\s/.test(s)) return false;
  if (/^(?:x+|\*+|\.{3}|<.*>|\$\{.*\}|your[_-].*|changeme|placeholder|none|null|test|dummy|example.*)$/i.test(s)) return false;
  return true;
}

/** Facts for a file that was not parsed (it holds none of the inventory's words): its role by name only. */
export function unparsedFileFacts(path: string): FileFacts {
  const role: FileRole = TRAINING_NAME.test(path) ? 'training' : 'other';
  return {
    file: { path, role, why: role === 'training' ? `named \`${path.split('/').pop()}\`` : 'no serving or training code found', logs: false, savesArtefacts: false, usesLlm: false, monitoring: [] },
    models: [],
    datasets: [],
    endpoints: [],
    binds: [],
    externalApis: [],
    secrets: [],
  };
}
