/**
 * The artifact fuzz suite's seeds and generators: well-formed artifacts of every format, made in TypeScript (no Python,
 * so that every input follows from its seed alone), and the ways the suite breaks them.
 */
import { ARTIFACT_EXTENSIONS } from '../../server/src/artifacts';
import type { Rng } from '../fuzz/harness';
import { callPickle, cat, deflateBomb, makeFakeHdf5, makeNpy, makeSafetensors, makeZip, P, type ZipMember } from './build';

export interface Input {
  bytes: Uint8Array;
  name: string;
  /** For nested archives: how many archives wrap the pickle. */
  depth?: number;
}

/** A PyTorch-style state dict pickle: OrderedDict of tensors rebuilt from storages named by persistent ids. */
export function torchDataPkl(tensors = 2, evil = false): Uint8Array {
  const parts: Array<number[] | Uint8Array> = [P.proto(2), P.global('collections', 'OrderedDict'), P.binput(0), P.emptyTuple, P.reduce, P.binput(1), P.mark];
  for (let i = 0; i < tensors; i++) {
    parts.push(
      P.binunicode(`layer${i}.weight`),
      P.global('torch._utils', '_rebuild_tensor_v2'),
      P.mark,
      P.mark,
      P.binunicode('storage'),
      i === 0 ? P.global('torch', 'FloatStorage') : P.binget(2),
      ...(i === 0 ? [P.binput(2)] : []),
      P.binunicode(String(i)),
      P.binunicode('cpu'),
      P.binint1(4),
      P.tuple,
      P.binpersid,
      P.binint1(0),
      P.binint1(2), P.binint1(2), P.tuple2,
      P.binint1(2), P.binint1(1), P.tuple2,
      P.newTrue,
      P.global('collections', 'OrderedDict'), P.emptyTuple, P.reduce,
      P.tuple,
      P.reduce,
    );
  }
  parts.push(P.setitems);
  if (evil) parts.push(P.binunicode('hook'), P.global('os', 'system'), P.binunicode('id'), P.tuple1, P.reduce, P.setitem);
  parts.push(P.stop);
  return cat(...parts);
}

/** A joblib-style pickle: a NumpyArrayWrapper for a float64 array of `count` items, its bytes inline, then `tail`. */
export function joblibPickle(count: number, alignment: boolean, tail: Uint8Array = cat(P.none)): Uint8Array {
  const head = cat(
    P.proto(4), P.mark,
    P.shortBinunicode('joblib.numpy_pickle'), P.memoize, P.shortBinunicode('NumpyArrayWrapper'), P.memoize, P.stackGlobal, P.memoize,
    P.emptyTuple, P.newobj, P.memoize,
    P.emptyDict, P.memoize, P.mark,
    P.shortBinunicode('subclass'), P.shortBinunicode('numpy'), P.memoize, P.shortBinunicode('ndarray'), P.stackGlobal,
    P.shortBinunicode('shape'), P.binint(count), P.tuple1,
    P.shortBinunicode('order'), P.shortBinunicode('C'),
    P.shortBinunicode('dtype'), P.binget(5), P.shortBinunicode('dtype'), P.stackGlobal, P.mark, P.shortBinunicode('f8'), P.none, P.newTrue, P.tuple, P.reduce,
    P.mark, P.binint1(3), P.shortBinunicode('<'), P.none, P.none, P.none, P.binint(-1), P.binint(-1), P.binint1(0), P.tuple, P.build,
    P.shortBinunicode('allow_mmap'), P.newTrue,
    ...(alignment ? [P.shortBinunicode('numpy_array_alignment_bytes'), P.binint1(16)] : []),
    P.setitems, P.build,
  );
  const pad = alignment ? [15, ...new Array(15).fill(0xff)] : [];
  return cat(head, pad, new Uint8Array(count * 8), tail, P.tuple, P.stop);
}

const kerasConfig = (lambda: boolean) =>
  JSON.stringify({
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: 'seq',
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 4] } },
        { module: 'keras.layers', class_name: lambda ? 'Lambda' : 'Dense', config: { name: 'l1', units: 2, function: lambda ? { class_name: '__lambda__', config: { code: '4wEAAAA=' } } : undefined } },
      ],
    },
  });

/** Well-formed artifacts of every format, clean and malicious, with the names they would have. */
export function seeds(): Input[] {
  const evil = callPickle('os', 'system');
  const storage = cat(P.proto(2), new Uint8Array(30));
  const torchZip = (evilPkl: boolean) =>
    makeZip([
      { name: 'archive/data.pkl', data: torchDataPkl(3, evilPkl) },
      { name: 'archive/byteorder', data: Buffer.from('little') },
      { name: 'archive/data/0', data: storage },
      { name: 'archive/data/1', data: storage },
      { name: 'archive/version', data: Buffer.from('3\n') },
    ]);
  const legacy = cat(P.proto(2), 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, P.stop, P.proto(2), P.binint(1001), P.stop, P.proto(2), P.emptyDict, P.stop, torchDataPkl(2), P.proto(2), P.emptyList, P.stop, new Uint8Array(64));
  return [
    { bytes: evil, name: 'evil.pkl' },
    { bytes: cat(P.mark, P.string('id'), P.inst('os', 'system'), P.stop), name: 'p0.pkl' },
    { bytes: torchDataPkl(4), name: 'state.pkl' },
    { bytes: cat(torchDataPkl(1), evil), name: 'two.pickle' },
    { bytes: torchZip(false), name: 'model.pt' },
    { bytes: torchZip(true), name: 'model.pth' },
    { bytes: legacy, name: 'old.pt' },
    { bytes: joblibPickle(6, true, cat(P.global('os', 'system'))), name: 'model.joblib' },
    { bytes: joblibPickle(4, false), name: 'model.pkl' },
    { bytes: makeNpy('<f8', [2, 3], new Uint8Array(48)), name: 'a.npy' },
    { bytes: makeNpy('|O', [1], evil), name: 'o.npy' },
    { bytes: makeZip([{ name: 'a.npy', data: makeNpy('<f4', [4], new Uint8Array(16)), method: 8 }, { name: 'b.npy', data: makeNpy('|O', [1], evil), method: 8 }]), name: 'arrs.npz' },
    { bytes: makeZip([{ name: 'metadata.json', data: Buffer.from('{}') }, { name: 'config.json', data: Buffer.from(kerasConfig(true)), method: 8 }]), name: 'm.keras' },
    { bytes: makeZip([{ name: 'metadata.json', data: Buffer.from('{}') }, { name: 'config.json', data: Buffer.from(kerasConfig(false)), method: 8 }]), name: 'ok.keras' },
    { bytes: makeFakeHdf5(kerasConfig(true), 256), name: 'm.h5' },
    { bytes: makeSafetensors({ w: { shape: [2, 2], values: [1, 2, 3, 4] }, b: { shape: [2], values: [5, 6] } }, { format: 'pt' }), name: 'm.safetensors' },
  ];
}

export function extension(r: Rng): string {
  return r.pick([...ARTIFACT_EXTENSIONS, '', '.txt', '.PT']);
}

const MAGICS = [[0x80, 0x02], [0x80, 0x04, 0x95], [0x50, 0x4b, 0x03, 0x04], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], [0x78, 0x9c], [0x1f, 0x8b, 0x08], [0x28], [0x63]];

/** Random bytes, sometimes after a format's magic, under a random artifact name. */
export function randomArtifact(r: Rng): Input {
  const len = r.pick([0, 1, 2, 7, 8, 64, r.int(512), r.int(4096), r.int(64 * 1024)]);
  let bytes = r.bytes(len);
  if (r.chance(0.5)) bytes = cat(r.pick(MAGICS), bytes);
  return { bytes, name: `fuzz${extension(r)}` };
}

/** A seed cut at a random byte. */
export function truncated(r: Rng, pool: Input[]): Input {
  const s = r.pick(pool);
  return { bytes: s.bytes.slice(0, r.int(s.bytes.length + 1)), name: s.name };
}

/** A seed with a few bytes changed (random values, off by one, 0x00 / 0xff, or a run). */
export function flipped(r: Rng, pool: Input[]): Input {
  const s = r.pick(pool);
  const b = Uint8Array.from(s.bytes);
  const n = r.range(1, 8);
  for (let i = 0; i < n && b.length; i++) {
    const at = r.int(b.length);
    switch (r.int(5)) {
      case 0:
        b[at] = r.int(256);
        break;
      case 1:
        b[at] = (b[at] + (r.chance(0.5) ? 1 : 255)) & 0xff;
        break;
      case 2:
        b[at] = 0xff;
        break;
      case 3:
        b[at] = 0;
        break;
      default:
        b.fill(r.int(256), at, Math.min(b.length, at + r.range(2, 16)));
    }
  }
  return { bytes: b, name: s.name };
}

/** Memo opcodes with huge and random indices, strings stored and fetched, STACK_GLOBALs on what comes back. */
export function hugeMemo(r: Rng): Input {
  const parts: Array<number[] | Uint8Array> = [P.proto(r.range(2, 5))];
  const used: number[] = [];
  const n = r.range(1, 400);
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const idx = r.chance(0.5) ? 0xffffffff - r.int(1000) : r.int(2 ** 32);
    switch (r.int(7)) {
      case 0:
        parts.push(P.shortBinunicode(r.pick(['os', 'system', 'builtins', 'eval', 'torch', 'FloatStorage', 'collections', 'OrderedDict'])), P.longBinput(idx));
        used.push(idx);
        depth++;
        break;
      case 1:
        if (used.length) {
          parts.push(P.longBinget(r.pick(used)));
          depth++;
        }
        break;
      case 2:
        parts.push(P.none, P.memoize);
        depth++;
        break;
      case 3:
        parts.push(P.none, P.binput(r.int(256)));
        depth++;
        break;
      case 4:
        if (depth >= 2) {
          parts.push(P.stackGlobal);
          depth--;
        }
        break;
      case 5:
        parts.push(P.longBinget(idx)); // often never stored
        depth++;
        break;
      default:
        if (depth > 1) {
          parts.push(P.pop);
          depth--;
        }
    }
  }
  parts.push(depth ? [] : P.none, P.stop);
  return { bytes: cat(...parts), name: 'memo.pkl' };
}

/** Random opcodes with plausible arguments: a workout for the stack model. */
export function opcodeSoup(r: Rng): Input {
  const ops: Array<() => number[]> = [
    () => P.mark, () => P.none, () => P.pop, () => P.popMark, () => P.dup, () => P.emptyList, () => P.emptyDict, () => P.emptyTuple,
    () => P.append, () => P.setitem, () => P.setitems, () => P.tuple, () => P.tuple1, () => P.tuple2, () => P.reduce, () => P.build,
    () => P.newobj, () => P.obj, () => P.stackGlobal, () => P.memoize, () => P.binput(r.int(256)), () => P.binget(r.int(8)),
    () => P.shortBinunicode(r.pick(['os', 'system', 'x', 'numpy', 'dtype'])), () => P.binint1(r.int(256)), () => P.binint(r.int(2 ** 31)),
    () => P.global(r.pick(['os', 'collections', 'joblib.numpy_pickle']), r.pick(['system', 'OrderedDict', 'NumpyArrayWrapper'])),
    () => P.frame(r.int(64)), () => P.nextBuffer, () => P.readonlyBuffer, () => P.binpersid, () => P.ext1(r.int(256)), () => P.proto(r.int(7)),
    () => P.string(r.pick(['a', 'b\\x41', "c\\'"])), () => P.put(r.int(10)), () => P.get(r.int(10)),
    () => [0x8a, 2, r.int(256), r.int(256)], () => [0x8b, 2, 0, 0, 0, 1, 2], () => P.binbytes8Header(r.int(16)), () => [0x47, ...r.bytes(8)],
  ];
  const parts: number[][] = [P.proto(r.range(0, 5))];
  const n = r.range(1, 2000);
  for (let i = 0; i < n; i++) parts.push(r.pick(ops)());
  if (r.chance(0.7)) parts.push(P.stop);
  return { bytes: cat(...parts), name: `soup${r.pick(['.pkl', '.pt', '.joblib', '.bin'])}` };
}

/**
 * A zip bomb: members (or many directory entries sharing one member's data) that inflate to far more than the caps,
 * each a pickle whose skipped BINBYTES8 payload forces the whole stream to be inflated.
 */
export function zipBomb(r: Rng): Input {
  const mb = r.range(80, 160);
  const prefix = cat(P.proto(4), P.emptyList, P.binbytes8Header(mb * 1024 * 1024));
  const name = r.pick(['archive/data.pkl', 'x.pkl', 'b.npy', 'weights.bin']);
  const members: ZipMember[] = [{ name, method: 8, raw: deflateBomb(mb, prefix), data: new Uint8Array(0), claimSize: r.pick([0, 10, mb * 1024 * 1024, 0xffffffff]) }];
  let zip = makeZip(members);
  if (r.chance(0.5)) zip = overlapping(zip, r.range(2, 12));
  return { bytes: zip, name: `bomb${r.pick(['.pt', '.npz', '.zip', '.bin'])}` };
}

/** The same archive with its one central-directory entry repeated `n` times (every entry names the same data). */
function overlapping(zip: Buffer, n: number): Buffer {
  const eocd = zip.length - 22;
  const cdOffset = zip.readUInt32LE(eocd + 16);
  const cd = zip.subarray(cdOffset, eocd);
  const entries = Buffer.concat(Array.from({ length: n }, (_, i) => {
    const e = Buffer.from(cd);
    // distinct names: change the last byte of the name
    e[e.length - 1] = 0x61 + (i % 26);
    return e;
  }));
  const end = Buffer.from(zip.subarray(eocd));
  end.writeUInt16LE(n, 8);
  end.writeUInt16LE(n, 10);
  end.writeUInt32LE(entries.length, 12);
  return Buffer.concat([zip.subarray(0, cdOffset), entries, end]);
}

/** An evil pickle inside `depth` archives, stored or deflated at each level. */
export function nestedZip(r: Rng, depth: number): Input {
  let bytes: Uint8Array = makeZip([{ name: 'archive/data.pkl', data: callPickle('os', 'system'), method: r.pick([0, 8] as const) }]);
  for (let i = 1; i < depth; i++) bytes = makeZip([{ name: `level${i}.zip`, data: bytes, method: r.pick([0, 8] as const) }]);
  return { bytes, name: 'nested.zip.pt', depth };
}

/** A valid archive whose central directory then lies: sizes, offsets, counts and flags overwritten. */
export function lyingDirectory(r: Rng, pool: Input[]): Input {
  const zips = pool.filter((s) => s.bytes[0] === 0x50 && s.bytes[1] === 0x4b);
  const s = r.pick(zips);
  const b = Buffer.from(s.bytes);
  const eocd = b.length - 22;
  let at = b.readUInt32LE(eocd + 16);
  const lies = [0, 1, 10, 0xffff, 0x7fffffff, 0xffffffff];
  while (at + 46 <= eocd && b.readUInt32LE(at) === 0x02014b50) {
    const nameLen = b.readUInt16LE(at + 28);
    if (r.chance(0.5)) b.writeUInt32LE(r.pick([...lies, r.int(2 ** 32)]), at + 24); // uncompressed size
    if (r.chance(0.3)) b.writeUInt32LE(r.pick([...lies, r.int(b.length)]), at + 20); // compressed size
    if (r.chance(0.2)) b.writeUInt32LE(r.pick([...lies, r.int(b.length)]), at + 42); // local header offset
    if (r.chance(0.2)) b.writeUInt16LE(r.pick([0, 8, 12, 14, 99]), at + 10); // method
    if (r.chance(0.1)) b.writeUInt16LE(r.pick([1, 0x41, 0x800]), at + 8); // flags (encrypted, strong encryption)
    at += 46 + nameLen + b.readUInt16LE(at + 30) + b.readUInt16LE(at + 32);
  }
  if (r.chance(0.3)) b.writeUInt16LE(r.pick([0, 1, 0xffff]), eocd + 10); // entry count
  if (r.chance(0.2)) b.writeUInt32LE(r.pick(lies), eocd + 16); // directory offset
  return { bytes: b, name: s.name };
}

/** Characters a hostile name is made of: controls, escape sequences, bidi overrides, backticks, ordinary text. */
const NAME_PIECES = ['\x1b[2K', '\x1b[1G', '\x1b]0;t\x07', '\n', '\r', '\t', '\0', '\x7f', '\x85', '\x9b', '\u202e', '\u2066', '\u2069', '\u200b', '\ufeff', '\u2028', '`', '``', 'os', 'system', '.', 'OK: no findings', '\ud800', '\udc00', '\ud83d\ude00', 'é', 'x'];

function hostileName(r: Rng): string {
  if (r.chance(0.05)) return r.pick(NAME_PIECES).repeat(r.range(100, 3000));
  let s = '';
  const n = r.range(1, 12);
  for (let i = 0; i < n; i++) s += r.pick(NAME_PIECES);
  return s;
}

/**
 * Names a file chooses, made hostile (terminal escapes, newlines, bidi overrides, backticks, lone surrogates, great
 * lengths): STACK_GLOBAL modules and names, zip member names, Keras modules, classes and layer names, tensor names.
 */
export function hostileNames(r: Rng): Input {
  const pkl = () => {
    const parts: Array<number[] | Uint8Array> = [P.proto(4)];
    const n = r.range(1, 6);
    for (let i = 0; i < n; i++) {
      const module = r.chance(0.3) ? r.pick(['os', 'sklearn.base', 'mymod', 'builtins']) : hostileName(r);
      parts.push(P.binunicode(module), P.binunicode(hostileName(r)), P.stackGlobal, P.pop);
    }
    if (r.chance(0.3)) parts.push(P.shortBinunicode('builtins'), P.shortBinunicode('str'), P.stackGlobal, P.emptyTuple, P.reduce, P.binunicode(hostileName(r)), P.stackGlobal, P.pop);
    parts.push(P.none, P.stop);
    return cat(...parts);
  };
  switch (r.int(4)) {
    case 0:
      return { bytes: pkl(), name: `hostile${r.pick(['.pkl', '.pt', '.joblib'])}` };
    case 1: {
      const members: ZipMember[] = Array.from({ length: r.range(1, 4) }, () => ({ name: `${hostileName(r)}${r.pick(['.pkl', '/data.pkl', '.npy', ''])}`, data: r.chance(0.5) ? pkl() : r.bytes(r.int(64)), method: r.pick([0, 8] as const) }));
      const zip = makeZip(members);
      return { bytes: r.chance(0.3) ? makeZip([{ name: hostileName(r) + '.zip', data: zip }]) : zip, name: `hostile${r.pick(['.pt', '.npz', '.bin'])}` };
    }
    case 2: {
      const layer = () => ({ module: r.chance(0.5) ? 'keras.layers' : hostileName(r), class_name: r.chance(0.3) ? 'Lambda' : hostileName(r), config: { name: hostileName(r), function_type: r.chance(0.2) ? 'lambda' : undefined } });
      const config = JSON.stringify({ module: 'keras', class_name: 'Sequential', config: { name: hostileName(r), layers: Array.from({ length: r.range(1, 4) }, layer) } });
      const text = r.chance(0.2) ? config.slice(0, r.int(config.length)) + hostileName(r) : config;
      if (r.chance(0.3)) return { bytes: makeFakeHdf5(text, 256), name: 'hostile.h5' };
      return { bytes: makeZip([{ name: 'metadata.json', data: Buffer.from('{}') }, { name: 'config.json', data: Buffer.from(text), method: 8 }]), name: 'hostile.keras' };
    }
    default: {
      const header = Buffer.from(JSON.stringify({ [hostileName(r)]: { dtype: r.pick(['F32', 'F16']), shape: [r.int(4)], data_offsets: [0, r.int(16)] } }));
      const n = Buffer.alloc(8);
      n.writeBigUInt64LE(BigInt(header.length));
      return { bytes: Buffer.concat([n, header, Buffer.from(r.bytes(r.int(16)))]), name: 'hostile.safetensors' };
    }
  }
}

/** A Git LFS pointer, sometimes damaged or with bytes after it, under a random model name. */
export function lfsPointer(r: Rng): Input {
  const oid = Array.from({ length: 64 }, () => '0123456789abcdef'[r.int(16)]).join('');
  let text = `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${r.int(2 ** 31)}\n`;
  if (r.chance(0.3)) text = text.replace(/\n/g, '\r\n');
  let bytes: Uint8Array = Buffer.from(text);
  if (r.chance(0.3)) bytes = truncated(r, [{ bytes, name: '' }]).bytes;
  if (r.chance(0.2)) bytes = cat(bytes, r.pick([callPickle('os', 'system'), makeZip([{ name: 'config.json', data: Buffer.from('{}') }]), r.bytes(r.int(64))]));
  return { bytes, name: `lfs${extension(r)}` };
}
