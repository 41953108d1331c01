/**
 * The model-artifact scanner (server/src/artifacts): pickles of every protocol, memo and STACK_GLOBAL tricks, INST,
 * several pickles in one file, PyTorch zip and legacy checkpoints, numpy `.npy`/`.npz`, joblib (array bytes inline,
 * compressed), Keras `.keras`/`.h5`, safetensors, truncated and unknown input, the limits, and the one-line verdict.
 *
 * Every artifact is made here: opcodes written by hand (test/artifacts/build.ts), or pickles written by `python3`'s own
 * `pickle` module with stand-in modules (test/artifacts/python.ts). Nothing is unpickled or run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  ARTIFACT_EXTENSIONS,
  classifyGlobal,
  DEFAULT_ARTIFACT_LIMITS,
  hasPickleMagic,
  isArtifactPath,
  looksLikeArtifact,
  scanArtifactBytes,
  scanArtifactFile,
  verdictOf,
  type ArtifactIssue,
  type ArtifactReport,
} from '../server/src/artifacts';
import { callPickle, cat, deflateBomb, makeFakeHdf5, makeNpy, makeSafetensors, makeZip, P } from './artifacts/build';
import { pythonArtifacts } from './artifacts/python';

let py: Record<string, Buffer>;
let tmp: string;

before(() => {
  py = pythonArtifacts();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sai-artifacts-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const kinds = (r: ArtifactReport) => r.issues.map((i) => `${i.severity}:${i.kind}`);
const of = (r: ArtifactReport, kind: ArtifactIssue['kind']) => r.issues.filter((i) => i.kind === kind);
const imported = (r: ArtifactReport) => r.imports.map((i) => `${i.member ? `${i.member}:` : ''}${i.module}.${i.name}=${i.classification}`);
/** Python pickles `os.system` as `posix.system` on POSIX and `nt.system` on Windows. */
const OS_SYSTEM = process.platform === 'win32' ? 'nt.system' : 'posix.system';

function assertClean(r: ArtifactReport): void {
  assert.deepEqual(r.issues, [], JSON.stringify(r.issues, null, 1));
  assert.equal(verdictOf(r), undefined);
}

function assertDangerous(r: ArtifactReport, global: string, member?: string): void {
  const hit = of(r, 'dangerous-import').find((i) => i.message.includes(`\`${global}\``));
  assert.ok(hit, `expected a dangerous import of ${global}; got ${JSON.stringify(r.issues)}`);
  assert.equal(hit.severity, 'error');
  if (member !== undefined) assert.equal(hit.member, member);
  const v = verdictOf(r);
  assert.equal(v?.severity, 'error');
  assert.match(v!.summary, /^its (pickle|Keras config) imports /);
}

describe('pickles written by Python, protocols 0 to 5', () => {
  for (let p = 0; p <= 5; p++) {
    test(`protocol ${p}: a reduce to os.system is an error; plain data, sets, bytes and an OrderedDict are clean`, async () => {
      const evil = await scanArtifactBytes(py[`evil_p${p}`], 'model.pkl');
      assert.equal(evil.format, 'pickle');
      assertDangerous(evil, OS_SYSTEM);
      assert.match(of(evil, 'dangerous-import')[0].message, /runs a shell command/);
      assert.deepEqual(verdictOf(evil), { severity: 'error', summary: `its pickle imports \`${OS_SYSTEM}\`` });

      const clean = await scanArtifactBytes(py[`clean_p${p}`], 'data.pkl');
      assert.equal(clean.format, 'pickle');
      assertClean(clean);
      assert.ok(imported(clean).includes('collections.OrderedDict=safe'));
      // Protocols 0-2 carry bytes as `_codecs.encode(text, 'latin1')` and sets as `__builtin__.set`.
      if (p <= 2) assert.ok(imported(clean).includes('_codecs.encode=safe') && imported(clean).includes('__builtin__.set=safe'), imported(clean).join());
    });
  }

  test('an unknown class is a warning that names it', async () => {
    const r = await scanArtifactBytes(py.unknown_p4, 'model.pkl');
    assert.deepEqual(kinds(r), ['warning:unknown-import']);
    assert.deepEqual(r.imports, [{ module: 'mymod', name: 'Thing', classification: 'unknown' }]);
    assert.deepEqual(verdictOf(r), { severity: 'warning', summary: 'its pickle imports `mymod.Thing`, which is not on the allowlist' });
  });

  test('protocol 5 out-of-band buffers (NEXT_BUFFER, READONLY_BUFFER) are walked past', async () => {
    assert.ok(py.oob_p5.includes(0x97), 'the pickle has NEXT_BUFFER');
    assertDangerous(await scanArtifactBytes(py.oob_p5, 'x.pkl'), OS_SYSTEM);
  });

  test('several pickles in one file: the second (protocol 0, no magic) is read too', async () => {
    assertDangerous(await scanArtifactBytes(py.clean_then_evil, 'x.pkl'), OS_SYSTEM);
  });

  test('bytes after the last pickle that do not start one are noted (info), not parsed', async () => {
    const r = await scanArtifactBytes(py.clean_then_text, 'x.pkl');
    assert.deepEqual(kinds(r), ['info:not-scanned']);
    assert.equal(verdictOf(r), undefined);
  });
});

describe('opcodes written by hand: memo, STACK_GLOBAL and other evasions', () => {
  test('STACK_GLOBAL on strings fetched back from the memo (BINPUT/BINGET)', async () => {
    const b = cat(P.proto(4), P.shortBinunicode('os'), P.binput(0), P.shortBinunicode('system'), P.binput(1), P.pop, P.pop, P.binget(0), P.binget(1), P.stackGlobal, P.shortBinunicode('id'), P.tuple1, P.reduce, P.stop);
    assertDangerous(await scanArtifactBytes(b, 'x.pkl'), 'os.system');
  });

  test('MEMOIZE numbering, LONG_BINPUT/LONG_BINGET with a huge index (no allocation), text PUT/GET', async () => {
    const memoize = cat(P.proto(4), P.shortBinunicode('subprocess'), P.memoize, P.shortBinunicode('Popen'), P.memoize, P.pop, P.pop, P.longBinget(0), P.longBinget(1), P.stackGlobal, P.emptyTuple, P.reduce, P.stop);
    assertDangerous(await scanArtifactBytes(memoize, 'x.pkl'), 'subprocess.Popen');
    const huge = cat(P.proto(4), P.binunicode('builtins'), P.longBinput(0xffffffff), P.binunicode8('eval'), P.longBinput(0xfffffffe), P.pop, P.pop, P.longBinget(0xffffffff), P.longBinget(0xfffffffe), P.stackGlobal, P.shortBinunicode('1+1'), P.tuple1, P.reduce, P.stop);
    assertDangerous(await scanArtifactBytes(huge, 'x.pkl'), 'builtins.eval');
    const text = cat(P.unicode('os'), P.put(7), P.pop, P.unicode('system'), P.put(8), P.pop, P.get(7), P.get(8), P.stackGlobal, P.mark, P.string('id'), P.tuple, P.reduce, P.stop);
    assertDangerous(await scanArtifactBytes(text, 'x.pkl'), 'os.system');
  });

  test('the string opcodes of every protocol feed STACK_GLOBAL', async () => {
    for (const [m, n] of [
      [P.shortBinstring('os'), P.binstring('system')],
      [P.string('os'), P.unicode('system')],
      [P.binunicode8('os'), P.binunicode('system')],
    ]) {
      assertDangerous(await scanArtifactBytes(cat(P.proto(4), m, n, P.stackGlobal, P.stop), 'x.pkl'), 'os.system');
    }
  });

  test('a STACK_GLOBAL whose module is computed (the result of a call) is an unresolved-import warning', async () => {
    // builtins.str('os') as the module: str is allowed, but its result cannot be known without running it.
    const b = cat(P.proto(4), P.shortBinunicode('builtins'), P.shortBinunicode('str'), P.stackGlobal, P.shortBinunicode('os'), P.tuple1, P.reduce, P.shortBinunicode('system'), P.stackGlobal, P.shortBinunicode('id'), P.tuple1, P.reduce, P.stop);
    const r = await scanArtifactBytes(b, 'x.pkl');
    assert.deepEqual(kinds(r), ['warning:unknown-import']);
    assert.match(r.issues[0].message, /STACK_GLOBAL \(at byte \d+\) whose module\/name could not be resolved statically \(only its name `system` is known\)/);
    assert.deepEqual(verdictOf(r), { severity: 'warning', summary: 'its pickle has a STACK_GLOBAL whose module/name could not be resolved statically' });
  });

  test('a STACK_GLOBAL on an int stops the walk as it stops pickle.load', async () => {
    const r = await scanArtifactBytes(cat(P.proto(4), P.binint1(5), P.shortBinunicode('system'), P.stackGlobal, P.stop), 'x.pkl');
    assert.deepEqual(kinds(r), ['warning:unreadable']);
    assert.match(r.issues[0].message, /could not be parsed past byte 12: STACK_GLOBAL at byte 12 finds operands that are not strings/);
  });

  test('GET of a memo key never stored is unreadable (pickle.load fails there too)', async () => {
    const r = await scanArtifactBytes(cat(P.proto(2), P.binget(3), P.stop), 'x.pkl');
    assert.deepEqual(kinds(r), ['warning:unreadable']);
    assert.match(r.issues[0].message, /memo key 3, which was never stored/);
  });

  test('INST and OBJ (protocol 0 and 1 class instantiation)', async () => {
    assertDangerous(await scanArtifactBytes(cat(P.mark, P.string('id'), P.inst('os', 'system'), P.stop), 'x.pkl'), 'os.system');
    assertDangerous(await scanArtifactBytes(cat(P.mark, P.global('subprocess', 'check_output'), P.string('id'), P.obj, P.stop), 'x.pkl'), 'subprocess.check_output');
  });

  test('Python 2 names, attribute paths through dunders and extension codes', async () => {
    const eval2 = await scanArtifactBytes(cat(P.global('__builtin__', 'eval'), P.mark, P.string('1'), P.tuple, P.reduce, P.stop), 'x.pkl');
    assertDangerous(eval2, '__builtin__.eval');
    const dunder = await scanArtifactBytes(cat(P.proto(4), P.shortBinunicode('collections'), P.shortBinunicode('OrderedDict.__init__.__globals__'), P.stackGlobal, P.stop), 'x.pkl');
    assertDangerous(dunder, 'collections.OrderedDict.__init__.__globals__');
    assert.match(dunder.issues[0].message, /Python's internals/);
    const ext = await scanArtifactBytes(cat(P.proto(2), P.ext1(7), P.emptyTuple, P.reduce, P.stop), 'x.pkl');
    assert.deepEqual(kinds(ext), ['warning:unknown-import']);
    assert.match(ext.issues[0].message, /EXT1 .* extension code 7/);
  });

  test('a truncated pickle: the imports before the cut are kept, with an unreadable warning at the byte', async () => {
    const full = py.evil_p2;
    const cut = full.subarray(0, full.indexOf(Buffer.from('system')) + 8);
    const r = await scanArtifactBytes(cut, 'x.pkl');
    assertDangerous(r, OS_SYSTEM);
    const u = of(r, 'unreadable');
    assert.equal(u.length, 1);
    assert.match(u[0].message, /could not be parsed past byte \d+: .*\(truncated\)/);
    assert.match(u[0].summary, /^its pickle could not be parsed past byte \d+ \(truncated\)$/);
    // Cut inside a length-prefixed string: the message names the opcode.
    const mid = cat(P.proto(4), P.binunicode('collections')).subarray(0, 9);
    const r2 = await scanArtifactBytes(mid, 'x.pkl');
    assert.deepEqual(kinds(r2), ['warning:unreadable']);
    assert.match(r2.issues[0].message, /BINUNICODE at byte 2 runs past the end of the data/);
  });

  test('an unknown opcode and a stack underflow are reported with their byte offsets', async () => {
    const bad = await scanArtifactBytes(cat(P.proto(2), P.none, 0xff, P.stop), 'x.pkl');
    assert.match(bad.issues[0].message, /past byte 3: byte 3 holds 0xff, which is not a pickle opcode/);
    const under = await scanArtifactBytes(cat(P.proto(2), P.reduce, P.stop), 'x.pkl');
    assert.match(under.issues[0].message, /REDUCE at byte 2 finds the stack empty/);
  });

  // A sparse file costs nothing on Linux and macOS; Windows would write the 2 GB.
  test('a BINBYTES8 payload is skipped, not read: a 2 GB pickle on disk with an import after it (sparse file)', { skip: process.platform === 'win32' && 'no sparse files by default' }, async () => {
    const file = path.join(tmp, 'huge.pkl');
    const size = 2 * 1024 ** 3;
    const head = cat(P.proto(4), P.emptyList, P.binbytes8Header(size));
    const tail = cat(P.append, P.global('os', 'system'), P.shortBinunicode('id'), P.tuple1, P.reduce, P.append, P.stop);
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, head, 0, head.length, 0);
    fs.writeSync(fd, tail, 0, tail.length, head.length + size);
    fs.closeSync(fd);
    const started = process.cpuUsage();
    const r = await scanArtifactFile(file);
    const cpu = process.cpuUsage(started);
    assertDangerous(r, 'os.system');
    assert.equal(r.sha256, undefined, 'over maxFileBytes: not hashed');
    assert.ok(of(r, 'limit').some((i) => i.severity === 'info' && /not hashed/.test(i.message)));
    assert.ok((cpu.user + cpu.system) / 1000 < 1000, 'the payload was not read');
  });
});

describe('PyTorch checkpoints', () => {
  test('zip: data.pkl importing os.system is an error named with its member', async () => {
    const r = await scanArtifactBytes(py.torch_zip_evil, 'model.pt');
    assert.equal(r.format, 'pytorch-zip');
    assertDangerous(r, OS_SYSTEM, 'archive/data.pkl');
  });

  test('zip: a clean checkpoint (tensor rebuild, OrderedDict, storages by persistent id) has no issues', async () => {
    const r = await scanArtifactBytes(py.torch_zip_clean, 'model.pth');
    assert.equal(r.format, 'pytorch-zip');
    assertClean(r);
    assert.deepEqual(imported(r).sort(), ['archive/data.pkl:collections.OrderedDict=safe', 'archive/data.pkl:torch.FloatStorage=safe', 'archive/data.pkl:torch._utils._rebuild_tensor_v2=safe']);
  });

  test('zip: a pickle found by its magic under an odd name (not data.pkl) is scanned', async () => {
    const r = await scanArtifactBytes(py.torch_zip_odd_member, 'model.bin');
    assertDangerous(r, OS_SYSTEM, 'archive/extra/blob.bin');
  });

  test('zip read from disk (random access through the file handle), with its sha256', async () => {
    const file = path.join(tmp, 'model.ckpt');
    fs.writeFileSync(file, py.torch_zip_evil);
    const r = await scanArtifactFile(file);
    assert.equal(r.format, 'pytorch-zip');
    assert.equal(r.size, py.torch_zip_evil.length);
    assert.equal(r.sha256, createHash('sha256').update(py.torch_zip_evil).digest('hex'));
    assertDangerous(r, OS_SYSTEM, 'archive/data.pkl');
  });

  test('legacy format: the five stacked pickles are read, the raw storages after them are not', async () => {
    const clean = await scanArtifactBytes(py.torch_legacy_clean, 'old.pt');
    assert.equal(clean.format, 'pytorch-legacy');
    assertClean(clean);
    const evil = await scanArtifactBytes(py.torch_legacy_evil, 'old.pt');
    assert.equal(evil.format, 'pytorch-legacy');
    assertDangerous(evil, OS_SYSTEM);
  });
});

describe('numpy', () => {
  const evilPickle = callPickle('os', 'system');

  test('.npy with an object dtype holds a pickle: it is scanned', async () => {
    const r = await scanArtifactBytes(makeNpy('|O', [1], evilPickle), 'arr.npy');
    assert.equal(r.format, 'numpy');
    assertDangerous(r, 'os.system');
    assert.ok(of(r, 'object-array').length === 1 && of(r, 'object-array')[0].severity === 'info');
    // A structured dtype with an object field too.
    const structured = await scanArtifactBytes(makeNpy("[('a', '<f8'), ('b', '|O')]", [1], evilPickle), 'arr.npy');
    assertDangerous(structured, 'os.system');
  });

  test('.npy of floats is clean and its data is not read as a pickle', async () => {
    const data = Buffer.alloc(8 * 4);
    Buffer.from([0x80, 0x04, 0x63]).copy(data); // raw bytes that begin like a pickle
    assertClean(await scanArtifactBytes(makeNpy('<f8', [2, 2], data), 'arr.npy'));
  });

  test('.npz: a zip of .npy members, one of them an object array', async () => {
    const floats = makeNpy('<f4', [3], Buffer.alloc(12));
    const zipped = makeZip([
      { name: 'a.npy', data: floats, method: 8 },
      { name: 'b.npy', data: makeNpy('|O', [1], evilPickle), method: 8 },
    ]);
    const r = await scanArtifactBytes(zipped, 'arrays.npz');
    assert.equal(r.format, 'numpy-zip');
    assertDangerous(r, 'os.system', 'b.npy');
    const cleanZip = await scanArtifactBytes(makeZip([{ name: 'a.npy', data: floats, method: 8 }]), 'arrays.npz');
    assert.equal(cleanZip.format, 'numpy-zip');
    assertClean(cleanZip);
  });
});

describe('joblib', () => {
  test('array bytes written inline after a NumpyArrayWrapper are skipped (even when they spell a pickle)', async () => {
    const r = await scanArtifactBytes(py.joblib_clean, 'model.joblib');
    assertClean(r);
    assert.ok(imported(r).includes('joblib.numpy_pickle.NumpyArrayWrapper=safe'));
  });

  test('an import after the array is found (the walk resumes after the array bytes)', async () => {
    assertDangerous(await scanArtifactBytes(py.joblib_evil_after_array, 'model.pkl'), OS_SYSTEM);
  });

  test('array bytes that pickle.load would run as opcodes are walked that way too', async () => {
    const r = await scanArtifactBytes(py.joblib_shadow, 'model.joblib');
    assertDangerous(r, 'os.system');
    assert.match(of(r, 'dangerous-import')[0].message, /`pickle.load` of the same file runs as opcodes/);
  });

  test('an object array is a nested pickle: its imports are found, and the outer pickle goes on', async () => {
    const r = await scanArtifactBytes(py.joblib_object_array, 'model.joblib');
    assertDangerous(r, OS_SYSTEM);
    assert.ok(imported(r).includes('mymod.Thing=unknown'));
  });

  test('zlib- and gzip-compressed joblib files are inflated and scanned', async () => {
    assertDangerous(await scanArtifactBytes(py.joblib_zlib, 'model.joblib'), OS_SYSTEM);
    assertDangerous(await scanArtifactBytes(py.joblib_gzip, 'model.pkl'), OS_SYSTEM);
  });

  test('compressions the scanner cannot read (lz4, xz, bz2) are a not-scanned warning', async () => {
    for (const head of [[0x04, 0x22, 0x4d, 0x18], [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], [0x42, 0x5a, 0x68, 0x39]]) {
      const r = await scanArtifactBytes(Buffer.from([...head, 1, 2, 3, 4]), 'model.joblib');
      assert.deepEqual(kinds(r), ['warning:not-scanned']);
      assert.equal(verdictOf(r)?.severity, 'warning');
    }
  });
});

describe('Keras', () => {
  const layer = (cls: string, config: Record<string, unknown>, module = 'keras.layers') => ({ module, class_name: cls, config, registered_name: null });
  const lambdaLayer = layer('Lambda', { name: 'evil_lambda', function: { class_name: '__lambda__', config: { code: '4wEAAAAAAAAAAAAAAAEAAAADAAAA', defaults: null, closure: null } } });
  const model = (layers: unknown[]) => JSON.stringify({ module: 'keras', class_name: 'Sequential', config: { name: 'sequential', layers }, registered_name: null });
  const keras = (config: string) => makeZip([
    { name: 'metadata.json', data: Buffer.from('{"keras_version": "3.5.0"}'), method: 8 },
    { name: 'config.json', data: Buffer.from(config), method: 8 },
    { name: 'model.weights.h5', data: makeFakeHdf5(), method: 8 },
  ]);

  test('.keras: a Lambda layer inside a TimeDistributed wrapper is an error that names the layer and safe_mode', async () => {
    const r = await scanArtifactBytes(keras(model([layer('InputLayer', { name: 'in' }), layer('TimeDistributed', { name: 'td', layer: lambdaLayer })])), 'model.keras');
    assert.equal(r.format, 'keras');
    assert.deepEqual(kinds(r), ['error:lambda-layer']);
    assert.match(r.issues[0].message, /`Lambda` layer `evil_lambda`.*`safe_mode=False`/);
    assert.equal(r.issues[0].member, 'config.json');
    assert.deepEqual(verdictOf(r), { severity: 'error', summary: 'its Keras config has a `Lambda` layer (`evil_lambda`) whose code runs when the model is loaded' });
  });

  test('.keras: Lambda in a nested Functional model, and a dangerous or unknown module', async () => {
    const nested = layer('Functional', { name: 'inner', layers: [lambdaLayer] }, 'keras.src.models.functional');
    assert.deepEqual(kinds(await scanArtifactBytes(keras(model([nested])), 'model.keras')), ['error:lambda-layer']);
    const fn = layer('Activation', { name: 'act', activation: { module: 'builtins', class_name: 'function', config: 'exec', registered_name: 'function' } });
    const r = await scanArtifactBytes(keras(model([fn, layer('MyLayer', { name: 'mine' }, 'my_pkg.layers')])), 'model.keras');
    assertDangerous(r, 'builtins.exec', 'config.json');
    assert.ok(of(r, 'unknown-import').some((i) => i.message.includes('`my_pkg.layers.MyLayer`')));
  });

  test('.keras without a Lambda layer is clean', async () => {
    const r = await scanArtifactBytes(keras(model([layer('InputLayer', { name: 'in' }), layer('Dense', { name: 'dense', units: 2, activation: { module: 'keras.activations', class_name: 'function', config: 'relu' } })])), 'model.keras');
    assert.equal(r.format, 'keras');
    assertClean(r);
  });

  test('.h5: the model_config JSON is found in the HDF5 bytes; a Keras 2 Lambda is an error', async () => {
    const config = JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd' } }, { class_name: 'Lambda', config: { name: 'lambda_1', function: ['4wEAAAAA', null, null], function_type: 'lambda' } }] }, keras_version: '2.15.0', backend: 'tensorflow' });
    const r = await scanArtifactBytes(makeFakeHdf5(config), 'model.h5');
    assert.equal(r.format, 'hdf5');
    assert.deepEqual(kinds(r), ['error:lambda-layer']);
    assert.match(r.issues[0].message, /`Lambda` layer `lambda_1`/);
    const clean = JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd' } }] } });
    assertClean(await scanArtifactBytes(makeFakeHdf5(clean), 'model.h5'));
  });

  test('.h5 whose attributes cannot be read: an info note, no verdict', async () => {
    const r = await scanArtifactBytes(makeFakeHdf5(), 'weights.h5');
    assert.equal(r.format, 'hdf5');
    assert.deepEqual(kinds(r), ['info:not-scanned']);
    assert.match(r.issues[0].summary, /HDF5 attributes could not be read/);
    assert.equal(verdictOf(r), undefined);
  });
});

describe('safetensors', () => {
  const valid = () => makeSafetensors({ 'layer.weight': { shape: [2, 2], values: [1, 2, 3, 4] }, 'layer.bias': { shape: [2], values: [0, 1] } }, { format: 'pt' });

  test('a valid file has no issues', async () => {
    const r = await scanArtifactBytes(valid(), 'model.safetensors');
    assert.equal(r.format, 'safetensors');
    assertClean(r);
    assert.equal(r.sha256, createHash('sha256').update(valid()).digest('hex'));
  });

  test('corrupt files are invalid-safetensors warnings saying why', async () => {
    const cases: Array<[string, Buffer, RegExp]> = [];
    const tooLong = valid();
    tooLong.writeBigUInt64LE(BigInt(tooLong.length), 0);
    cases.push(['header length past the end', tooLong, /runs past the end of the file/]);
    const notJson = valid();
    notJson.write('[', 8);
    cases.push(['not JSON', notJson, /not UTF-8 JSON/]);
    const json = JSON.parse(valid().subarray(8, 8 + Number(valid().readBigUInt64LE(0))).toString()) as Record<string, { data_offsets: number[] }>;
    json['layer.bias'].data_offsets = [0, 8];
    const text = Buffer.from(JSON.stringify(json));
    const n = Buffer.alloc(8);
    n.writeBigUInt64LE(BigInt(text.length));
    cases.push(['overlapping offsets', Buffer.concat([n, text, Buffer.alloc(24)]), /overlaps|hole|cover/]);
    cases.push(['a pickle named .safetensors', Buffer.from(callPickle('os', 'system')), /header length/]);
    cases.push(['too short', Buffer.from([1, 2, 3]), /shorter than the 8-byte header length/]);
    for (const [what, bytes, why] of cases) {
      const r = await scanArtifactBytes(bytes, 'model.safetensors');
      assert.deepEqual(kinds(r), ['warning:invalid-safetensors'], what);
      assert.match(r.issues[0].message, why, what);
      assert.match(verdictOf(r)!.summary, /^its safetensors header is invalid \(/);
    }
  });
});

describe('zip archives under hostile limits', () => {
  const evilPkl = callPickle('os', 'system');

  test('a member that inflates to far more than the cap stops at the cap with a limit warning', async () => {
    // A pickle whose BINBYTES8 payload is 64 MB of zeros, then an import: the payload must be inflated to be skipped.
    const prefix = cat(P.proto(4), P.emptyList, P.binbytes8Header(64 * 1024 * 1024));
    const bomb = makeZip([{ name: 'archive/data.pkl', method: 8, raw: deflateBomb(64, prefix), data: new Uint8Array(0), claimSize: 10 }]);
    assert.ok(bomb.length < 200 * 1024, `${bomb.length} bytes`);
    const r = await scanArtifactBytes(bomb, 'model.pt', { maxMemberBytes: 2 * 1024 * 1024 });
    assert.deepEqual(kinds(r), ['warning:limit']);
    assert.match(r.issues[0].message, /`archive\/data.pkl` was only partly scanned: only the first 2,097,152 bytes were read/);
  });

  test('members beyond the total inflation cap are not scanned, with a limit warning', async () => {
    const members = Array.from({ length: 6 }, (_, i) => ({ name: `m${i}.pkl`, method: 8 as const, data: cat(P.proto(4), P.binbytes8Header(1024 * 1024), new Uint8Array(1024 * 1024), P.stop) }));
    const r = await scanArtifactBytes(makeZip(members), 'model.pt', { maxTotalUncompressedBytes: 3 * 1024 * 1024 });
    assert.ok(of(r, 'limit').some((i) => /maxTotalUncompressedBytes/.test(i.message)), JSON.stringify(r.issues));
  });

  test('central-directory sizes that lie do not matter: the member is read as it is', async () => {
    const r = await scanArtifactBytes(makeZip([{ name: 'archive/data.pkl', data: evilPkl, claimSize: 0xfffffff0 }]), 'model.pt');
    assertDangerous(r, 'os.system', 'archive/data.pkl');
    const deflated = await scanArtifactBytes(makeZip([{ name: 'archive/data.pkl', data: evilPkl, method: 8, claimSize: 3 }]), 'model.pt');
    assertDangerous(deflated, 'os.system', 'archive/data.pkl');
  });

  test('too many members: only maxMembers are listed', async () => {
    const members = Array.from({ length: 20 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from('x') }));
    const r = await scanArtifactBytes(makeZip(members), 'model.bin', { maxMembers: 5 });
    assert.deepEqual(kinds(r), ['warning:limit']);
    assert.match(r.issues[0].message, /lists 20 members; only the first 5/);
  });

  test('nested archives are opened up to maxZipDepth, with members named through the nesting', async () => {
    const inner = makeZip([{ name: 'archive/data.pkl', data: evilPkl }]);
    const middle = makeZip([{ name: 'inner.pt', data: inner, method: 8 }]);
    const outer = makeZip([{ name: 'middle.zip', data: middle, method: 8 }]);
    assertDangerous(await scanArtifactBytes(outer, 'bundle.bin'), 'os.system', 'middle.zip!/inner.pt!/archive/data.pkl');
    const shallow = await scanArtifactBytes(outer, 'bundle.bin', { maxZipDepth: 2 });
    assert.deepEqual(kinds(shallow), ['warning:limit']);
    assert.match(shallow.issues[0].message, /nested 3 deep/);
  });

  test('a hostile member name (absolute, ..) does not stop the listing', async () => {
    const r = await scanArtifactBytes(makeZip([{ name: '/etc/../../x.txt', data: Buffer.from('x') }, { name: 'archive/data.pkl', data: evilPkl }]), 'model.pt');
    assertDangerous(r, 'os.system', 'archive/data.pkl');
  });

  test('a damaged archive is an unreadable warning, never a throw', async () => {
    const zip = makeZip([{ name: 'archive/data.pkl', data: evilPkl }]);
    const r = await scanArtifactBytes(zip.subarray(0, zip.length - 10), 'model.pt');
    assert.equal(verdictOf(r)?.severity, 'warning');
    assert.deepEqual(kinds(r), ['warning:unreadable']);
  });
});

describe('limits, files and sniffing', () => {
  test('maxOpcodes stops the walk with a limit warning', async () => {
    const many = cat(P.proto(4), ...Array.from({ length: 5000 }, () => [...P.none, ...P.pop]), P.none, P.stop);
    const r = await scanArtifactBytes(many, 'x.pkl', { maxOpcodes: 1000 });
    assert.deepEqual(kinds(r), ['warning:limit']);
    assert.match(r.issues[0].message, /stopped after 1,000 opcodes/);
    assertClean(await scanArtifactBytes(many, 'x.pkl'));
  });

  test('maxMemberBytes caps how much of a pickle is read', async () => {
    const big = cat(P.proto(4), P.emptyList, ...Array.from({ length: 3000 }, () => [...P.shortBinunicode('x'.repeat(200)), ...P.append]), P.stop);
    const r = await scanArtifactBytes(big, 'x.pkl', { maxMemberBytes: 64 * 1024 });
    assert.deepEqual(kinds(r), ['warning:limit']);
    assert.match(r.issues[0].message, /only partly scanned/);
  });

  test('scanArtifactFile never throws: a missing file and a folder are unreadable', async () => {
    const missing = await scanArtifactFile(path.join(tmp, 'nope.pt'));
    assert.deepEqual(kinds(missing), ['warning:unreadable']);
    assert.equal(missing.sha256, undefined);
    const dir = await scanArtifactFile(tmp);
    assert.deepEqual(kinds(dir), ['warning:unreadable']);
    assert.match(dir.issues[0].message, /not a regular file/);
  });

  test('random bytes under a pickle name are unreadable; under .bin they are an unknown format (info)', async () => {
    const noise = Buffer.from('\x01\x02\x03 not a model at all');
    assert.deepEqual(kinds(await scanArtifactBytes(noise, 'model.pkl')), ['warning:unreadable']);
    const bin = await scanArtifactBytes(noise, 'vocab.bin');
    assert.equal(bin.format, 'unknown');
    assert.deepEqual(kinds(bin), ['info:not-scanned']);
  });

  test('isArtifactPath, ARTIFACT_EXTENSIONS and DEFAULT_ARTIFACT_LIMITS', () => {
    assert.ok(isArtifactPath('/models/Model.PT') && isArtifactPath('w.safetensors') && isArtifactPath('a.npz') && isArtifactPath('m.KERAS'));
    assert.ok(!isArtifactPath('train.py') && !isArtifactPath('data.tar.gz') && !isArtifactPath('pkl'));
    assert.equal(ARTIFACT_EXTENSIONS.length, 13);
    assert.ok(DEFAULT_ARTIFACT_LIMITS.maxMemberBytes <= DEFAULT_ARTIFACT_LIMITS.maxTotalUncompressedBytes);
  });

  test('hasPickleMagic: PROTO 2-5, and protocol 0/1 streams that read as opcodes; not text, JSON or zips', () => {
    assert.ok(hasPickleMagic(py.evil_p4) && hasPickleMagic(py.clean_p2));
    assert.ok(hasPickleMagic(py.evil_p0) && hasPickleMagic(py.clean_p0) && hasPickleMagic(py.clean_p1));
    for (const text of ['hello world\n', '{"a": 1}', '(c) 2024 ACME, all rights reserved\n', 'PK\x03\x04', '', 'N']) {
      assert.ok(!hasPickleMagic(Buffer.from(text, 'latin1')), JSON.stringify(text));
    }
    assert.ok(!hasPickleMagic(Buffer.from([0x80, 0x07, 0x4e])), 'protocol 7 does not exist');
  });

  test('looksLikeArtifact: pickles, .npy, safetensors, zips whose first member is a pickle or a Keras config', () => {
    assert.ok(looksLikeArtifact(py.torch_zip_clean.subarray(0, 4096)));
    assert.ok(looksLikeArtifact(makeNpy('<f8', [1], Buffer.alloc(8))));
    assert.ok(looksLikeArtifact(makeSafetensors({ a: { shape: [1], values: [1] } })));
    assert.ok(looksLikeArtifact(py.evil_p3));
    assert.ok(!looksLikeArtifact(makeZip([{ name: 'readme.txt', data: Buffer.from('hi') }])));
    assert.ok(!looksLikeArtifact(Buffer.from('#!/usr/bin/env python\nprint(1)\n')));
  });

  test('classifyGlobal: the allowlist first, then the denylist, else unknown', () => {
    for (const [m, n] of [['torch._utils', '_rebuild_tensor_v2'], ['torch._utils', '_rebuild_parameter'], ['torch', 'BFloat16Storage'], ['torch', 'Size'], ['torch', 'bfloat16'], ['collections', 'OrderedDict'], ['_codecs', 'encode'], ['numpy.core.multiarray', '_reconstruct'], ['numpy._core.multiarray', '_reconstruct'], ['numpy', 'dtype'], ['builtins', 'set'], ['__builtin__', 'frozenset'], ['copy_reg', '_reconstructor']]) {
      assert.equal(classifyGlobal(m, n).classification, 'safe', `${m}.${n}`);
    }
    for (const [m, n] of [['os', 'system'], ['posix', 'execv'], ['nt', 'system'], ['subprocess', 'run'], ['builtins', 'getattr'], ['__builtin__', 'eval'], ['builtins', '__import__'], ['runpy', '_run_code'], ['socket', 'create_connection'], ['requests.api', 'get'], ['httplib', 'HTTPSConnection'], ['urllib.request', 'urlopen'], ['webbrowser', 'open'], ['functools', 'partial'], ['operator', 'attrgetter'], ['pickle', 'loads'], ['_pickle', 'loads'], ['dill', 'loads'], ['torch.serialization', 'load'], ['torch.hub', 'load'], ['importlib', 'import_module'], ['code', 'InteractiveInterpreter.runcode'], ['ctypes', 'CDLL'], ['sys', 'modules'], ['asyncio.subprocess', 'create_subprocess_shell'], ['multiprocessing.util', 'spawnv_passfds'], ['numpy.testing._private.utils', 'runstring'], ['torch._inductor.codecache', 'compile_file'], ['shutil', 'rmtree'], ['pty', 'spawn'], ['dill._dill', '_create_code'], ['types', 'FunctionType'], ['platform', 'popen'], ['keras.src.utils.file_utils', 'get_file'], ['pathlib', 'Path.write_text']]) {
      assert.equal(classifyGlobal(m, n).classification, 'dangerous', `${m}.${n}`);
    }
    for (const [m, n] of [['sklearn.linear_model._base', 'LinearRegression'], ['numpy.random._pickle', '__randomstate_ctor'], ['builtins', 'type'], ['mymod', 'Thing'], ['dill._dill', '_load_type'], ['types', 'SimpleNamespace'], ['__torch__.model', 'Net']]) {
      assert.equal(classifyGlobal(m, n).classification, 'unknown', `${m}.${n}`);
    }
  });

  test('verdictOf: several dangerous imports of one pickle read as a list; mixed problems count the rest', () => {
    const issue = (kind: ArtifactIssue['kind'], severity: ArtifactIssue['severity'], summary: string): ArtifactIssue => ({ kind, severity, message: summary, summary });
    const base = { path: 'x', format: 'pickle' as const, size: 1, imports: [] };
    assert.deepEqual(verdictOf({ ...base, issues: [issue('dangerous-import', 'error', 'its pickle imports `os.system`'), issue('dangerous-import', 'error', 'its pickle imports `builtins.eval`'), issue('unknown-import', 'warning', 'its pickle imports `a.B`, which is not on the allowlist')] }), {
      severity: 'error',
      summary: 'its pickle imports `os.system` and `builtins.eval`',
    });
    assert.deepEqual(verdictOf({ ...base, issues: [issue('unknown-import', 'warning', 'its pickle imports `a.B`, which is not on the allowlist'), issue('unknown-import', 'warning', 'its pickle imports `c.D`, which is not on the allowlist')] }), {
      severity: 'warning',
      summary: 'its pickle imports `a.B` and `c.D`, which are not on the allowlist',
    });
    assert.deepEqual(verdictOf({ ...base, issues: [issue('lambda-layer', 'error', 'its Keras config has a `Lambda` layer (`l`) whose code runs when the model is loaded'), issue('dangerous-import', 'error', 'its pickle imports `os.system`')] }), {
      severity: 'error',
      summary: 'its Keras config has a `Lambda` layer (`l`) whose code runs when the model is loaded (and 1 more problem)',
    });
    assert.equal(verdictOf({ ...base, issues: [issue('object-array', 'info', 'it is an object array')] }), undefined);
  });

  test('reports are plain data (they cross worker threads and JSON)', async () => {
    const r = await scanArtifactBytes(py.torch_zip_evil, 'model.pt');
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
    assert.deepEqual(structuredClone(r), r);
    assert.deepEqual(verdictOf(JSON.parse(JSON.stringify(r)) as ArtifactReport), verdictOf(r));
  });

  test('a zlib stream under .joblib that breaks off is unreadable, not a throw', async () => {
    const bad = Buffer.concat([zlib.deflateSync(Buffer.from(py.clean_p4)).subarray(0, 20), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])]);
    const r = await scanArtifactBytes(bad, 'model.joblib');
    assert.deepEqual(kinds(r), ['warning:unreadable']);
    assert.match(r.issues[0].message, /could not be read past byte \d+/);
  });
});
