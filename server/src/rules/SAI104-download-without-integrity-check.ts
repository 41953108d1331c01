import type { Node } from '../engine/parser';
import type { Rule } from '../engine/rule';
import type { CallSite, Scope, SemanticModel } from '../engine/semantic';
import type { Confidence, Severity } from '../engine/types';
import { boundValue, checkedNearby, digestSite } from './artifacts';
import { redactKeys } from './secrets';

/** File extensions of model weights and serialised models. */
const MODEL_EXTENSIONS = new Set([
  'pt', 'pth', 'bin', 'ckpt', 'safetensors', 'onnx', 'h5', 'hdf5', 'keras', 'pb', 'tflite', 'pkl', 'pickle',
  'joblib', 'npy', 'npz', 'gguf', 'ggml', 'msgpack', 'caffemodel', 'mlmodel', 'pdparams', 'params',
]);
/** File extensions of data sets and the archives they ship in. */
const DATA_EXTENSIONS = new Set([
  'csv', 'tsv', 'parquet', 'jsonl', 'arrow', 'feather', 'tfrecord', 'zip', 'tar', 'tgz', 'gz', 'bz2', 'xz', 'zst',
]);
/** Imports that make a module ML or data code, where a data-file download is an input to a model. */
const ML_IMPORTS = [
  'torch', 'tensorflow', 'keras', 'jax', 'flax', 'sklearn', 'transformers', 'datasets', 'pandas', 'numpy', 'polars',
  'xgboost', 'lightgbm', 'catboost', 'lightning', 'pytorch_lightning', 'timm', 'torchvision', 'onnxruntime',
];

const KERAS_GET_FILE = /^(tensorflow\.(python\.)?)?(tf_)?keras\.(src\.)?utils\.((data_utils|file_utils)\.)?get_file$/;
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\])$/i;

type Kind = 'torch-hub-file' | 'torch-hub-state' | 'keras' | 'file' | 'http-get';

interface Download {
  kind: Kind;
  label: string;
  url?: Node;
  /** Where the file lands, for downloaders that take it. */
  dest?: Node;
  /** The call's own integrity argument: set to something other than None / False means checked. */
  hashArgs: Array<{ name: string; position?: number }>;
  /** The integrity argument the message names. */
  missing?: string;
}

function downloadOf(call: CallSite): Download | undefined {
  const q = call.qname;
  if (!q) return undefined;
  if (q === 'torch.hub.download_url_to_file') {
    return {
      kind: 'torch-hub-file', label: 'download_url_to_file', url: call.arg('url', 0), dest: call.arg('dst', 1),
      hashArgs: [{ name: 'hash_prefix', position: 2 }], missing: '`hash_prefix`',
    };
  }
  if (q === 'torch.hub.load_state_dict_from_url' || q === 'torch.utils.model_zoo.load_url') {
    return {
      kind: 'torch-hub-state', label: q.slice(q.lastIndexOf('.') + 1), url: call.arg('url', 0),
      hashArgs: [{ name: 'check_hash', position: 4 }], missing: '`check_hash=True`',
    };
  }
  if (KERAS_GET_FILE.test(q)) {
    return {
      kind: 'keras', label: 'get_file', url: call.arg('origin', 1), dest: call.arg('fname', 0),
      hashArgs: [{ name: 'file_hash', position: 4 }, { name: 'md5_hash', position: 3 }], missing: '`file_hash`',
    };
  }
  if (q === 'urllib.request.urlretrieve' || q === 'six.moves.urllib.request.urlretrieve') {
    return { kind: 'file', label: 'urlretrieve', url: call.arg('url', 0), dest: call.arg('filename', 1), hashArgs: [] };
  }
  if (q === 'wget.download') {
    return { kind: 'file', label: 'wget.download', url: call.arg('url', 0), dest: call.arg('out', 1), hashArgs: [] };
  }
  if (
    q === 'requests.get' ||
    q === 'requests.api.get' ||
    /^requests\.(Session|session)\(\)\.get$/.test(q) ||
    q === 'httpx.get' ||
    /^httpx\.(Client|AsyncClient)\(\)\.get$/.test(q) ||
    q === 'urllib.request.urlopen'
  ) {
    const label = q.startsWith('urllib') ? 'urlopen' : q.startsWith('httpx') ? 'httpx.get' : 'requests.get';
    return { kind: 'http-get', label, url: call.arg('url', 0), hashArgs: [] };
  }
  return undefined;
}

// ------------------------------------------------------------------ what a URL or path expression is known to be

interface Shape {
  /** The whole string, when it is known. */
  full?: string;
  /** The known start ('' when unknown). */
  head: string;
  /** The known end ('' when unknown). */
  tail: string;
}

const UNKNOWN: Shape = { head: '', tail: '' };
const known = (s: string): Shape => ({ full: s, head: s, tail: s });

function concat(a: Shape, b: Shape): Shape {
  if (a.full !== undefined && b.full !== undefined) return known(a.full + b.full);
  return {
    head: a.full !== undefined ? a.full + b.head : a.head,
    tail: b.full !== undefined ? a.tail + b.full : b.tail,
  };
}

/** The raw text of a string's content parts, split at its interpolations. */
function stringParts(node: Node): string[] {
  const parts: string[] = [''];
  for (const c of node.children) {
    if (!c) continue;
    if (c.type === 'interpolation') parts.push('');
    else if (c.type === 'string_content') parts[parts.length - 1] += c.text;
  }
  return parts;
}

/** `"{}/model.pt".format(x)` and `"%s/model.pt" % x`: the text before the first and after the last placeholder. */
function templateShape(template: string, placeholder: RegExp): Shape {
  const matches = [...template.matchAll(placeholder)];
  if (matches.length === 0) return known(template);
  const first = matches[0];
  const last = matches[matches.length - 1];
  return { head: template.slice(0, first.index), tail: template.slice((last.index ?? 0) + last[0].length) };
}

const PATH_JOIN = /^(os\.path\.join|posixpath\.join|ntpath\.join|urllib\.parse\.urljoin|pathlib\.\w*Path|str|os\.fspath)$/;

function shapeOf(model: SemanticModel, node: Node, scope: Scope, at: number, depth = 0): Shape {
  if (depth > 6) return UNKNOWN;
  switch (node.type) {
    case 'string': {
      const v = model.evaluate(node, scope, 0, at);
      if (v.kind === 'str' && v.complete) return known(v.value);
      if (v.kind !== 'str') return UNKNOWN;
      const parts = stringParts(node);
      return { head: v.value, tail: parts.length > 1 ? parts[parts.length - 1] : '' };
    }
    case 'concatenated_string': {
      let acc: Shape = known('');
      for (const part of node.namedChildren) if (part) acc = concat(acc, shapeOf(model, part, scope, at, depth + 1));
      return acc;
    }
    case 'parenthesized_expression': {
      const inner = node.firstNamedChild;
      return inner ? shapeOf(model, inner, scope, at, depth + 1) : UNKNOWN;
    }
    case 'identifier': {
      const v = model.evaluate(node, scope, 0, at);
      if (v.kind === 'str' && v.complete) return known(v.value);
      const b = boundValue(model, node.text, scope, at);
      return b?.value ? shapeOf(model, b.value, b.scope, b.at, depth + 1) : UNKNOWN;
    }
    case 'binary_operator': {
      const op = node.childForFieldName('operator')?.text;
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      if (!left || !right) return UNKNOWN;
      if (op === '+') return concat(shapeOf(model, left, scope, at, depth + 1), shapeOf(model, right, scope, at, depth + 1));
      if (op === '/') {
        const l = shapeOf(model, left, scope, at, depth + 1);
        const r = shapeOf(model, right, scope, at, depth + 1);
        return { head: l.head, tail: r.full !== undefined ? `/${r.full}` : r.tail };
      }
      if (op === '%') {
        const l = shapeOf(model, left, scope, at, depth + 1);
        return l.full !== undefined ? templateShape(l.full, /%[-#0 +]*\d*(?:\.\d+)?[sdrifxaoc]/g) : UNKNOWN;
      }
      return UNKNOWN;
    }
    case 'call': {
      const fn = node.childForFieldName('function');
      const args = node.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => !!a && a.type !== 'comment' && a.type !== 'keyword_argument') ?? [];
      if (!fn) return UNKNOWN;
      if (fn.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'format') {
        const obj = fn.childForFieldName('object');
        const s = obj ? shapeOf(model, obj, scope, at, depth + 1) : UNKNOWN;
        return s.full !== undefined ? templateShape(s.full, /\{[^{}]*\}/g) : UNKNOWN;
      }
      const q = model.qnameOf(fn, scope);
      if (!q || !PATH_JOIN.test(q) || args.length === 0) return UNKNOWN;
      const first = shapeOf(model, args[0], scope, at, depth + 1);
      if (args.length === 1) return first;
      const last = shapeOf(model, args[args.length - 1], scope, at, depth + 1);
      return { head: first.full ?? first.head, tail: last.full !== undefined ? `/${last.full}` : last.tail };
    }
    default:
      return UNKNOWN;
  }
}

/** The last path segment of what a shape is known to end with, without query or fragment. */
function fileName(s: Shape): string | undefined {
  const end = s.full ?? s.tail;
  if (!end) return undefined;
  const path = end.replace(/[?#].*$/s, '');
  const segment = path.slice(path.lastIndexOf('/') + 1);
  // A tail that holds no `/` may be the middle of a name (`f"{name}.pt"`): its extension is still known.
  return segment || undefined;
}

function extensionOf(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const dot = name.lastIndexOf('.');
  return dot === -1 ? undefined : name.slice(dot + 1).toLowerCase();
}

type Scheme = 'https' | 'cleartext' | 'local' | 'unknown';

function schemeOf(s: Shape): Scheme {
  const head = s.full ?? s.head;
  const m = /^(\w+):\/\/([^/?#]*)/.exec(head);
  if (!m) return /^file:/i.test(head) ? 'local' : 'unknown';
  const scheme = m[1].toLowerCase();
  if (scheme === 'file') return 'local';
  if (scheme !== 'http' && scheme !== 'ftp') return 'https';
  // The host must be known in full: `http://{host}/...` may be a loopback or an internal mirror.
  const rest = head.slice(m[0].length);
  if (s.full === undefined && rest === '') return 'unknown';
  const host = m[2].replace(/:\d+$/, '').replace(/^[^@]*@/, '');
  return LOOPBACK.test(host) ? 'local' : 'cleartext';
}

/** The given integrity argument (`hash_prefix`, `check_hash=True`, `file_hash`): anything but None or False counts. */
function hasHashArgument(call: CallSite, d: Download): boolean {
  for (const h of d.hashArgs) {
    const v = call.value(h.name, h.position);
    if (!v) continue;
    if (v.kind === 'none' || (v.kind === 'bool' && !v.value) || (v.kind === 'str' && v.complete && v.value === '')) continue;
    return true;
  }
  return false;
}

function display(name: string | undefined): string | undefined {
  if (!name || name.length > 60 || /[`\s]/.test(name)) return undefined;
  return redactKeys(name); // a key in the URL is shown masked, as SAI601 shows it
}

export const rule: Rule = {
  id: 'SAI104',
  name: 'download-without-integrity-check',
  hazard: 'Model or data file downloaded without an integrity check, or over plain http',
  severity: 'warning',
  confidence: 'medium',
  guidelines: [
    'NCSC-2.1', 'NCSC-3.2', 'OWASP-ML06', 'AML.T0010', 'AML.M0014', 'CWE-494', 'CWE-353', 'CWE-319', 'CWE-295',
  ],
  message:
    'A model or data file is downloaded with no hash check, so a tampered or swapped file is used unnoticed.',
  // `requests.get`, `httpx.get` and `wget.download` resolve only through an import that spells the module's name.
  triggers: ['download_url_to_file', 'load_state_dict_from_url', 'load_url', 'get_file', 'urlretrieve', 'urlopen', 'requests', 'httpx', 'wget'],
  requires: ['torch', 'keras', 'tensorflow', 'tf_keras', 'urllib', 'requests', 'httpx', 'wget'],
  reads: ['notebook-command'],
  docs: {
    why:
      'A file fetched from a URL is whatever the server, a mirror, a compromised account or anyone on the network path ' +
      'hands over. Weights and data sets are rarely read by a person before use, so a swapped file goes straight into ' +
      'training or inference, and pickled weights run code on load. The NCSC guidelines ask that models and data come ' +
      'from verified sources and be checked (NCSC 2.1) and that model files be protected by hashes (NCSC 3.2); MITRE ' +
      'ATLAS names verifying AI artifacts (AML.M0014) against supply-chain compromise (AML.T0010). A download with no ' +
      'integrity check is CWE-494 / CWE-353; plain `http://` is cleartext (CWE-319), and `verify=False` turns off ' +
      'certificate checks (CWE-295): both let a network attacker swap the file.\n\n' +
      'Reported: `torch.hub.download_url_to_file` without `hash_prefix`; `torch.hub.load_state_dict_from_url` / ' +
      '`torch.utils.model_zoo.load_url` without `check_hash=True`; `keras.utils.get_file` (also as `tf.keras`) ' +
      'without `file_hash` (or the older `md5_hash`), all with high confidence; and `urllib.request.urlretrieve`, ' +
      '`wget.download`, `requests.get`, `httpx.get` and `urlopen` when the URL (or the destination file name) ends ' +
      'in a model extension (`.pt`, `.pth`, `.bin`, `.ckpt`, `.safetensors`, `.onnx`, `.h5`, `.keras`, `.pkl`, ' +
      '`.joblib`, `.gguf`, ...) or, in a module that imports an ML or data library, a data or archive extension ' +
      '(`.csv`, `.parquet`, `.jsonl`, `.zip`, `.tar.gz`, ...). A `urlretrieve` or `wget.download` from a plain ' +
      '`http://` (or `ftp://`) URL is reported whatever the file is, in such a module. The URL is followed through ' +
      'constants, f-strings (their known start and end), concatenation, `.format` and `os.path.join`; a host that ' +
      'is a loopback address, or not known in full, is not reported as cleartext, and `file://` URLs are local. ' +
      '`requests` / `httpx` with `verify=False` on such a download is reported as an error.\n\n' +
      'Not reported: a given integrity argument (any value but `None` / `False`), or a hash check in the same ' +
      'function: a `hashlib` digest, a `*sha256*` / `*checksum*` / `*digest*` / `*hash*` helper, or a `verify*` / ' +
      '`*integrity*` call, also over plain `http://` (a verified hash already catches a swapped file). At module level the check must name the URL, the destination or the response (or be an ' +
      'argument-less `hashlib.sha256()` fed chunk by chunk).\n\n' +
      'In notebooks, a `!wget` / `!curl` / `!aria2c` shell line (or a line of a `%%bash` cell) that fetches a model ' +
      'or data file is reported too, unless some command in the notebook checks a digest (`sha256sum -c`, ' +
      '`shasum -a 256 -c`, `b2sum -c`); plain `http://` makes it an error.',
    example:
      'import torch\nimport urllib.request\n\n' +
      'torch.hub.download_url_to_file("https://example.com/resnet.pth", "resnet.pth")\n' +
      'urllib.request.urlretrieve("http://example.com/data/train.csv", "train.csv")',
    useInstead:
      'import hashlib\nimport torch\nimport urllib.request\n\n' +
      'torch.hub.download_url_to_file("https://example.com/resnet.pth", "resnet.pth", hash_prefix="3f2a9c1e")\n\n' +
      'EXPECTED = "9b0c2e..."  # the published sha256\n' +
      'urllib.request.urlretrieve("https://example.com/data/train.csv", "train.csv")\n' +
      'with open("train.csv", "rb") as f:\n' +
      '    if hashlib.file_digest(f, "sha256").hexdigest() != EXPECTED:\n' +
      '        raise ValueError("train.csv does not match its published hash")',
    references: [
      'https://pytorch.org/docs/stable/hub.html#torch.hub.download_url_to_file',
      'https://keras.io/api/utils/python_utils/#getfile-function',
      'https://docs.python.org/3/library/hashlib.html#hashlib.file_digest',
      'https://atlas.mitre.org/mitigations/AML.M0014',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    const model = ctx.model;
    let mlModule: boolean | undefined;
    const isMl = () => (mlModule ??= ML_IMPORTS.some((m) => model.imports(m)));
    for (const call of ctx.callsNamed(
      'download_url_to_file', 'load_state_dict_from_url', 'load_url', 'get_file', 'urlretrieve', 'download', 'get', 'urlopen',
    )) {
      const d = downloadOf(call);
      if (!d) continue;
      if (!d.url && !call.mayPass('url', 0)) continue;
      const url = d.url ? shapeOf(model, d.url, call.scope, call.node.startIndex) : UNKNOWN;
      const dest = d.dest ? shapeOf(model, d.dest, call.scope, call.node.startIndex) : UNKNOWN;
      const scheme = schemeOf(url);
      if (scheme === 'local') continue;
      const names = [fileName(url), fileName(dest)];
      const ext = names.map(extensionOf).find((e) => !!e && (MODEL_EXTENSIONS.has(e) || DATA_EXTENSIONS.has(e)));
      const name = names.find((n) => ext && extensionOf(n) === ext) ?? names.find((n) => !!n);
      const modelFile = !!ext && MODEL_EXTENSIONS.has(ext);
      const dataFile = !!ext && DATA_EXTENSIONS.has(ext);
      const verifyOff = (() => {
        if (d.kind !== 'http-get') return false;
        const v = call.value('verify');
        return v?.kind === 'bool' && !v.value;
      })();

      let confidence: Confidence;
      if (d.kind === 'torch-hub-file' || d.kind === 'torch-hub-state' || d.kind === 'keras') {
        if (hasHashArgument(call, d)) continue;
        // An integrity argument hidden in `**kwargs` (or past `*args`): say so, do not guess.
        const hidden = d.hashArgs.some((h) => call.mayPass(h.name, h.position) && !call.keywords.has(h.name));
        confidence = hidden ? 'low' : 'high';
      } else if (modelFile || (dataFile && isMl())) {
        confidence = 'medium';
      } else if (d.kind === 'file' && scheme === 'cleartext' && isMl()) {
        confidence = 'medium';
      } else {
        continue;
      }

      const sources = [d.url, d.dest].filter((n): n is Node => !!n);
      const nearby = checkedNearby(model, call, sources, digestSite);
      if (nearby.found) continue;
      if (nearby.fromParameter && confidence !== 'low' && !modelFile && !dataFile) confidence = 'low';

      const shown = display(name);
      const what = !shown
        ? modelFile ? 'a model file' : 'a file'
        : shown.startsWith('.') ? `a \`${shown}\` file` : `\`${shown}\``;
      const check = d.missing ? `without ${d.missing} or another hash check` : 'with no hash check of the file';
      let message: string;
      let severity: Severity | undefined;
      if (verifyOff) {
        severity = 'error';
        message =
          `\`${d.label}\` fetches ${what} with \`verify=False\` and no hash check, so anyone on the network path ` +
          'can swap the file.';
      } else if (scheme === 'cleartext') {
        message =
          `\`${d.label}\` fetches ${what} over plain \`http://\` ${check}, so anyone on the network path can swap ` +
          'the file.';
      } else {
        message = `\`${d.label}\` fetches ${what} ${check}, so a tampered or swapped file is used unnoticed.`;
      }
      ctx.report({ node: call.node, message, confidence, severity });
    }
  },
};
