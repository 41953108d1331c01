/**
 * `.npy` arrays (and the `.npy` members of `.npz` archives): the header is a Python dict literal after the magic
 * `\x93NUMPY`, a version and a length. When its `descr` holds objects (`'|O'`, or a structured dtype with an `O`
 * field), the data that follows is a pickle, which `numpy.load(..., allow_pickle=True)` unpickles: it is walked like
 * any pickle. Other arrays are raw numbers and are not read.
 */
import type { Collector } from './collect';
import { scanPickles } from './pickle';
import type { ByteSource } from './source';
import { shownMember } from './text';

export const NPY_MAGIC = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

export function hasNpyMagic(head: Uint8Array): boolean {
  return head.length >= 6 && NPY_MAGIC.every((b, i) => head[i] === b);
}

/** numpy itself refuses headers over 10,000 bytes unless told otherwise; this is a generous bound. */
const MAX_HEADER = 1024 * 1024;

export interface NpyHeader {
  version: string;
  /** Where the array data starts. */
  dataStart: number;
  descr: PyValue;
  /** Whether the dtype holds Python objects, so that the data is a pickle. */
  object: boolean;
}

export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue } | { tuple: PyValue[] };

/**
 * A Python literal of the kind `numpy.lib.format` writes (dicts, tuples, lists, strings, ints, True/False/None), or
 * undefined when it is something else.
 */
export function parsePyLiteral(text: string): PyValue | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (depth: number): PyValue | undefined => {
    if (depth > 64) return undefined;
    ws();
    const c = text[i];
    if (c === "'" || c === '"') {
      let s = '';
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\' && i + 1 < text.length) {
          i++;
        }
        s += text[i++];
      }
      if (text[i] !== c) return undefined;
      i++;
      return s;
    }
    if (c === '{' || c === '(' || c === '[') {
      const close = c === '{' ? '}' : c === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      const dict: { [key: string]: PyValue } = {};
      let sawComma = false;
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          break;
        }
        const v = value(depth + 1);
        if (v === undefined) return undefined;
        ws();
        if (c === '{') {
          if (text[i] !== ':' || typeof v !== 'string') return undefined;
          i++;
          const v2 = value(depth + 1);
          if (v2 === undefined) return undefined;
          dict[v] = v2;
          ws();
        } else items.push(v);
        if (text[i] === ',') {
          sawComma = true;
          i++;
        } else if (text[i] !== close) return undefined;
      }
      if (c === '{') return dict;
      if (c === '[') return items;
      return items.length === 1 && !sawComma ? items[0] : { tuple: items };
    }
    const m = /^(-?\d+)L?|^(True|False|None)/.exec(text.slice(i, i + 64));
    if (!m) return undefined;
    i += m[0].length;
    if (m[2]) return m[2] === 'None' ? null : m[2] === 'True';
    return Number(m[1]);
  };
  const v = value(0);
  ws();
  return i === text.length ? v : undefined;
}

/** Whether a numpy `descr` (a type string, or a list of fields) holds Python objects. Unknown shapes count as yes. */
export function descrHasObject(descr: PyValue, depth = 0): boolean {
  if (depth > 32) return true;
  // Only the object kind uses an upper-case O in numpy's type strings ('|O', 'O8', 'i4,O', '(2,)O').
  if (typeof descr === 'string') return /O/.test(descr) || /object/i.test(descr);
  if (Array.isArray(descr)) {
    return descr.some((field) => {
      const parts = Array.isArray(field) ? field : field && typeof field === 'object' && 'tuple' in field ? (field.tuple as PyValue[]) : undefined;
      if (!parts || parts.length < 2) return true;
      return descrHasObject(parts[1], depth + 1);
    });
  }
  return true;
}

/** The header of an `.npy` file, 'need' when `head` is too short to hold it, or why it cannot be read. */
export function parseNpyHeader(head: Uint8Array, eof: boolean): NpyHeader | 'need' | string {
  if (!hasNpyMagic(head)) return 'it does not start with the .npy magic';
  if (head.length < 10) return eof ? 'it ends inside its header' : 'need';
  const major = head[6];
  const minor = head[7];
  let len: number;
  let at: number;
  if (major === 1) {
    len = head[8] | (head[9] << 8);
    at = 10;
  } else if (major === 2 || major === 3) {
    if (head.length < 12) return eof ? 'it ends inside its header' : 'need';
    len = (head[8] | (head[9] << 8) | (head[10] << 16)) + head[11] * 0x1000000;
    at = 12;
  } else return `its format version ${major}.${minor} is unknown`;
  if (len > MAX_HEADER) return `its header claims ${len} bytes`;
  if (head.length < at + len) return eof ? 'it ends inside its header' : 'need';
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(head.subarray(at, at + len));
  const dict = parsePyLiteral(text.trim());
  if (!dict || typeof dict !== 'object' || Array.isArray(dict) || 'tuple' in dict) return 'its header is not a Python dict';
  const descr = (dict as Record<string, PyValue>).descr;
  if (descr === undefined) return "its header has no 'descr'";
  return { version: `${major}.${minor}`, dataStart: at + len, descr, object: descrHasObject(descr) };
}

/** Scan an `.npy` stream from offset 0 of `src` (`maxWalk`: see `PickleScanOptions`). */
export async function scanNpy(src: ByteSource, col: Collector, member?: string, maxWalk?: number): Promise<void> {
  const where = member !== undefined ? `The array \`${shownMember(member)}\`` : 'The array';
  let w = await src.read(0, 4096);
  let header = parseNpyHeader(w.bytes, w.eof);
  if (header === 'need') {
    w = await src.read(0, MAX_HEADER + 16);
    header = parseNpyHeader(w.bytes, true);
  }
  if (typeof header === 'string') {
    col.issue('unreadable', 'warning', `${where} is not a readable .npy file: ${header}.`, `its .npy header could not be read`, member);
    return;
  }
  if (!header.object) return;
  col.issue(
    'object-array',
    'info',
    `${where} has an object dtype, so its data is a pickle (scanned here) that \`numpy.load\` unpickles when given \`allow_pickle=True\`.`,
    'it is an object array (a pickle inside)',
    member,
  );
  const result = await scanPickles(src, header.dataStart, col.pickleSink(member), { multi: false, joblib: false, budget: col.budget, maxWalk });
  col.pickleResult(result, member);
}
