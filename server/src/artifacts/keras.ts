/**
 * Keras models: the `config.json` of a Keras 3 `.keras` archive, and the `model_config` attribute of a Keras 2 / legacy
 * `.h5` (HDF5) file, found without an HDF5 library by searching the file's first bytes for the JSON object Keras writes
 * (attributes are stored uncompressed; the JSON starts with `{"class_name"` or `{"module"`).
 *
 * What is flagged: a `Lambda` layer anywhere in the config (also inside `Sequential`/`Functional` models and wrappers
 * such as `TimeDistributed` or `Bidirectional`), and any serialized Python lambda (`__lambda__`, `function_type:
 * "lambda"`): its marshalled bytecode runs when the model is loaded, unless Keras 3's `safe_mode` (on by default)
 * refuses it. Keras 3 configs also name the module of each object (`"module": "my_pkg.layers"`), which Keras imports:
 * modules outside Keras are classified like pickle imports.
 */
import type { Collector } from './collect';
import { formatBytes } from './collect';
import type { ByteSource } from './source';
import { shown, shownError, shownMember } from './text';

const KERAS_MODULE = /^(keras|tf_keras|keras_hub|keras_nlp|keras_cv|tensorflow)(\.|$)/;
/** Nodes of a config walked at most. */
const MAX_NODES = 1_000_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Walk a parsed Keras config and report its Lambda layers, lambdas and non-Keras modules. */
export function checkKerasConfig(config: unknown, col: Collector, member: string | undefined, origin: 'keras' | 'h5'): void {
  const where = member !== undefined ? `The Keras config \`${shownMember(member)}\`` : 'The Keras model config';
  const loads =
    origin === 'keras'
      ? 'runs when the model is loaded with `safe_mode=False` (the default, `safe_mode=True`, refuses it)'
      : 'runs when the model is loaded by Keras 2 (`tf.keras`), or by Keras 3 with `safe_mode=False`';
  const reported = new Set<string>();
  // `what` is built with the name already shown; `name` (as found) only tells the reports apart.
  const lambda = (what: string, name: string) => {
    if (reported.has(name)) return;
    reported.add(name);
    col.issue(
      'lambda-layer',
      'error',
      `${where} has ${what} whose marshalled Python bytecode ${loads}.`,
      what.startsWith('a `Lambda` layer') ? `its Keras config has a \`Lambda\` layer (\`${shown(name)}\`) whose code runs when the model is loaded` : `its Keras config holds a serialized Python lambda (in \`${shown(name)}\`) whose code runs when the model is loaded`,
      member,
    );
  };
  const stack: Array<{ v: unknown; layer: string; inLambda: boolean }> = [{ v: config, layer: '(model)', inLambda: false }];
  let nodes = 0;
  while (stack.length) {
    const { v, layer, inLambda } = stack.pop()!;
    if (++nodes > MAX_NODES) break;
    if (Array.isArray(v)) {
      for (const x of v) if (typeof x === 'object' && x !== null) stack.push({ v: x, layer, inLambda });
      continue;
    }
    if (!isObject(v)) continue;
    let here = layer;
    let lambdaHere = inLambda;
    const cfg = v.config;
    const name = isObject(cfg) && typeof cfg.name === 'string' ? cfg.name : undefined;
    if (typeof v.class_name === 'string') {
      if (name) here = name;
      if (v.class_name === 'Lambda') {
        lambda(`a \`Lambda\` layer \`${shown(name ?? '(unnamed)')}\``, name ?? '(unnamed)');
        lambdaHere = true;
      } else if (v.class_name === '__lambda__' && !inLambda) {
        lambda(`a serialized Python lambda (\`__lambda__\`) in \`${shown(layer)}\``, layer);
      }
      if (typeof v.module === 'string' && v.module) {
        const target = v.class_name === 'function' && typeof cfg === 'string' ? cfg : v.class_name;
        if (!KERAS_MODULE.test(v.module) || /(^|\.)get_file$/.test(target)) col.addImport(v.module, target, member, 'Keras config');
      }
    }
    if (v.function_type === 'lambda' && !lambdaHere) lambda(`a serialized Python lambda (\`function_type: "lambda"\`) in \`${shown(here)}\``, here);
    for (const x of Object.values(v)) if (typeof x === 'object' && x !== null) stack.push({ v: x, layer: here, inLambda: lambdaHere });
  }
}

/** Parse and check a `config.json` text. */
export function checkKerasConfigText(text: string, col: Collector, member: string): void {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    col.issue('unreadable', 'warning', `The Keras config \`${shownMember(member)}\` is not valid JSON (${shownError(err)}), so its layers could not be checked.`, 'its Keras config is not valid JSON', member);
    return;
  }
  checkKerasConfig(config, col, member, 'keras');
}

export const HDF5_MAGIC = Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Whether an HDF5 signature is at 0 or at one of the user-block offsets HDF5 allows (512, 1024, 2048, ...). */
export function hasHdf5Magic(head: Uint8Array): boolean {
  for (let at = 0; at + 8 <= head.length; at = at ? at * 2 : 512) {
    if (HDF5_MAGIC.every((b, i) => head[at + i] === b)) return true;
  }
  return false;
}

const PATTERNS = ['{"class_name"', '{"module"'].map((s) => Buffer.from(s, 'latin1'));
const PATTERN_MAX = Math.max(...PATTERNS.map((p) => p.length));
/** The largest JSON object extracted. */
const MAX_JSON = 16 * 1024 * 1024;
/** JSON candidates tried at most. */
const MAX_CANDIDATES = 256;

/** The end (exclusive) of the JSON object starting at `start`, or undefined when it does not close within MAX_JSON. */
async function jsonExtent(src: ByteSource, start: number, limit: number): Promise<number | undefined> {
  let depth = 0;
  let inString = false;
  let escape = false;
  let at = start;
  while (at < limit && at - start < MAX_JSON) {
    const w = await src.read(at, 1);
    if (!w.bytes.length) return undefined;
    const b = w.bytes;
    for (let i = 0; i < b.length && at + i < limit; i++) {
      const c = b[i];
      if (inString) {
        if (escape) escape = false;
        else if (c === 0x5c) escape = true;
        else if (c === 0x22) inString = false;
        else if (c < 0x20) return undefined;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) return at + i + 1;
      } else if (c === 0) return undefined;
    }
    at += b.length;
    if (w.eof) return undefined;
  }
  return undefined;
}

/**
 * Search the first bytes of an HDF5 file (a random-access source) for Keras' model config and check it. Without it,
 * an `info` issue says that the attributes could not be read.
 */
export async function scanHdf5(src: ByteSource, size: number, col: Collector): Promise<void> {
  const limit = Math.min(size, col.limits.maxMemberBytes);
  let found = 0;
  let candidates = 0;
  let at = 0;
  let carry: Uint8Array = new Uint8Array(0);
  search: while (at < limit) {
    const w = await src.read(at, 1);
    if (!w.bytes.length) break;
    const chunk = w.bytes.subarray(0, Math.max(0, limit - at));
    const buf = carry.length ? Buffer.concat([carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const base = at - carry.length;
    let next = at + chunk.length;
    for (let i = 0; i < buf.length; ) {
      // A hit lying wholly in the carried bytes was seen with the previous window.
      const hits = PATTERNS.map((p) => {
        let h = buf.indexOf(p, i);
        while (h >= 0 && h + p.length <= carry.length) h = buf.indexOf(p, h + 1);
        return h;
      }).filter((h) => h >= 0);
      if (!hits.length) break;
      const hit = Math.min(...hits);
      if (++candidates > MAX_CANDIDATES) break search;
      const start = base + hit;
      const end = await jsonExtent(src, start, limit);
      if (end !== undefined) {
        const text = Buffer.from((await src.read(start, end - start)).bytes.subarray(0, end - start)).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        if (isObject(json) && typeof json.class_name === 'string' && 'config' in json) {
          found++;
          checkKerasConfig(json, col, undefined, 'h5');
          // Carry on after the object (reads go forward only).
          next = Math.max(next, end);
          if (end > base + buf.length) {
            at = end;
            carry = new Uint8Array(0);
            continue search;
          }
          i = end - base;
          continue;
        }
      }
      i = hit + 1;
    }
    carry = buf.subarray(Math.max(0, buf.length - (PATTERN_MAX - 1)));
    at = next;
    if (w.eof) break;
  }
  if (!found) {
    col.issue(
      'not-scanned',
      'info',
      `No Keras model config was found in ${size > limit ? `the first ${formatBytes(limit)} of ` : ''}this HDF5 file (it holds weights only, or attributes the scanner cannot read without an HDF5 library), so \`Lambda\` layers were not checked.`,
      'its HDF5 attributes could not be read',
    );
  }
}
