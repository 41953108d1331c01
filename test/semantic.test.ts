/** Units of the semantic layer: imports and aliases, constants, arguments, splats, shadowing, broken code. */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, analyzeBytes, initEngine } from '../server/src/engine/analyze';
import { getParser } from '../server/src/engine/parser';
import { SemanticModel, type CallSite } from '../server/src/engine/semantic';
import { DEFAULT_SETTINGS } from '../server/src/shared/settings';

before(async () => {
  await initEngine();
});

function model(src: string): SemanticModel {
  const tree = getParser().parse(src);
  assert.ok(tree);
  return new SemanticModel(tree, src);
}

function call(m: SemanticModel, callee: string): CallSite {
  const c = m.calls.find((x) => x.functionNode?.text === callee);
  assert.ok(c, `no call to ${callee}`);
  return c;
}

describe('qualified names', () => {
  test('import aliases and from-imports resolve to qualified names', () => {
    const m = model(
      [
        'import torch as T',
        'from torch import load as tl',
        'from pickle import loads',
        'import transformers',
        'import a.b.c',
        'T.load(p)',
        'tl(p)',
        'loads(b)',
        'transformers.AutoModel.from_pretrained("gpt2")',
        'a.b.c.d()',
        'open(p)',
      ].join('\n'),
    );
    assert.equal(call(m, 'T.load').qname, 'torch.load');
    assert.equal(call(m, 'tl').qname, 'torch.load');
    assert.equal(call(m, 'loads').qname, 'pickle.loads');
    assert.equal(call(m, 'transformers.AutoModel.from_pretrained').qname, 'transformers.AutoModel.from_pretrained');
    assert.equal(call(m, 'a.b.c.d').qname, 'a.b.c.d');
    assert.equal(call(m, 'open').qname, 'open');
  });

  test('instances carry their constructor: HfApi().snapshot_download', () => {
    const m = model('from huggingface_hub import HfApi\napi = HfApi()\napi.snapshot_download("x")\nHfApi().hf_hub_download("y")\n');
    assert.equal(call(m, 'api.snapshot_download').qname, 'huggingface_hub.HfApi().snapshot_download');
    assert.equal(call(m, 'HfApi().hf_hub_download').qname, 'huggingface_hub.HfApi().hf_hub_download');
  });

  test('a parameter, a loop variable or an assignment shadows an import', () => {
    const m = model(
      [
        'from pickle import load',
        'import torch',
        'def f(load, torch):',
        '    load(p)',
        '    torch.load(p)',
        'def g():',
        '    for load in loaders:',
        '        load(p)',
        'def h():',
        '    torch = get()',
        '    torch.load(p)',
      ].join('\n'),
    );
    const loads = m.calls.filter((c) => c.functionNode?.text === 'load');
    assert.equal(loads.length, 2);
    for (const c of loads) assert.equal(c.qname, undefined);
    const torchLoads = m.calls.filter((c) => c.functionNode?.text === 'torch.load');
    assert.equal(torchLoads.length, 2);
    for (const c of torchLoads) assert.notEqual(c.qname, 'torch.load');
  });

  test('module imports stay visible in functions and classes, class scope does not leak into methods', () => {
    const m = model(
      ['import pickle', 'class A:', '    pickle = None', '    def m(self):', '        return pickle.loads(b)'].join('\n'),
    );
    assert.equal(call(m, 'pickle.loads').qname, 'pickle.loads');
  });

  test('conditional imports: the import that stands last wins', () => {
    const m = model(['try:', '    import cPickle as pickle', 'except ImportError:', '    import pickle', 'pickle.load(f)'].join('\n'));
    assert.equal(call(m, 'pickle.load').qname, 'pickle.load');
  });

  test('a function alias assigned from an import resolves', () => {
    const m = model('import torch\nmyload = torch.load\nmyload(p)\n');
    assert.equal(call(m, 'myload').qname, 'torch.load');
  });
});

describe('constants and arguments', () => {
  test('module and function constants of strings and booleans propagate', () => {
    const m = model(
      [
        'MODEL_ID = "gpt2"',
        'SHA = "0123456789abcdef0123456789abcdef01234567"',
        'TRC = True',
        'def f():',
        '    rev = "v1" "." "0"',
        '    load(MODEL_ID, revision=SHA, trust_remote_code=TRC, other=rev, path=f"./m/{x}")',
      ].join('\n'),
    );
    const c = call(m, 'load');
    assert.deepEqual(c.value('model', 0), { kind: 'str', value: 'gpt2', complete: true });
    assert.deepEqual(c.value('revision'), { kind: 'str', value: '0123456789abcdef0123456789abcdef01234567', complete: true });
    assert.deepEqual(c.value('trust_remote_code'), { kind: 'bool', value: true });
    assert.deepEqual(c.value('other'), { kind: 'str', value: 'v1.0', complete: true });
    assert.deepEqual(c.value('path'), { kind: 'str', value: './m/', complete: false });
  });

  test('a name assigned different values in branches is unknown, not guessed', () => {
    const m = model(['if cond:', '    TRC = True', 'else:', '    TRC = False', 'def f():', '    load(trust_remote_code=TRC)'].join('\n'));
    assert.equal(call(m, 'load').value('trust_remote_code')?.kind, 'unknown');
  });

  test('in the same scope: an unconditional rebinding stands, branches must agree', () => {
    const m = model(
      [
        'REV = "main"',
        'REV = "0123456789abcdef0123456789abcdef01234567"',
        'load(a=REV)',
        'if p:',
        '    R2 = "0123456789abcdef0123456789abcdef01234567"',
        'else:',
        '    R2 = "main"',
        'load(b=R2)',
      ].join('\n'),
    );
    const [first, second] = m.calls.filter((c) => c.name === 'load');
    assert.equal(first.value('a')?.kind, 'str');
    assert.equal(second.value('b')?.kind, 'unknown');
  });

  test('an import with a None fallback in except still resolves to the import', () => {
    const m = model(['try:', '    from transformers import AutoModel', 'except ImportError:', '    AutoModel = None', 'AutoModel.from_pretrained("x")'].join('\n'));
    assert.equal(call(m, 'AutoModel.from_pretrained').qname, 'transformers.AutoModel.from_pretrained');
  });

  test('a path joined with / stays a path object', () => {
    const m = model('from pathlib import Path\nOUT = Path("runs") / "best"\nload(OUT)\n');
    assert.deepEqual(call(m, 'load').value('p', 0), { kind: 'ref', qname: 'pathlib.Path()' });
  });

  test('a function-level constant shadows a module one', () => {
    const m = model(['REV = "main"', 'def f():', '    REV = "0123456789abcdef0123456789abcdef01234567"', '    load(revision=REV)'].join('\n'));
    assert.equal((call(m, 'load').value('revision') as { value: string }).value, '0123456789abcdef0123456789abcdef01234567');
  });

  test('keyword and positional lookup, splats', () => {
    const m = model('f(a, b, c=1)\ng(a, *rest)\nh(a, **kw)\n');
    const f = call(m, 'f');
    assert.equal(f.arg('x', 1)?.text, 'b');
    assert.equal(f.arg('c', 0)?.text, '1');
    assert.equal(f.arg('d'), undefined);
    assert.equal(f.mayPass('d', 5), false);
    const g = call(m, 'g');
    assert.equal(g.hasArgSplat, true);
    assert.equal(g.mayPass('x', 3), true);
    assert.equal(g.mayPass('x'), false);
    const h = call(m, 'h');
    assert.equal(h.hasKwSplat, true);
    assert.equal(h.mayPass('weights_only'), true);
  });

  test('self-referential assignments terminate', () => {
    const m = model('x = x\ny = z\nz = y\nload(x, y)\n');
    assert.equal(call(m, 'load').value('a', 0)?.kind, 'local');
  });
});

describe('robustness', () => {
  test('broken code still yields findings for the parts that parse', () => {
    const src = 'import torch\ndef broken(:\n    pass\nstate = torch.load("a.pt")\nclass (\n';
    const r = analyze(src, 'broken.py');
    assert.equal(r.parsed, true);
    assert.deepEqual(
      r.findings.map((f) => [f.ruleId, f.range.start.line]),
      [['SAI202', 3]],
    );
  });

  test('a file over the size limit yields one notice and no findings', () => {
    const src = 'import torch\n' + 'x = 1\n'.repeat(400) + 'torch.load("a.pt")\n';
    const r = analyze(src, 'big.py', { ...DEFAULT_SETTINGS, maxFileSizeKb: 1 });
    assert.equal(r.findings.length, 0);
    assert.equal(r.notices.length, 1);
    assert.equal(r.notices[0].kind, 'too-large');
    assert.match(r.notices[0].message, /over the 1 KB limit/);
  });

  test('undecodable bytes yield one notice; UTF-16 with a BOM is decoded', () => {
    const bad = analyzeBytes(Uint8Array.from([0x69, 0x6d, 0xff, 0xfe, 0xc3, 0x28]), 'bad.py');
    assert.equal(bad.notices.length, 1);
    assert.equal(bad.notices[0].kind, 'not-decodable');
    const src = 'import torch\ntorch.load("é.pt")\n';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(src, 'utf16le')]);
    const r = analyzeBytes(utf16, 'u16.py');
    assert.deepEqual(r.notices, []);
    assert.equal(r.findings.length, 1);
  });

  test('columns are UTF-16 code units, as LSP and SARIF expect', () => {
    const r = analyze('import torch\ns = "é€😀"; torch.load(p)\n', 'cols.py');
    assert.equal(r.findings[0].range.start.character, 'S = "é€😀"; '.length);
  });

  test('the prefilter skips parsing when no trigger token occurs', () => {
    const r = analyze('import os\nprint(os.getcwd())\n', 'plain.py');
    assert.equal(r.parsed, false);
    assert.deepEqual(r.findings, []);
  });

  test('deeply nested expressions do not overflow the stack', () => {
    const depth = 5000;
    const src = 'import torch\nx = ' + '('.repeat(depth) + '1' + ')'.repeat(depth) + '\ntorch.load(p)\n';
    const r = analyze(src, 'deep.py');
    assert.ok(r.findings.some((f) => f.ruleId === 'SAI202'));
  });
});

describe('suppression', () => {
  const base = 'import torch\n';
  test('on the line, or on its own line above; a reason is kept', () => {
    const r = analyze(
      base + 'a = torch.load(p)  # secure-ai: ignore[SAI202] hashed at build time\n# secure-ai: ignore[SAI101, SAI202]\nb = torch.load(p)\nc = torch.load(p)\n',
      's.py',
    );
    const [a, b, c] = r.findings;
    assert.deepEqual(a.suppressed, { line: 1, reason: 'hashed at build time' });
    assert.deepEqual(b.suppressed, { line: 2, reason: undefined });
    assert.equal(c.suppressed, undefined);
  });

  test('another rule id or a trailing comment on the line above does not suppress', () => {
    const r = analyze(base + 'x = 1  # secure-ai: ignore[SAI202]\na = torch.load(p)  # secure-ai: ignore[SAI201]\n', 's.py');
    assert.equal(r.findings[0].suppressed, undefined);
  });

  test('above the first line of a multi-line statement', () => {
    const r = analyze(base + '# secure-ai: ignore[SAI202] vetted\nstate = torch.load(\n    p,\n)\n', 's.py');
    assert.equal(r.findings[0].suppressed?.reason, 'vetted');
  });
});

describe('settings', () => {
  test('severity overrides by id or prefix, off, and minimum confidence', () => {
    const src = 'import torch\ntorch.load(p)\ntorch.load(p, **kw)\n';
    const r1 = analyze(src, 's.py', { ...DEFAULT_SETTINGS, rules: { SAI2: 'error' } });
    assert.deepEqual(r1.findings.map((f) => f.severity), ['error', 'error']);
    const r2 = analyze(src, 's.py', { ...DEFAULT_SETTINGS, rules: { SAI2: 'error', SAI202: 'off' } });
    assert.equal(r2.findings.length, 0);
    const r3 = analyze(src, 's.py', { ...DEFAULT_SETTINGS, minConfidence: 'medium' });
    assert.deepEqual(r3.findings.map((f) => f.range.start.line), [1]);
  });

  test('messages name the guideline item', () => {
    const r = analyze('import torch\ntorch.load(p)\n', 's.py');
    assert.match(r.findings[0].message, /\[NCSC 1\.3 Design for security as well as functionality and performance\]$/);
    assert.ok(r.findings[0].guidelines.includes('CWE-502'));
  });
});
