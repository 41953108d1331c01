/**
 * The language server's pieces in-process: incremental re-parsing, the suppress edit, fix combination, settings,
 * the Hugging Face cache lookup, the workspace file filter and the work queue.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyze, initEngine } from '../server/src/engine/analyze';
import { getParser } from '../server/src/engine/parser';
import type { Fix, Range } from '../server/src/engine/types';
import { combineFixes } from '../server/src/lsp/code-actions';
import { OpenDocument } from '../server/src/lsp/documents';
import { cachedRevision, hfHubCacheDir } from '../server/src/lsp/hf-revision';
import { Priority, WorkQueue } from '../server/src/lsp/scheduler';
import { SettingsCache, normalizeSettings, type ConfigurationItem } from '../server/src/lsp/settings';
import { analyzeManifest } from '../server/src/engine/analyze-manifest';
import { lineSuppressEdit, suppressEdit } from '../server/src/lsp/suppress-edit';
import { FolderFilter, excludedBy, scannedKindOf, watchedGlobs } from '../server/src/lsp/workspace-files';
import { manifestKindOf } from '../server/src/manifests';
import { MANIFEST_GLOBS } from '../server/src/shared/protocol';
import { callPickle, makeZip } from './artifacts/build';
import { DEFAULT_SETTINGS } from '../server/src/shared/settings';
import { pyCompileError } from './helpers';
import { applyTextEdits, rangeOf } from './lsp-harness';

before(async () => {
  await initEngine();
});

/** A small deterministic PRNG, so that a failing fuzz case can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('OpenDocument: incremental re-parse', () => {
  test('after random incremental edits the tree equals a fresh parse of the text', () => {
    const pieces = ['torch.load(p)', '\n', '    ', 'é😀', '"""x\n"""', '(', ')', 'import torch as T\n', 'def f(a):\n    return a\n', ', weights_only=True', '#c\n', ''];
    for (let seed = 1; seed <= 20; seed++) {
      const rand = rng(seed);
      const doc = new OpenDocument('file:///fuzz.py', 'python', 1, 'import torch\n\nx = torch.load(p)\n');
      doc.parse();
      let text = doc.text;
      for (let step = 0; step < 40; step++) {
        const changes: Array<{ range: Range; text: string }> = [];
        for (let k = 0, n = 1 + Math.floor(rand() * 3); k < n; k++) {
          const lines = text.split('\n');
          const line = Math.floor(rand() * lines.length);
          const a = Math.floor(rand() * (lines[line].length + 1));
          const endLine = Math.min(lines.length - 1, line + (rand() < 0.2 ? 1 : 0));
          const b = endLine === line ? a + Math.floor(rand() * (lines[line].length - a + 1)) : Math.floor(rand() * (lines[endLine].length + 1));
          const insert = pieces[Math.floor(rand() * pieces.length)];
          const range = { start: { line, character: a }, end: { line: endLine, character: b } };
          changes.push({ range, text: insert });
          text = applyTextEdits(text, [{ range, newText: insert }]);
        }
        doc.update(changes, step + 2);
        assert.equal(doc.text, text);
        // Parse only every few steps: several edits must accumulate correctly on one old tree.
        if (step % 3 === 0 || step === 39) {
          const incremental = doc.parse()!;
          const fresh = getParser().parse(text)!;
          assert.equal(incremental.rootNode.toString(), fresh.rootNode.toString(), `seed ${seed}, step ${step}`);
          fresh.delete();
        }
      }
      doc.dispose();
    }
  });

  test('a full-text change drops the old tree and parses from scratch', () => {
    const doc = new OpenDocument('file:///full.py', 'python', 1, 'x = 1\n');
    doc.parse();
    doc.update([{ text: 'import torch\ny = torch.load(p)\n' }], 2);
    const tree = doc.parse()!;
    assert.equal(tree.rootNode.text, 'import torch\ny = torch.load(p)\n');
    assert.equal(analyze(doc.text, 'full.py', DEFAULT_SETTINGS, { tree }).findings.length, 1);
    doc.dispose();
  });
});

describe('suppressEdit', () => {
  function suppress(text: string, ruleId: string, nth = 0): string {
    const tree = getParser().parse(text)!;
    try {
      const f = analyze(text, 's.py', DEFAULT_SETTINGS, { tree }).findings.filter((x) => x.ruleId === ruleId && !x.suppressed)[nth];
      assert.ok(f, `no ${ruleId} finding in:\n${text}`);
      const e = suppressEdit(text, tree, ruleId, f.range);
      return applyTextEdits(text, [{ range: e.range, newText: e.text }]);
    } finally {
      tree.delete();
    }
  }
  const unsuppressed = (text: string) => analyze(text, 's.py').findings.filter((f) => !f.suppressed).map((f) => f.ruleId);

  const cases: Array<[string, string, string, string]> = [
    ['a trailing comment', 'import torch\nx = torch.load(p)   \n', 'SAI202', 'import torch\nx = torch.load(p)  # secure-ai: ignore[SAI202] reason\n'],
    ['merged into a trailing directive, reason kept', 'import torch, pickle\nx = torch.load(p); y = pickle.loads(b)  # secure-ai: ignore[SAI201] - signed blob\n', 'SAI202', 'import torch, pickle\nx = torch.load(p); y = pickle.loads(b)  # secure-ai: ignore[SAI201, SAI202] signed blob\n'],
    ['merged into a directive on its own line above', 'import torch, pickle\n# secure-ai: ignore[SAI201]\nx = torch.load(pickle.loads(b))\n', 'SAI202', 'import torch, pickle\n# secure-ai: ignore[SAI201, SAI202] reason\nx = torch.load(pickle.loads(b))\n'],
    ['own line when the line is continued with a backslash', 'import torch\nif True:\n    x = torch.load(p) + \\\n        1\n', 'SAI202', 'import torch\nif True:\n    # secure-ai: ignore[SAI202] reason\n    x = torch.load(p) + \\\n        1\n'],
    ['own line when the line has another tool\'s comment', 'import torch\nx = torch.load(p)  # noqa\n', 'SAI202', 'import torch\n# secure-ai: ignore[SAI202] reason\nx = torch.load(p)  # noqa\n'],
    ['a multi-line call: trailing after the open parenthesis', 'import torch\nx = torch.load(\n    p,\n)\n', 'SAI202', 'import torch\nx = torch.load(  # secure-ai: ignore[SAI202] reason\n    p,\n)\n'],
    ['CRLF line ends are kept', 'import torch\r\nx = torch.load(p)  # noqa\r\n', 'SAI202', 'import torch\r\n# secure-ai: ignore[SAI202] reason\r\nx = torch.load(p)  # noqa\r\n'],
  ];
  for (const [name, text, ruleId, expected] of cases) {
    test(name, () => {
      const out = suppress(text, ruleId);
      assert.equal(out, expected);
      assert.equal(pyCompileError(out), undefined);
      assert.ok(!unsuppressed(out).includes(ruleId), `${ruleId} still reported:\n${out}`);
    });
  }

  test('a string that runs past the flagged line gets the comment above the statement', () => {
    const text = 'import torch\ndef f():\n    return torch.load(p, map_location="""cpu\n""")\n';
    const out = suppress(text, 'SAI202');
    assert.equal(out, 'import torch\ndef f():\n    # secure-ai: ignore[SAI202] reason\n    return torch.load(p, map_location="""cpu\n""")\n');
    assert.equal(pyCompileError(out), undefined);
  });

  test('the snippet form has a tab stop for the reason and escapes the rest', () => {
    const text = 'import torch\nx = torch.load(p)\n';
    const tree = getParser().parse(text)!;
    const e = suppressEdit(text, tree, 'SAI202', rangeOf(text, 'torch.load(p)'));
    tree.delete();
    assert.equal(e.snippet, '  # secure-ai: ignore[SAI202] ${1:reason}');
  });
});

describe('lineSuppressEdit (manifests)', () => {
  /** Suppress the first unsuppressed `ruleId` finding of manifest `name`; the text after the edit, or undefined. */
  function suppress(name: string, text: string, ruleId: string): string | undefined {
    const f = analyzeManifest(text, name).findings.find((x) => x.ruleId === ruleId && !x.suppressed);
    assert.ok(f, `no ${ruleId} finding in:\n${text}`);
    const e = lineSuppressEdit(text, ruleId, f.range);
    return e && applyTextEdits(text, [{ range: e.range, newText: e.text }]);
  }
  const unsuppressed = (name: string, text: string) => analyzeManifest(text, name).findings.filter((f) => !f.suppressed).map((f) => f.ruleId);

  const cases: Array<[string, string, string, string, string]> = [
    ['requirements: own line above', 'requirements.txt', 'numpy==2.0.0\ntorch>=2  # cuda build\n', 'SAI701', 'numpy==2.0.0\n# secure-ai: ignore[SAI701] reason\ntorch>=2  # cuda build\n'],
    ['requirements: merged into a trailing directive', 'requirements.txt', 'torch>=2  # secure-ai: ignore[SAI999] - why\n', 'SAI701', 'torch>=2  # secure-ai: ignore[SAI999, SAI701] why\n'],
    ['TOML: inside an array, at the line\'s indentation', 'pyproject.toml', '[project]\nname = "x"\ndependencies = [\n    "torch>=2",\n]\n', 'SAI701', '[project]\nname = "x"\ndependencies = [\n    # secure-ai: ignore[SAI701] reason\n    "torch>=2",\n]\n'],
    ['YAML: in a pip list', 'environment.yml', 'name: x\ndependencies:\n  - pip:\n      - transformers\n', 'SAI701', 'name: x\ndependencies:\n  - pip:\n      # secure-ai: ignore[SAI701] reason\n      - transformers\n'],
    ['setup.cfg: never a trailing comment (configparser keeps it in the value)', 'setup.cfg', '[options]\ninstall_requires =\n    torch\n', 'SAI701', '[options]\ninstall_requires =\n    # secure-ai: ignore[SAI701] reason\n    torch\n'],
    ['CRLF line ends are kept', 'requirements.txt', 'numpy==2.0.0\r\ntorch\r\n', 'SAI701', 'numpy==2.0.0\r\n# secure-ai: ignore[SAI701] reason\r\ntorch\r\n'],
  ];
  for (const [title, name, text, ruleId, expected] of cases) {
    test(title, () => {
      const out = suppress(name, text, ruleId);
      assert.equal(out, expected);
      assert.ok(!unsuppressed(name, out!).includes(ruleId), `${ruleId} still reported:\n${out}`);
    });
  }

  test('merging into an own-line directive above keeps its reason', () => {
    const text = '# secure-ai: ignore[SAI702] internal mirror\n-i http://mirror.example.com/simple\n';
    const e = lineSuppressEdit(text, 'SAI999', { start: { line: 1, character: 0 }, end: { line: 1, character: 5 } })!;
    assert.equal(applyTextEdits(text, [{ range: e.range, newText: e.text }]), '# secure-ai: ignore[SAI702, SAI999] internal mirror\n-i http://mirror.example.com/simple\n');
  });

  test('none on a line continued from the one above (a comment line there would end the requirement)', () => {
    const text = 'torch \\\n    --hash=sha256:00\n';
    assert.equal(lineSuppressEdit(text, 'SAI701', { start: { line: 1, character: 4 }, end: { line: 1, character: 10 } }), undefined);
  });

  test('the snippet form has a tab stop for the reason', () => {
    const e = lineSuppressEdit('  torch\n', 'SAI701', { start: { line: 0, character: 2 }, end: { line: 0, character: 7 } })!;
    assert.equal(e.snippet, '  # secure-ai: ignore[SAI701] ${1:reason}\n');
  });
});

describe('combineFixes', () => {
  const r = (l: number, a: number, b: number): Range => ({ start: { line: l, character: a }, end: { line: l, character: b } });
  const fix = (title: string, ...edits: Array<[Range, string]>): Fix => ({ title, safety: 'safe', edits: edits.map(([range, newText]) => ({ range, newText })) });

  test('keeps non-overlapping fixes in document order and drops one that collides', () => {
    const edits = combineFixes([fix('b', [r(2, 0, 4), 'B']), fix('a', [r(1, 0, 3), 'A']), fix('a2', [r(1, 2, 5), 'X']), fix('c', [r(1, 3, 3), 'C'])]);
    assert.deepEqual(edits.map((e) => e.newText), ['A', 'C', 'B']);
  });

  test('two insertions at the same point collide; a multi-edit fix goes in whole or not at all', () => {
    const edits = combineFixes([fix('a', [r(0, 5, 5), 'x']), fix('b', [r(0, 5, 5), 'y']), fix('c', [r(3, 0, 1), '1'], [r(0, 4, 6), '2'])]);
    assert.deepEqual(edits.map((e) => e.newText), ['x']);
  });
});

describe('settings', () => {
  test('missing values take DEFAULT_SETTINGS; malformed ones are reported and replaced', () => {
    assert.deepEqual(normalizeSettings(undefined), { ...DEFAULT_SETTINGS });
    const problems: string[] = [];
    const s = normalizeSettings({ enable: 'no', run: 'onSave', rules: { sai202: 'error', SAI1: 'off', SAI3: 'loud' }, minConfidence: 'max', exclude: ['a/', 3], maxFileSizeKb: -1 }, problems);
    assert.deepEqual(s, { enable: true, run: 'onSave', rules: { SAI202: 'error', SAI1: 'off' }, minConfidence: 'low', exclude: ['a/'], maxFileSizeKb: DEFAULT_SETTINGS.maxFileSizeKb, 'threatModel.path': DEFAULT_SETTINGS['threatModel.path'], 'bom.path': DEFAULT_SETTINGS['bom.path'], maxModelFileSizeMb: DEFAULT_SETTINGS.maxModelFileSizeMb });
    assert.equal(problems.length, 5, problems.join('\n'));
  });

  test('the cache asks once per URI, in batches, and again after clear()', async () => {
    const requests: ConfigurationItem[][] = [];
    const cache = new SettingsCache(
      async (items) => {
        requests.push(items);
        return items.map((i) => ({ maxFileSizeKb: i.scopeUri === 'file:///b.py' ? 7 : 9 }));
      },
      () => {},
      'secureAi',
    );
    cache.prefetch(['file:///a.py', 'file:///b.py']);
    assert.equal((await cache.get('file:///b.py')).maxFileSizeKb, 7);
    assert.equal((await cache.get('file:///a.py')).maxFileSizeKb, 9);
    assert.equal(requests.length, 1);
    assert.deepEqual(requests[0], [{ scopeUri: 'file:///a.py', section: 'secureAi' }, { scopeUri: 'file:///b.py', section: 'secureAi' }]);
    cache.clear();
    await cache.get('file:///a.py');
    assert.equal(requests.length, 2);
  });

  test('a failing configuration request falls back to the defaults', async () => {
    const logs: string[] = [];
    const cache = new SettingsCache(() => Promise.reject(new Error('no')), (m) => logs.push(m), 'secureAi');
    assert.deepEqual(await cache.get('file:///x.py'), { ...DEFAULT_SETTINGS });
    assert.match(logs[0], /workspace\/configuration failed/);
  });
});

describe('Hugging Face cache', () => {
  test('HF_HUB_CACHE, then HF_HOME/hub, then ~/.cache/huggingface/hub', () => {
    assert.equal(hfHubCacheDir({ HF_HUB_CACHE: '/c', HF_HOME: '/h' }), '/c');
    assert.equal(hfHubCacheDir({ HF_HOME: '/h' }), path.join('/h', 'hub'));
    assert.equal(hfHubCacheDir({}), path.join(os.homedir(), '.cache', 'huggingface', 'hub'));
  });

  test('refs/<ref> of models--org--name or datasets--org--name; only a full SHA counts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sai-hf-'));
    try {
      const sha = 'ABCDEF0123456789abcdef0123456789abcdef01';
      const put = (folder: string, ref: string, content: string) => {
        fs.mkdirSync(path.join(dir, folder, 'refs'), { recursive: true });
        fs.writeFileSync(path.join(dir, folder, 'refs', ref), content);
      };
      put('models--org--m', 'main', `${sha}\n`);
      put('models--gpt2', 'main', sha);
      put('datasets--org--d', 'main', sha);
      put('models--org--bad', 'main', 'main');
      assert.equal(cachedRevision('org/m', 'model', 'main', dir), sha.toLowerCase());
      assert.equal(cachedRevision('gpt2', 'model', 'main', dir), sha.toLowerCase());
      assert.equal(cachedRevision('org/d', 'dataset', 'main', dir), sha.toLowerCase());
      assert.equal(cachedRevision('org/d', 'model', 'main', dir), undefined);
      assert.equal(cachedRevision('org/bad', 'model', 'main', dir), undefined);
      assert.equal(cachedRevision('org/m', 'model', '../../etc', dir), undefined);
      assert.equal(cachedRevision('org/none', 'model', 'main', dir), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('FolderFilter', () => {
  test('list() and includes() agree: skipped folders, .gitignore (nested, negated) and exclude patterns', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sai-ws-'));
    try {
      const w = (rel: string, text = 'x = 1\n') => {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      };
      fs.mkdirSync(path.join(dir, '.git'));
      w('.gitignore', 'build/\n*.gen.py\n');
      w('a.py');
      w('notes.txt');
      w('pkg/b.py');
      w('pkg/c.gen.py');
      w('pkg/.gitignore', '!c.gen.py\nlocal_*.py\n');
      w('pkg/local_x.py');
      w('build/d.py');
      w('venv/e.py');
      w('deep/site-packages/f.py');
      w('tests/fixtures/g.py');
      w('tests/h.py');
      const filter = new FolderFilter(dir, ['tests/fixtures/']);
      const listed = (await filter.list()).python.map((f) => path.relative(dir, f).split(path.sep).join('/'));
      assert.deepEqual(listed, ['a.py', 'pkg/b.py', 'pkg/c.gen.py', 'tests/h.py']);
      for (const rel of ['a.py', 'pkg/b.py', 'pkg/c.gen.py', 'tests/h.py']) assert.ok(filter.includes(path.join(dir, rel)), rel);
      for (const rel of ['pkg/local_x.py', 'build/d.py', 'venv/e.py', 'deep/site-packages/f.py', 'tests/fixtures/g.py', 'notes.txt', '../x.py']) {
        assert.ok(!filter.includes(path.join(dir, rel)), rel);
      }
      assert.ok(excludedBy(['tests/fixtures/'], dir, path.join(dir, 'tests', 'fixtures', 'g.py')));
      assert.ok(!excludedBy(['tests/fixtures/'], dir, path.join(dir, 'tests', 'h.py')));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('FolderFilter: every kind the CLI reads', () => {
  test('list() sorts the files by kind, sniffs extension-less model files, lists lock files; kindOf() agrees', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sai-ws-kinds-'));
    try {
      const w = (rel: string, content: string | Uint8Array = 'x = 1\n') => {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), content);
      };
      const evil = makeZip([{ name: 'archive/data.pkl', data: callPickle('os', 'system') }]);
      fs.mkdirSync(path.join(dir, '.git'));
      w('.gitignore', 'out/\n');
      w('a.py');
      w('requirements.txt', 'torch\n');
      w('svc/pyproject.toml', '[project]\nname = "x"\n');
      w('env/environment-gpu.yml', 'name: x\n');
      w('poetry.lock', '');
      w('models/m.pt', evil);
      w('models/pytorch_model', evil);
      w('LICENSE', 'MIT\n');
      w('nb.ipynb', '{}');
      w('notes.txt', 'torch\n');
      w('out/requirements.txt', 'torch\n');
      w('out/m.pkl', evil);
      // A virtual environment under any name (it holds pyvenv.cfg), as the CLI skips it.
      w('myenv/pyvenv.cfg', 'home = /usr/bin\n');
      w('myenv/lib/requirements.txt', 'torch\n');
      w('vendor/requirements.txt', 'torch\n');
      const filter = new FolderFilter(dir, ['vendor/']);
      const rel = (files: string[]) => files.map((f) => path.relative(dir, f).split(path.sep).join('/'));
      const listing = await filter.list();
      assert.deepEqual(rel(listing.python), ['a.py']);
      assert.deepEqual(rel(listing.manifests), ['env/environment-gpu.yml', 'requirements.txt', 'svc/pyproject.toml']);
      assert.deepEqual(rel(listing.artifacts), ['models/m.pt', 'models/pytorch_model']);
      assert.deepEqual(rel(listing.lockFiles), ['poetry.lock']);
      const kind = (r: string) => filter.kindOf(path.join(dir, r));
      assert.equal(kind('a.py'), 'python');
      assert.equal(kind('requirements.txt'), 'manifest');
      assert.equal(kind('poetry.lock'), 'lock');
      assert.equal(kind('models/m.pt'), 'artifact');
      for (const r of ['nb.ipynb', 'notes.txt', 'out/requirements.txt', 'out/m.pkl', 'myenv/lib/requirements.txt', 'vendor/requirements.txt', 'models/pytorch_model']) {
        assert.equal(kind(r), undefined, r);
      }
      assert.ok(filter.includes(path.join(dir, 'models', 'm.pt')));
      assert.ok(!filter.includes(path.join(dir, 'poetry.lock')), 'a lock file is not analysed');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A glob as VS Code reads the ones used here (`**\/`, `*`, `{a,b}`), as a regular expression. */
  const globRe = (glob: string) =>
    new RegExp(
      `^${glob
        .replace(/[.+^$()|[\]\\]/g, '\\$&')
        .replace(/\{([^}]*)\}/g, (_, alts: string) => `(?:${alts.split(',').join('|')})`)
        .replace(/\*\*\//g, '\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\u0000/g, '(?:.*/)?')}$`,
    );

  test('the manifest globs (client selector and watchers) cover every manifest name; the watchers cover every kind, not every file', () => {
    const manifests = ['requirements.txt', 'requirements-dev.txt', 'dev-requirements.in', 'constraints.txt', 'requirements/base.in', 'pyproject.toml', 'setup.cfg', 'environment.yml', 'environment-gpu.yaml', 'conda.yaml'];
    for (const name of manifests) {
      assert.ok(manifestKindOf(`/w/${name}`), name);
      assert.ok(MANIFEST_GLOBS.some((g) => globRe(g).test(`/w/${name}`)), name);
    }
    const globs = watchedGlobs();
    for (const name of [...manifests, 'a.py', 'pkg/.gitignore', 'poetry.lock', 'uv.lock', 'conda-lock.yml', 'm.pt', 'm.safetensors', 'm.joblib', 'm.keras']) {
      assert.ok(scannedKindOf(`/w/${name}`) || name.endsWith('.gitignore'), name);
      assert.ok(globs.some((g) => globRe(g).test(`/w/${name}`)), name);
    }
    for (const name of ['README.md', 'notes.txt', 'data.csv', 'pytorch_model']) assert.ok(!globs.some((g) => globRe(g).test(`/w/${name}`)), name);
  });
});

describe('WorkQueue', () => {
  test('open documents run before files from disk; a newer task for a key replaces the queued one', async () => {
    const ran: string[] = [];
    const q = new WorkQueue(() => {});
    const done = [
      q.enqueue('disk1', Priority.Disk, () => ran.push('disk1')),
      q.enqueue('a', Priority.Open, () => ran.push('a-old')),
      q.enqueue('disk2', Priority.Disk, () => ran.push('disk2')),
      q.enqueue('a', Priority.Open, () => ran.push('a-new')),
      q.enqueue('b', Priority.Open, () => ran.push('b')),
    ];
    await Promise.all(done);
    assert.deepEqual(ran, ['a-new', 'b', 'disk1', 'disk2']);
  });

  test('among open documents the cheapest runs first; files from disk keep their order', async () => {
    const ran: string[] = [];
    const q = new WorkQueue(() => {});
    await Promise.all([
      q.enqueue('big', Priority.Open, () => ran.push('big'), 2_000_000),
      q.enqueue('d1', Priority.Disk, () => ran.push('d1'), 9),
      q.enqueue('small', Priority.Open, () => ran.push('small'), 100),
      q.enqueue('d2', Priority.Disk, () => ran.push('d2'), 1),
    ]);
    assert.deepEqual(ran, ['small', 'big', 'd1', 'd2']);
  });

  test('a task that throws is reported and the queue goes on', async () => {
    const errors: string[] = [];
    const ran: string[] = [];
    const q = new WorkQueue((key) => errors.push(key));
    await Promise.all([
      q.enqueue('bad', Priority.Open, () => {
        throw new Error('boom');
      }),
      q.enqueue('good', Priority.Open, () => ran.push('good')),
    ]);
    assert.deepEqual(errors, ['bad']);
    assert.deepEqual(ran, ['good']);
  });
});
