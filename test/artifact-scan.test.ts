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
import { spawnSync } from 'node:child_process';
import {
  ARTIFACT_EXTENSIONS,
  classifyGlobal,
  DEFAULT_ARTIFACT_LIMITS,
  hasPickleMagic,
  isArtifactPath,
  isLfsPointer,
  looksLikeArtifact,
  scanArtifactBytes,
  scanArtifactFile,
  shown,
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

  test('scanArtifactFile never throws: a missing file is unreadable (a warning)', async () => {
    const missing = await scanArtifactFile(path.join(tmp, 'nope.pt'));
    assert.deepEqual(kinds(missing), ['warning:unreadable']);
    assert.equal(missing.sha256, undefined);
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
    for (const [m, n] of [['builtins', 'type'], ['mymod', 'Thing'], ['dill._dill', '_load_type'], ['types', 'SimpleNamespace'], ['__torch__.model', 'Net']]) {
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

// ---------------------------------------------------------------------------------------------------------------
// Review fixes: hostile names, Git LFS pointers, non-regular files, the library tier, hashing, messages

/** Characters that must never reach a message, a summary or an issue's member (see server/src/artifacts/text.ts). */
const HIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

/** Every issue's shown text is free of control and bidi characters, and its code spans are balanced. */
function assertShown(r: ArtifactReport): void {
  for (const i of r.issues) {
    for (const [field, text] of [['message', i.message], ['summary', i.summary], ['member', i.member ?? '']] as const) {
      assert.doesNotMatch(text, HIDDEN_CHARS, `${field}: ${JSON.stringify(text)}`);
      if (field !== 'member') assert.equal((text.match(/`/g) ?? []).length % 2, 0, `${field} has unbalanced backticks: ${text}`);
      else assert.ok(!text.includes('`'), `member: ${text}`);
    }
  }
}

describe('hostile names in messages (control characters, bidi overrides, backticks, length)', () => {
  const TERMINAL = 'evil\x1b[2K\x1b[1G\x1b[32mOK: no findings\x1b[0m\nfake line';

  test('shown: escapes C0, C1, DEL and bidi/zero-width characters, replaces backticks, caps the length', () => {
    assert.equal(shown('a\x1bb\nc\x7fd\x85e'), 'a\\x1bb\\x0ac\\x7fd\\x85e');
    assert.equal(shown('abc\u202edcba\u2066x\u2069\u200b'), 'abc\\u202edcba\\u2066x\\u2069\\u200b');
    assert.equal(shown('a`b'), "a'b");
    assert.equal(shown('lone \ud800 surrogate, pair \ud83d\ude00'), 'lone \\ud800 surrogate, pair \ud83d\ude00');
    const long = shown('x'.repeat(5000));
    assert.equal(long.length, 120);
    assert.ok(long.endsWith('…'));
    // An escape is never cut in two.
    const escapes = shown('\x1b'.repeat(100));
    assert.ok(escapes.length <= 120 && /^(\\x1b)+…$/.test(escapes), escapes);
    assert.equal(shown('plain.module.Name'), 'plain.module.Name');
  });

  test('a STACK_GLOBAL module carrying terminal escapes and a newline is shown escaped; the import keeps it raw', async () => {
    const b = cat(P.proto(4), P.shortBinunicode(TERMINAL), P.shortBinunicode('Thing'), P.stackGlobal, P.emptyTuple, P.reduce, P.stop);
    const r = await scanArtifactBytes(b, 'model.pkl');
    assert.deepEqual(kinds(r), ['warning:unknown-import']);
    assert.equal(r.imports[0].module, TERMINAL, 'the data keeps the name as found');
    assertShown(r);
    assert.ok(r.issues[0].message.includes('`evil\\x1b[2K\\x1b[1G\\x1b[32mOK: no findings\\x1b[0m\\x0afake line.Thing`'), r.issues[0].message);
    const v = verdictOf(r)!;
    assert.doesNotMatch(v.summary, HIDDEN_CHARS);
    assert.match(v.summary, /^its pickle imports `evil\\x1b.*\.Thing`, which is not on the allowlist$/);
  });

  test('a dangerous name with a bidi override and a newline, and a name with backticks: code spans stay whole', async () => {
    const os = await scanArtifactBytes(cat(P.proto(4), P.shortBinunicode('os'), P.shortBinunicode('system\u202e\n`x`'), P.stackGlobal, P.stop), 'x.pkl');
    assertShown(os);
    assert.equal(of(os, 'dangerous-import').length, 1);
    assert.ok(os.issues[0].message.startsWith("The pickle imports `os.system\\u202e\\x0a'x'`, which hands the file the operating system's functions"), os.issues[0].message);
    // Two imports whose names hold backticks still read as one list in the verdict.
    const two = await scanArtifactBytes(cat(P.proto(4), P.shortBinunicode('a`b'), P.shortBinunicode('C`'), P.stackGlobal, P.pop, P.shortBinunicode('d'), P.shortBinunicode('`E'), P.stackGlobal, P.pop, P.none, P.stop), 'x.pkl');
    assertShown(two);
    assert.deepEqual(verdictOf(two), { severity: 'warning', summary: "its pickle imports `a'b.C'` and `d.'E`, which are not on the allowlist" });
    assert.deepEqual(two.imports.map((i) => `${i.module}.${i.name}`), ['a`b.C`', 'd.`E']);
  });

  test('a 1,000-character name is cut to 120 characters in messages', async () => {
    const r = await scanArtifactBytes(cat(P.proto(4), P.binunicode('m'.repeat(1000)), P.shortBinunicode('X'), P.stackGlobal, P.stop), 'x.pkl');
    const span = /`([^`]*)`/.exec(r.issues[0].message)![1];
    assert.equal(span.length, 120);
    assert.ok(span.endsWith('…'));
    assert.ok(r.issues[0].message.length < 300);
  });

  test('a STACK_GLOBAL with only a hostile name known is shown escaped in the unresolved warning', async () => {
    const b = cat(P.proto(4), P.shortBinunicode('builtins'), P.shortBinunicode('str'), P.stackGlobal, P.shortBinunicode('os'), P.tuple1, P.reduce, P.shortBinunicode('sys\x1b[0mtem`'), P.stackGlobal, P.stop);
    const r = await scanArtifactBytes(b, 'x.pkl');
    assertShown(r);
    assert.match(r.issues[0].message, /\(only its name `sys\\x1b\[0mtem'` is known\)/);
  });

  test('zip member names: escaped in messages, summaries and the issue, as found in the import', async () => {
    const member = 'archive/\x1b[31mdata\u202e\n.pkl';
    const r = await scanArtifactBytes(makeZip([{ name: member, data: callPickle('os', 'system') }]), 'model.pt');
    assertShown(r);
    const hit = of(r, 'dangerous-import')[0];
    assert.equal(hit.member, 'archive/\\x1b[31mdata\\u202e\\x0a.pkl');
    assert.ok(hit.message.includes(`\`${hit.member}\``), 'the message names the member as the issue does');
    assert.equal(r.imports[0].member, member);
    // Encrypted members name themselves in the summary.
    const zip = makeZip([{ name: 'x\x07`.pkl', data: callPickle('os', 'system') }]);
    zip.writeUInt16LE(0x801, 6);
    const cdAt = zip.readUInt32LE(zip.length - 6);
    zip.writeUInt16LE(0x801, cdAt + 8);
    const enc = await scanArtifactBytes(zip, 'model.pt');
    assert.deepEqual(kinds(enc), ['warning:not-scanned']);
    assertShown(enc);
    assert.equal(enc.issues[0].summary, "its member `x\\x07'.pkl` is encrypted and was not scanned");
  });

  test('a long nested member name keeps its end', async () => {
    const inner = makeZip([{ name: 'archive/data.pkl', data: callPickle('os', 'system') }]);
    const dir = `${'d'.repeat(200)}/`;
    const r = await scanArtifactBytes(makeZip([{ name: `${dir}inner.pt`, data: inner }]), 'bundle.bin');
    const hit = of(r, 'dangerous-import')[0];
    assert.equal(hit.member!.length, 120);
    assert.ok(hit.member!.startsWith('…') && hit.member!.endsWith('inner.pt!/archive/data.pkl'), hit.member);
    assert.equal(r.imports.find((i) => i.classification === 'dangerous')!.member, `${dir}inner.pt!/archive/data.pkl`);
  });

  test('Keras: hostile module, class and layer names are shown escaped', async () => {
    const config = JSON.stringify({
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { module: 'my\x1b[2Kpkg', class_name: 'Layer`\n', config: { name: 'ok' } },
          { module: 'keras.layers', class_name: 'Lambda', config: { name: 'lam\u202ebda\x1b]0;title\x07', function: { class_name: '__lambda__', config: { code: 'AA==' } } } },
        ],
      },
    });
    const r = await scanArtifactBytes(makeZip([{ name: 'metadata.json', data: Buffer.from('{}') }, { name: 'config.json', data: Buffer.from(config) }]), 'm.keras');
    assertShown(r);
    assert.deepEqual(kinds(r).sort(), ['error:lambda-layer', 'warning:unknown-import']);
    assert.ok(of(r, 'lambda-layer')[0].summary.includes('(`lam\\u202ebda\\x1b]0;title\\x07`)'), of(r, 'lambda-layer')[0].summary);
    assert.ok(of(r, 'unknown-import')[0].message.includes("`my\\x1b[2Kpkg.Layer'\\x0a`"), of(r, 'unknown-import')[0].message);
    // JSON.parse quotes the text it fails on: that is shown escaped too.
    const broken = await scanArtifactBytes(makeZip([{ name: 'metadata.json', data: Buffer.from('{}') }, { name: 'config.json', data: Buffer.from('{"a": \x1b[2K`oops`}') }]), 'm.keras');
    assert.deepEqual(kinds(broken), ['warning:unreadable']);
    assertShown(broken);
  });

  test('safetensors: a hostile tensor name is shown escaped', async () => {
    const header = Buffer.from(JSON.stringify({ 'w\x1b[2K\n`': { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }));
    const n = Buffer.alloc(8);
    n.writeBigUInt64LE(BigInt(header.length));
    const r = await scanArtifactBytes(Buffer.concat([n, header, Buffer.alloc(8)]), 'm.safetensors');
    assert.deepEqual(kinds(r), ['warning:invalid-safetensors']);
    assertShown(r);
    assert.match(r.issues[0].message, /the tensor `w\\x1b\[2K\\x0a'` has 4 bytes of data/);
  });
});

describe('Git LFS pointers', () => {
  const pointer = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n';

  test('a pointer under any model extension is one info not-scanned issue (a notice), not a warning', async () => {
    for (const ext of ['.pt', '.pth', '.pkl', '.joblib', '.safetensors', '.bin', '.ckpt', '.npy', '.h5', '.keras', '.npz', '.dill']) {
      const r = await scanArtifactBytes(Buffer.from(pointer), `model${ext}`);
      assert.deepEqual(r.issues, [
        {
          kind: 'not-scanned',
          severity: 'info',
          message: 'The file is a Git LFS pointer, not the model; fetch it with `git lfs pull` to have it scanned.',
          summary: 'it is a Git LFS pointer, not the model',
        },
      ], ext);
      assert.equal(verdictOf(r), undefined, ext);
      assert.deepEqual(r.imports, []);
    }
  });

  test('on disk too, with CRLF line ends and extension keys', async () => {
    const file = path.join(tmp, 'lfs-model.pt');
    fs.writeFileSync(file, pointer.replace(/\n/g, '\r\n').replace('size', 'ext-0-foo sha256:abc\r\nsize'));
    const r = await scanArtifactFile(file);
    assert.deepEqual(kinds(r), ['info:not-scanned']);
    assert.match(r.issues[0].message, /Git LFS pointer/);
  });

  test('only a whole pointer counts: a pointer line in front of a pickle or an archive is still scanned', async () => {
    assert.ok(isLfsPointer(Buffer.from(pointer)));
    assert.ok(!isLfsPointer(Buffer.from(pointer.replace('size 12345\n', ''))), 'no size');
    assert.ok(!isLfsPointer(Buffer.from(pointer.replace(/sha256:[0-9a-f]+/, 'sha256:xyz'))), 'bad oid');
    assert.ok(!isLfsPointer(Buffer.from(pointer + 'x'.repeat(1024))), 'over 1 KB');
    const withPickle = Buffer.concat([Buffer.from(pointer), Buffer.from(callPickle('os', 'system'))]);
    assert.ok(!isLfsPointer(withPickle));
    assert.equal(verdictOf(await scanArtifactBytes(withPickle, 'model.pkl'))?.severity, 'warning', 'unreadable, not a notice');
    // Zip readers (Keras' among them) find an archive after a prefix: such a file is not a pointer.
    const withZip = Buffer.concat([Buffer.from(pointer), makeZip([{ name: 'config.json', data: Buffer.from('{}') }])]);
    assert.ok(withZip.length < 1024 && !isLfsPointer(withZip));
    assert.ok(!(await scanArtifactBytes(withZip, 'm.keras')).issues.some((i) => /LFS/.test(i.message)));
  });
});

describe('paths that are not regular files', { skip: process.platform === 'win32' && 'no FIFOs or /dev/zero' }, () => {
  const expectNotice = (r: ArtifactReport, what: RegExp) => {
    assert.deepEqual(kinds(r), ['info:not-scanned'], JSON.stringify(r.issues));
    assert.match(r.issues[0].message, what);
    assert.equal(verdictOf(r), undefined);
    assert.equal(r.sha256, undefined);
  };

  test('a folder', async () => {
    expectNotice(await scanArtifactFile(tmp), /^The path is a folder, not a regular file, so it was not read\.$/);
  });

  test('a symbolic link to /dev/zero is never read (it would never end)', { timeout: 5000 }, async () => {
    const link = path.join(tmp, 'zero.pt');
    fs.symlinkSync('/dev/zero', link);
    expectNotice(await scanArtifactFile(link), /a device/);
  });

  test('a FIFO with no writer is never opened for reading (it would block)', { timeout: 5000, skip: spawnSync('mkfifo', ['--help']).error && 'no mkfifo' }, async () => {
    const fifo = path.join(tmp, 'pipe.pkl');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    expectNotice(await scanArtifactFile(fifo), /a FIFO/);
  });

  test('a symbolic link to a missing target (an unfetched LFS or annex link)', async () => {
    const link = path.join(tmp, 'dangling.safetensors');
    fs.symlinkSync(path.join(tmp, 'no-such-target'), link);
    expectNotice(await scanArtifactFile(link), /symbolic link to a missing target/);
  });
});

describe('known ML library classes (the library tier)', () => {
  test('scikit-learn, pandas, xgboost, scipy.sparse and numpy pickles are clean, protocols 0, 2 and 4', async () => {
    for (const p of [0, 2, 4]) {
      const r = await scanArtifactBytes(py[`ml_pipeline_p${p}`], 'model.joblib');
      assertClean(r);
      const lib = r.imports.filter((i) => i.classification === 'library').map((i) => `${i.module}.${i.name}`);
      for (const name of [
        'sklearn.linear_model._logistic.LogisticRegression',
        'sklearn.tree._tree.Tree',
        'sklearn.ensemble._hist_gradient_boosting.binning._BinMapper',
        'sklearn._loss._loss.__pyx_unpickle_CyHalfBinomialLoss',
        'pandas.core.frame.DataFrame',
        'pandas.core.internals.managers.BlockManager',
        'pandas._libs.internals._unpickle_block',
        'pandas.core.indexes.base._new_Index',
        'xgboost.core.Booster',
        'xgboost.sklearn.XGBClassifier',
        'scipy.sparse._csr.csr_matrix',
        'numpy.random._pickle.__randomstate_ctor',
        'numpy.float64',
      ]) {
        assert.ok(lib.includes(name), `protocol ${p}: ${name} in ${lib.join(', ')}`);
      }
      assert.ok(!r.imports.some((i) => i.classification === 'unknown' || i.classification === 'dangerous'), imported(r).join());
    }
  });

  test('a library function and a truly unknown class stay warnings', async () => {
    const r = await scanArtifactBytes(py.ml_pipeline_mixed, 'model.pkl');
    assert.deepEqual(kinds(r), ['warning:unknown-import', 'warning:unknown-import']);
    assert.deepEqual(verdictOf(r), { severity: 'warning', summary: 'its pickle imports `sklearn.metrics._scorer._passthrough_scorer` and `mymod.Thing`, which are not on the allowlist' });
  });

  test('classifyGlobal: classes and data constructors of the libraries are `library`', () => {
    for (const [m, n, lib] of [
      ['sklearn.linear_model._base', 'LinearRegression', 'scikit-learn'],
      ['sklearn.pipeline', 'Pipeline', 'scikit-learn'],
      ['sklearn.metrics._scorer', '_PredictScorer', 'scikit-learn'],
      ['sklearn.neighbors._kd_tree', 'newObj', 'scikit-learn'],
      ['sklearn.compose._column_transformer', 'make_column_selector', 'scikit-learn'],
      ['pandas.core.series', 'Series', 'pandas'],
      ['pandas._libs.tslibs.timestamps', '_unpickle_timestamp', 'pandas'],
      ['pandas.core.arrays.categorical', 'Categorical', 'pandas'],
      ['numpy.random._pickle', '__randomstate_ctor', 'numpy'],
      ['numpy.random.mtrand', 'RandomState', 'numpy'],
      ['numpy.random._mt19937', 'MT19937', 'numpy'],
      ['numpy.random.bit_generator', '__pyx_unpickle_SeedSequence', 'numpy'],
      ['numpy.ma.core', 'MaskedArray', 'numpy'],
      ['numpy', 'int64', 'numpy'],
      ['scipy.sparse._csc', 'csc_matrix', 'scipy'],
      ['scipy.sparse.csr', 'csr_matrix', 'scipy'],
      ['xgboost.core', 'Booster', 'xgboost'],
      ['lightgbm.sklearn', 'LGBMClassifier', 'LightGBM'],
      ['lightgbm.basic', 'Booster', 'LightGBM'],
      ['catboost.core', 'CatBoostClassifier', 'CatBoost'],
      ['tokenizers', 'Tokenizer', 'tokenizers'],
      ['tokenizers.models', 'BPE', 'tokenizers'],
      ['sentencepiece', 'SentencePieceProcessor', 'sentencepiece'],
    ]) {
      assert.deepEqual(classifyGlobal(m, n), { classification: 'library', reason: lib }, `${m}.${n}`);
    }
  });

  test('classifyGlobal: functions, readers, I/O classes, tests and method paths of the libraries are not `library`', () => {
    const unknown = [
      ['sklearn.metrics._scorer', '_passthrough_scorer'], // a function
      ['sklearn.datasets._base', 'load_files'],
      ['sklearn.datasets', 'Bunch'], // datasets fetch over the network
      ['sklearn.externals.joblib', 'Parallel'],
      ['sklearn.utils.parallel', 'Parallel'],
      ['sklearn.utils._testing', 'TempMemmap'],
      ['sklearn.tests.test_base', 'T'],
      ['sklearn.base', 'BaseEstimator.set_params'], // a method path
      ['pandas', 'read_csv'],
      ['pandas.io.parsers.readers', 'TextFileReader'],
      ['pandas.io.pytables', 'HDFStore'],
      ['pandas', 'HDFStore'],
      ['pandas', 'ExcelWriter'],
      ['pandas.core.computation.expr', 'Expr'],
      ['pandas.core.computation.eval', 'eval'],
      ['pandas.core.frame', 'DataFrame.to_pickle'],
      ['pandas.core.frame', 'DataFrame.eval'],
      ['pandas._testing', 'DataFrame'],
      ['numpy', 'memmap'],
      ['numpy', 'fromfile'],
      ['numpy', 'frompyfunc'],
      ['numpy.lib.npyio', 'NpzFile'],
      ['numpy.lib._npyio_impl', 'NpzFile'],
      ['numpy', 'DataSource'],
      ['numpy.lib._datasource', 'DataSource'],
      ['numpy.testing', 'assert_equal'],
      ['numpy.lib.format', 'open_memmap'],
      ['scipy.sparse', 'load_npz'],
      ['scipy.sparse.linalg', 'LinearOperator'],
      ['scipy.stats', 'norm'],
      ['scipy.io', 'loadmat'],
      ['xgboost.core', 'DMatrix'],
      ['xgboost.core', 'QuantileDMatrix'],
      ['xgboost.tracker', 'RabitTracker'],
      ['xgboost.core', 'Booster.load_model'],
      ['lightgbm.basic', 'Dataset'],
      ['catboost.core', 'Pool'],
      ['catboost.core', 'CatBoost.load_model'],
      ['tokenizers.tools', 'EncodingVisualizer'],
      ['transformers.models.bert.tokenization_bert', 'BertTokenizer'],
      ['transformers.training_args', 'TrainingArguments'],
      ['sentencepiece', 'SentencePieceTrainer'],
      ['xgboost.core', '_LIB'], // the native library's ctypes handle
      ['pandas.compat.pickle_compat', 'Unpickler'],
      ['sklearn_evil', 'Thing'],
      ['pandasx', 'DataFrame'],
    ];
    for (const [m, n] of unknown) assert.equal(classifyGlobal(m, n).classification, 'unknown', `${m}.${n}`);
    // The denylist still comes first.
    for (const [m, n] of [['pandas', 'read_pickle'], ['numpy', 'load'], ['numpy.testing._private.utils', 'runstring'], ['numpy.f2py', 'compile'], ['numpy.ctypeslib', 'load_library'], ['sklearn.base', 'BaseEstimator.__init__.__globals__']]) {
      assert.equal(classifyGlobal(m, n).classification, 'dangerous', `${m}.${n}`);
    }
  });
});

describe('hashing can be turned off', () => {
  test('DEFAULT_ARTIFACT_LIMITS hashes; hash: false leaves out the sha256 and the too-large-to-hash note', async () => {
    assert.equal(DEFAULT_ARTIFACT_LIMITS.hash, true);
    const bytes = py.torch_zip_clean;
    const hashed = await scanArtifactBytes(bytes, 'model.pt');
    assert.match(hashed.sha256 ?? '', /^[0-9a-f]{64}$/);
    const off = await scanArtifactBytes(bytes, 'model.pt', { hash: false });
    assert.equal(off.sha256, undefined);
    assert.deepEqual(off.issues, hashed.issues);
    // Over maxFileBytes: the note only when hashing.
    const big = await scanArtifactBytes(bytes, 'model.pt', { maxFileBytes: 10 });
    assert.ok(of(big, 'limit').some((i) => /not hashed/.test(i.message)));
    assertClean(await scanArtifactBytes(bytes, 'model.pt', { maxFileBytes: 10, hash: false }));
    // Non-boolean values fall back to the default.
    assert.match((await scanArtifactBytes(bytes, 'model.pt', { hash: 'no' as unknown as boolean })).sha256 ?? '', /^[0-9a-f]{64}$/);
  });

  test('scanArtifactFile with hash: false does not hash (nor note it) but still scans', async () => {
    const file = path.join(tmp, 'nohash.ckpt');
    fs.writeFileSync(file, py.torch_zip_evil);
    const r = await scanArtifactFile(file, { hash: false, maxFileBytes: 10 });
    assert.equal(r.sha256, undefined);
    assert.equal(r.size, py.torch_zip_evil.length);
    assert.deepEqual(kinds(r), ['error:dangerous-import']);
    const hashed = await scanArtifactFile(file);
    assert.equal(hashed.sha256, createHash('sha256').update(py.torch_zip_evil).digest('hex'));
  });
});

describe('messages: one sentence, identifiers in backticks', () => {
  test('the main messages', async () => {
    const evil = await scanArtifactBytes(callPickle('os', 'system'), 'x.pkl');
    assert.equal(evil.issues[0].message, 'The pickle imports `os.system`, which runs a shell command or starts a process when the file is loaded.');
    const unknown = await scanArtifactBytes(py.unknown_p4, 'x.pkl');
    assert.equal(unknown.issues[0].message, 'The pickle imports `mymod.Thing`, which is not on the allowlist, so loading the file runs whatever code it brings in.');
    const cut = await scanArtifactBytes(cat(P.proto(2), P.none, 0xff, P.stop), 'x.pkl');
    assert.equal(cut.issues[0].message, 'The pickle could not be parsed past byte 3: byte 3 holds 0xff, which is not a pickle opcode; `pickle.load` fails there too, and nothing after it was scanned.');
    const st = await scanArtifactBytes(Buffer.from([1, 2, 3]), 'm.safetensors');
    assert.equal(st.issues[0].message, 'The file is not valid safetensors (it is shorter than the 8-byte header length), so the safetensors library refuses it and it may be another format in disguise.');
    const h5 = JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Lambda', config: { name: 'l', function: ['AA', null, null], function_type: 'lambda' } }] } });
    const lambda = await scanArtifactBytes(makeFakeHdf5(h5), 'm.h5');
    assert.equal(lambda.issues[0].message, 'The Keras model config has a `Lambda` layer `l` whose marshalled Python bytecode runs when the model is loaded by Keras 2 (`tf.keras`), or by Keras 3 with `safe_mode=False`.');
    for (const r of [evil, unknown, cut, st, lambda]) {
      for (const i of r.issues) assert.equal(i.message.replace(/`[^`]*`/g, '``').replace(/\d\.\d/g, '').match(/\.(\s|$)/g)?.length, 1, i.message);
    }
  });
});
