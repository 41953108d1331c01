/**
 * Test artifacts made by hand, in memory: pickle opcodes, zip archives (with sizes that lie and inflation bombs if
 * asked), `.npy` arrays, safetensors files, a stand-in HDF5 file. Nothing here unpickles or runs anything.
 */
import * as zlib from 'node:zlib';

// ---------------------------------------------------------------------------------------------------------------
// Pickle opcodes

type Part = number | number[] | Uint8Array | string;

/** Concatenate opcodes and arguments: numbers are bytes, strings are Latin-1 bytes. */
export function cat(...parts: Part[]): Uint8Array {
  const chunks = parts.map((p) => (typeof p === 'number' ? Uint8Array.of(p & 0xff) : typeof p === 'string' ? Uint8Array.from(p, (c) => c.charCodeAt(0) & 0xff) : Uint8Array.from(p)));
  return Buffer.concat(chunks);
}

const le = (n: number, bytes: number): number[] => Array.from({ length: bytes }, (_, i) => Math.floor(n / 2 ** (8 * i)) & 0xff);
const utf8 = (s: string) => [...Buffer.from(s, 'utf8')];

/** Pickle opcodes with their arguments, by pickletools' names. */
export const P = {
  proto: (n: number) => [0x80, n],
  frame: (n: number) => [0x95, ...le(n, 8)],
  stop: [0x2e],
  mark: [0x28],
  pop: [0x30],
  popMark: [0x31],
  dup: [0x32],
  none: [0x4e],
  newTrue: [0x88],
  binint1: (n: number) => [0x4b, n],
  binint: (n: number) => [0x4a, ...le(n >>> 0, 4)],
  shortBinunicode: (s: string) => [0x8c, utf8(s).length, ...utf8(s)],
  binunicode: (s: string) => [0x58, ...le(utf8(s).length, 4), ...utf8(s)],
  binunicode8: (s: string) => [0x8d, ...le(utf8(s).length, 8), ...utf8(s)],
  shortBinstring: (s: string) => [0x55, s.length, ...cat(s)],
  binstring: (s: string) => [0x54, ...le(s.length, 4), ...cat(s)],
  shortBinbytes: (b: number[]) => [0x43, b.length, ...b],
  /** A BINBYTES8 header claiming `n` bytes (the payload is up to the caller). */
  binbytes8Header: (n: number) => [0x8e, ...le(n, 8)],
  string: (s: string) => [...cat('S', `'${s}'`), 0x0a],
  unicode: (s: string) => [...cat('V', s), 0x0a],
  global: (m: string, n: string) => [0x63, ...utf8(m), 0x0a, ...utf8(n), 0x0a],
  inst: (m: string, n: string) => [0x69, ...utf8(m), 0x0a, ...utf8(n), 0x0a],
  stackGlobal: [0x93],
  memoize: [0x94],
  put: (i: number) => [...cat('p', String(i)), 0x0a],
  get: (i: number) => [...cat('g', String(i)), 0x0a],
  binput: (i: number) => [0x71, i],
  longBinput: (i: number) => [0x72, ...le(i, 4)],
  binget: (i: number) => [0x68, i],
  longBinget: (i: number) => [0x6a, ...le(i, 4)],
  emptyTuple: [0x29],
  tuple: [0x74],
  tuple1: [0x85],
  tuple2: [0x86],
  emptyDict: [0x7d],
  emptyList: [0x5d],
  setitem: [0x73],
  setitems: [0x75],
  append: [0x61],
  reduce: [0x52],
  build: [0x62],
  newobj: [0x81],
  obj: [0x6f],
  binpersid: [0x51],
  nextBuffer: [0x97],
  readonlyBuffer: [0x98],
  ext1: (code: number) => [0x82, code],
};

/** `module.name(arg)` as protocol 4 opcodes (STACK_GLOBAL, a one-string tuple, REDUCE), ending with STOP. */
export function callPickle(module: string, name: string, arg = 'id'): Uint8Array {
  return cat(P.proto(4), P.shortBinunicode(module), P.memoize, P.shortBinunicode(name), P.memoize, P.stackGlobal, P.memoize, P.shortBinunicode(arg), P.memoize, P.tuple1, P.memoize, P.reduce, P.memoize, P.stop);
}

// ---------------------------------------------------------------------------------------------------------------
// Zip archives

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipMember {
  name: string;
  data?: Uint8Array;
  /** 0 stored (default), 8 deflated. */
  method?: 0 | 8;
  /** Compressed bytes to write as they are (with `method: 8`), e.g. a bomb from `deflateBomb`. */
  raw?: Uint8Array;
  /** The uncompressed size the headers claim (default: the real one). */
  claimSize?: number;
}

/** A zip archive of `members`, written the way the format says (local headers, central directory, end record). */
export function makeZip(members: ZipMember[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const data = m.data ?? new Uint8Array(0);
    const method = m.method ?? 0;
    const body = m.raw ?? (method === 8 ? zlib.deflateRawSync(data) : data);
    const size = m.claimSize ?? data.length;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(Math.min(size, 0xffffffff), 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, Buffer.from(body));
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x800, 8);
    c.writeUInt16LE(method, 10);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(body.length, 20);
    c.writeUInt32LE(Math.min(size, 0xffffffff), 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/**
 * A raw deflate stream that inflates to `prefix` then `mb` MB of zeros, from about a thousandth of that: one fully
 * flushed block of a MB of zeros (it refers to nothing before it), repeated, then an empty final block.
 */
export function deflateBomb(mb: number, prefix?: Uint8Array): Uint8Array {
  const block = zlib.deflateRawSync(Buffer.alloc(1024 * 1024), { finishFlush: zlib.constants.Z_FULL_FLUSH });
  const parts: Buffer[] = prefix ? [zlib.deflateRawSync(prefix, { finishFlush: zlib.constants.Z_FULL_FLUSH })] : [];
  for (let i = 0; i < mb; i++) parts.push(block);
  parts.push(Buffer.from([0x03, 0x00]));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------------------------
// numpy, safetensors, HDF5

/** An `.npy` file (format 1.0) with header `descr` and `shape`, followed by `data`. */
export function makeNpy(descr: string, shape: number[], data: Uint8Array): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': ${descr.startsWith('[') ? descr : `'${descr}'`}, 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0]).copy(pre);
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data)]);
}

/** A safetensors file of float32 tensors (`values` per name), laid out as the format says. */
export function makeSafetensors(tensors: Record<string, { shape: number[]; values: number[] }>, metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const datas: Buffer[] = [];
  let at = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const d = Buffer.alloc(t.values.length * 4);
    t.values.forEach((v, i) => d.writeFloatLE(v, i * 4));
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [at, at + d.length] };
    at += d.length;
    datas.push(d);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const n = Buffer.alloc(8);
  n.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([n, Buffer.from(json), ...datas]);
}

/** Bytes that start like an HDF5 file and hold `json` as an attribute value would (after `model_config`), or none. */
export function makeFakeHdf5(json?: string, filler = 4096): Buffer {
  const parts = [Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(filler, 0)];
  if (json !== undefined) parts.push(Buffer.from('model_config\0\0\0\0'), Buffer.from([0x13, 0, 0, 0]), Buffer.from(json), Buffer.alloc(7, 0));
  parts.push(Buffer.alloc(filler, 0));
  return Buffer.concat(parts);
}
