/**
 * Dependency manifests (server/src/manifests): requirements files, pyproject.toml, setup.cfg, conda environment files
 * and notebook install commands; pins, minimum versions, index options, errors, and exact spans (every span is
 * checked by slicing the source text with it). Ends with a seeded fuzz run: mutated manifests, random bytes and
 * pathological inputs never make a parser throw, and every span stays inside its text.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LOCK_FILE_NAMES,
  compareVersions,
  condaNormalizedName,
  isModelEcosystemPackage,
  lockFileIn,
  manifestKindOf,
  normalizeName,
  parseManifest,
  parsePipInstall,
  type InstallCommand,
  type ManifestDependency,
  type ParsedManifest,
  type Span,
} from '../server/src/manifests';
import { Rng, cpuBoundMs, recordFailure, seedsFor } from './fuzz/harness';

const SHA1 = 'a'.repeat(40);

/** Line start offsets as LSP counts lines (\r\n, \n, \r). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\n') starts.push(i + 1);
    else if (text[i] === '\r') {
      if (text[i + 1] === '\n') i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

/** The source text a span covers. */
function slice(text: string, span: Span): string {
  const starts = lineStarts(text);
  return text.slice(starts[span.line] + span.character, starts[span.endLine] + span.endCharacter);
}

function dep(m: { dependencies: ManifestDependency[] }, name: string, nth = 0): ManifestDependency {
  const found = m.dependencies.filter((d) => d.name === name)[nth];
  assert.ok(found, `no dependency ${name} #${nth} in ${JSON.stringify(m.dependencies.map((d) => d.name))}`);
  return found;
}

/** [name, specifier, pin, minimum] of every dependency. */
const facts = (m: { dependencies: ManifestDependency[] }) => m.dependencies.map((d) => [d.name, d.specifier, d.pin, d.minimum]);

function noErrors(m: ParsedManifest | InstallCommand, text: string): void {
  assert.deepEqual(
    m.errors.map((e) => `${e.message} @ ${slice(text, e.span)}`),
    [],
  );
}

describe('requirements files', () => {
  test('pinned, bounded and floating, with the minimum version', () => {
    const text = [
      'torch==2.6.0',
      'torch === 2.6.0',
      'torch==2.6.0+cu121',
      'torch==2.*',
      'torch~=2.5.1',
      'torch>=2.6,<3',
      'torch>2.6, <=3',
      'torch (>=2.1, <2.4)',
      'torch>=2.6',
      'torch>=2.6,>=2.7,!=2.8',
      'torch<3',
      'torch!=2.0',
      'torch',
      'torch>=2,==2.3.1',
      '',
    ].join('\n');
    const m = parseManifest('requirements.txt', text);
    noErrors(m, text);
    assert.deepEqual(facts(m), [
      ['torch', '==2.6.0', 'pinned', '2.6.0'],
      ['torch', '===2.6.0', 'pinned', '2.6.0'],
      ['torch', '==2.6.0+cu121', 'pinned', '2.6.0+cu121'],
      ['torch', '==2.*', 'bounded', '2'],
      ['torch', '~=2.5.1', 'bounded', '2.5.1'],
      ['torch', '>=2.6,<3', 'bounded', '2.6'],
      ['torch', '>2.6,<=3', 'bounded', '2.6'],
      ['torch', '>=2.1,<2.4', 'bounded', '2.1'],
      ['torch', '>=2.6', 'floating', '2.6'],
      ['torch', '>=2.6,>=2.7,!=2.8', 'floating', '2.7'],
      ['torch', '<3', 'floating', undefined],
      ['torch', '!=2.0', 'floating', undefined],
      ['torch', '', 'floating', undefined],
      ['torch', '>=2,==2.3.1', 'pinned', '2.3.1'],
    ]);
    assert.deepEqual(
      m.dependencies.map((d) => [d.span.line, d.nameSpan.line, d.normalized]),
      m.dependencies.map((_, i) => [i, i, 'torch']),
    );
    assert.equal(slice(text, m.dependencies[7].span), 'torch (>=2.1, <2.4)');
  });

  test('spans, extras, markers and normalised names', () => {
    const text = '  Torch_Vision[cuda, Extra.2] >= 0.19 ; python_version >= "3.10" and sys_platform != \'win32\'  # gpu\n';
    const m = parseManifest('requirements.txt', text);
    noErrors(m, text);
    const d = dep(m, 'Torch_Vision');
    assert.equal(d.normalized, 'torch-vision');
    assert.deepEqual(d.extras, ['cuda', 'Extra.2']);
    assert.equal(d.marker, `python_version >= "3.10" and sys_platform != 'win32'`);
    assert.equal(d.specifier, '>=0.19');
    assert.equal(slice(text, d.span), `Torch_Vision[cuda, Extra.2] >= 0.19 ; python_version >= "3.10" and sys_platform != 'win32'`);
    assert.equal(slice(text, d.nameSpan), 'Torch_Vision');
    assert.deepEqual(d.span, { line: 0, character: 2, endLine: 0, endCharacter: 92 });
  });

  test('continuations, comments and per-requirement hashes', () => {
    const text = [
      '# a comment \\',
      'numpy==1.26.4  # pinned \\',
      'transformers \\',
      '  >=4.40,<5',
      'torch==2.3.1 \\',
      '    --hash=sha256:00ff \\',
      '    --hash=sha256:11ee',
      '    # via -r requirements.in',
      'pkg @ https://example.invalid/pkg-1.0.tar.gz#sha256=abc',
      'tail \\',
    ].join('\r\n');
    const m = parseManifest('requirements.txt', text);
    noErrors(m, text);
    // `numpy ... # pinned \` continues onto the next line, whose text is then part of the comment
    assert.deepEqual(
      m.dependencies.map((d) => [d.name, d.pin, d.hashes, d.span.line]),
      [
        ['numpy', 'pinned', 0, 1],
        ['torch', 'pinned', 2, 4],
        ['pkg', 'pinned', 0, 8],
        ['tail', 'floating', 0, 9],
      ],
    );
    const lines = ['a', 'b \\', '  >=1', 'c'].join('\n');
    const joined = parseManifest('requirements.txt', lines);
    assert.equal(slice(lines, dep(joined, 'b').span), 'b \\\n  >=1');
    assert.equal(dep(joined, 'b').specifier, '>=1');
    assert.equal(slice(text, dep(m, 'torch').span), 'torch==2.3.1');
  });

  test('direct references: URLs with and without hashes, VCS commits, editable installs, paths', () => {
    const text = [
      `lib @ git+https://github.com/org/lib@${SHA1}`,
      'lib2 @ git+https://github.com/org/lib2@main',
      'lib3 @ git+ssh://git@github.com/org/lib3.git',
      'arch @ https://example.invalid/arch-1.0.tar.gz#sha256=0123abcd',
      'arch2 @ https://example.invalid/arch2-1.0.tar.gz',
      'arch3 @ https://example.invalid/arch3-1.0.tar.gz --hash=sha256:00ff',
      `-e git+https://github.com/org/edit@${SHA1}#egg=edit`,
      '--editable git+https://github.com/org/edit2@v1.0#egg=edit2',
      'https://example.invalid/whl/Foo_Bar-1.0-py3-none-any.whl',
      'git+https://github.com/org/eggy.git#egg=eggy ; python_version < "3.12"',
      './vendor/local_pkg-2.0.tar.gz',
      '-e .',
      '.',
      'name @ file:///opt/wheels/name-1.0-py3-none-any.whl',
    ].join('\n');
    const m = parseManifest('requirements.txt', text);
    noErrors(m, text);
    assert.deepEqual(
      m.dependencies.map((d) => [d.name, d.pin, d.direct, d.editable ?? false]),
      [
        ['lib', 'pinned', 'vcs', false],
        ['lib2', 'floating', 'vcs', false],
        ['lib3', 'floating', 'vcs', false],
        ['arch', 'pinned', 'url', false],
        ['arch2', 'floating', 'url', false],
        ['arch3', 'pinned', 'url', false],
        ['edit', 'pinned', 'vcs', true],
        ['edit2', 'floating', 'vcs', true],
        ['Foo_Bar', 'floating', 'url', false],
        ['eggy', 'floating', 'vcs', false],
        ['local_pkg', 'pinned', 'path', false],
        ['name', 'pinned', 'path', false],
      ],
    );
    assert.equal(dep(m, 'lib').specifier, `git+https://github.com/org/lib@${SHA1}`);
    assert.equal(dep(m, 'lib').minimum, undefined);
    assert.equal(slice(text, dep(m, 'edit').nameSpan), 'edit');
    assert.equal(slice(text, dep(m, 'edit').span), `git+https://github.com/org/edit@${SHA1}#egg=edit`);
    assert.equal(slice(text, dep(m, 'Foo_Bar').nameSpan), 'Foo_Bar');
    assert.equal(dep(m, 'eggy').marker, 'python_version < "3.12"');
    assert.equal(slice(text, dep(m, 'eggy').span), 'git+https://github.com/org/eggy.git#egg=eggy ; python_version < "3.12"');
  });

  test('environment variables stay as written', () => {
    const text = ['torch==${TORCH_VERSION}', 'jax>=${JAX_MIN}', '--extra-index-url https://${USER}:${TOKEN}@pkgs.example.invalid/simple', '${PKG}==1.0', ''].join('\n');
    const m = parseManifest('requirements.txt', text);
    assert.deepEqual(facts(m), [
      ['torch', '==${TORCH_VERSION}', 'pinned', undefined],
      ['jax', '>=${JAX_MIN}', 'floating', undefined],
    ]);
    assert.deepEqual(
      m.indexOptions.map((o) => [o.option, o.value, o.insecure]),
      [['extra-index-url', 'https://${USER}:${TOKEN}@pkgs.example.invalid/simple', false]],
    );
    assert.equal(m.errors.length, 1);
    assert.equal(m.errors[0].span.line, 3);
  });

  test('invalid lines are errors with their position; the rest of the file is still read', () => {
    const text = [
      'torch 2.0',
      'numpy==1.26.4',
      'torch==abc',
      'torch~=2',
      'torch>=2.0+local',
      'torch[cuda',
      'torch; python_version >> "3"',
      'torch; os_nam == "nt"',
      'transformers --frobnicate',
      '--hash=sha256:00',
      '--index-url',
      '--in',
      'pandas>=2',
      '-c constraints.txt',
      '--pip-install-option-nobody-knows',
    ].join('\n');
    const m = parseManifest('requirements.txt', text);
    assert.deepEqual(
      m.dependencies.map((d) => d.name),
      ['numpy', 'transformers', 'pandas'],
    );
    const errors = m.errors.map((e) => [e.span.line, slice(text, e.span), e.message]);
    assert.deepEqual(
      errors.map(([line, at]) => [line, at]),
      [
        [0, '2'],
        [2, '==abc'],
        [3, '~=2'],
        [4, '>=2.0+local'],
        [5, '[cuda'],
        [6, '>'],
        [7, 'os_nam'],
        [8, '--frobnicate'],
        [9, '--hash=sha256:00'],
        [10, '--index-url'],
        [11, '--in'],
        [14, '--pip-install-option-nobody-knows'],
      ],
    );
    assert.match(String(errors[0][2]), /version operator/);
    assert.match(String(errors[9][2]), /needs a value/);
    assert.match(String(errors[10][2]), /ambiguous abbreviation/);
  });

  test('index options and insecure sources', () => {
    const text = [
      '-i https://pypi.org/simple',
      '--index-url=http://mirror.example.invalid/simple',
      '-ihttp://short.example.invalid/simple',
      '--extra-index-url https://extra.example.invalid/simple',
      '--extra-index http://abbrev.example.invalid/simple',
      '--trusted-host mirror.example.invalid',
      '-f ./wheels',
      '--find-links HTTP://links.example.invalid/',
      '--no-index --pre',
      'torch==2.6.0',
    ].join('\n');
    const m = parseManifest('requirements.txt', text);
    noErrors(m, text);
    assert.deepEqual(
      m.indexOptions.map((o) => [o.option, o.value, o.insecure, slice(text, o.span)]),
      [
        ['index-url', 'https://pypi.org/simple', false, 'https://pypi.org/simple'],
        ['index-url', 'http://mirror.example.invalid/simple', true, 'http://mirror.example.invalid/simple'],
        ['index-url', 'http://short.example.invalid/simple', true, 'http://short.example.invalid/simple'],
        ['extra-index-url', 'https://extra.example.invalid/simple', false, 'https://extra.example.invalid/simple'],
        ['extra-index-url', 'http://abbrev.example.invalid/simple', true, 'http://abbrev.example.invalid/simple'],
        ['trusted-host', 'mirror.example.invalid', true, 'mirror.example.invalid'],
        ['find-links', './wheels', false, './wheels'],
        ['find-links', 'HTTP://links.example.invalid/', true, 'HTTP://links.example.invalid/'],
      ],
    );
  });

  test('-r and -c references: the path as written (quotes removed), its span, every spelling pip accepts', () => {
    const text = [
      '-r base.txt',
      '--requirement=requirements/dev.txt',
      '-cconstraints.txt',
      '--constraint "pins with space.txt"  # a comment',
      '--constr ../shared/constraints.txt',
      '-c \\',
      '    continued.txt',
      '-r ${REQS_DIR}/gpu.txt',
      '-r https://example.com/requirements.txt',
      'torch  # -r not-an-option.txt',
      '-r',
      '',
    ].join('\n');
    const m = parseManifest('requirements.txt', text);
    assert.deepEqual(
      m.references?.map((r) => [r.option, r.path, slice(text, r.span), r.span.line]),
      [
        ['requirement', 'base.txt', 'base.txt', 0],
        ['requirement', 'requirements/dev.txt', 'requirements/dev.txt', 1],
        ['constraint', 'constraints.txt', 'constraints.txt', 2],
        ['constraint', 'pins with space.txt', 'pins with space.txt', 3],
        ['constraint', '../shared/constraints.txt', '../shared/constraints.txt', 4],
        ['constraint', 'continued.txt', 'continued.txt', 6],
        ['requirement', '${REQS_DIR}/gpu.txt', '${REQS_DIR}/gpu.txt', 7],
        ['requirement', 'https://example.com/requirements.txt', 'https://example.com/requirements.txt', 8],
      ],
    );
    // A reference is neither a dependency nor an index option; `-r` without a path is an error, as before.
    assert.deepEqual(m.dependencies.map((d) => d.name), ['torch']);
    assert.deepEqual(m.indexOptions, []);
    assert.deepEqual(m.errors.map((e) => [e.span.line, slice(text, e.span)]), [[10, '-r']]);
    // Other kinds have none (and say so).
    assert.deepEqual(parseManifest('pyproject.toml', '[project]\nname = "x"\n').references, []);
    // A file named anything can be read as a requirements file (what a `-r` names).
    assert.deepEqual(parseManifest('pins.toml', '-c more.txt\n', 'requirements').references?.map((r) => r.path), ['more.txt']);
  });

  test('fullyHashed: pip-compile output with --hash on every requirement', () => {
    const compiled = [
      '#',
      '# This file is autogenerated by pip-compile with Python 3.11',
      '#',
      '--index-url https://pypi.org/simple',
      '',
      'torch==2.3.1 \\',
      '    --hash=sha256:aa00 \\',
      '    --hash=sha256:bb11',
      '    # via -r requirements.in',
      'numpy==1.26.4 \\',
      '    --hash=sha256:cc22',
      '    # via torch',
      '',
    ].join('\n');
    assert.equal(parseManifest('requirements.txt', compiled).fullyHashed, true);
    assert.equal(parseManifest('requirements.txt', `${compiled}pandas==2.2.2\n`).fullyHashed, false);
    assert.equal(parseManifest('requirements.txt', '# nothing\n').fullyHashed, false);
    assert.equal(parseManifest('requirements.txt', 'torch==2.3.1 --hash=sha256:00\n-e ./lib#egg=lib\n').fullyHashed, false);
  });
});

describe('pyproject.toml', () => {
  const text = [
    '[project]',
    'name = "demo"',
    'dependencies = [',
    '  "torch>=2.6",',
    "  'transformers==4.44.2',",
    '  "a\\u0062c ~= 1.2",  # escaped',
    '  """multi>=1""",',
    ']',
    '',
    '[project.optional-dependencies]',
    'gpu = ["bitsandbytes>=0.43,<0.44"]',
    '',
    '[dependency-groups]',
    'dev = ["pytest==8.3.2", {include-group = "lint"}]',
    'lint = ["ruff"]',
    '',
    '[build-system]',
    'requires = ["setuptools>=61"]',
    '',
    '[tool.poetry.dependencies]',
    'python = "^3.11"',
    'numpy = "1.26.4"',
    'scipy = "==1.14.0"',
    'pandas = "^2.2"',
    'jax = "^0.4.30"',
    'polars = "~1.2"',
    'flax = "~1"',
    'tokenizers = "0.19.*"',
    'black = "*"',
    'ruff = ">=0.5"',
    'accelerate = ">=0.30, <1"',
    'keras = "3.4.1 || 3.5.0"',
    '"sentence-transformers" = { version = "^3.0", extras = ["train"], markers = "sys_platform == \'linux\'" }',
    `mylib = { git = "https://github.com/org/mylib", rev = "${SHA1}" }`,
    'other = { git = "https://github.com/org/other", branch = "main" }',
    'local = { path = "../local", develop = true }',
    'whl = { url = "https://example.invalid/whl-1.0-py3-none-any.whl" }',
    'multi = [',
    '  { version = "^2.0", python = "<3.10" },',
    '  { version = "3.0.0", python = ">=3.10" },',
    ']',
    '',
    '[tool.poetry.group.dev.dependencies]',
    'pytest = "^8"',
    '',
    '[[tool.poetry.source]]',
    'name = "internal"',
    'url = "http://pypi.internal.invalid/simple"',
    'priority = "supplemental"',
    '',
    '[[tool.poetry.source]]',
    'name = "pytorch"',
    'url = "https://download.pytorch.org/whl/cu121"',
    '',
    '[tool.uv]',
    'index-url = "https://pypi.org/simple"',
    'extra-index-url = ["http://uv-extra.invalid/simple"]',
    'allow-insecure-host = ["uv-extra.invalid"]',
    '',
    '[[tool.uv.index]]',
    'name = "pt"',
    "url = 'https://download.pytorch.org/whl/cpu'",
    '',
  ].join('\n');
  const m = parseManifest('pyproject.toml', text);

  test('no errors; the project name', () => {
    noErrors(m, text);
    assert.equal(m.kind, 'pyproject');
    assert.equal(m.projectName, 'demo');
  });

  test('PEP 621, optional dependencies, dependency groups and build requirements', () => {
    const pep = m.dependencies.filter((d) => !d.group || !d.group.startsWith('poetry')).slice(0, 8);
    assert.deepEqual(
      pep.map((d) => [d.name, d.specifier, d.pin, d.minimum, d.group]),
      [
        ['torch', '>=2.6', 'floating', '2.6', undefined],
        ['transformers', '==4.44.2', 'pinned', '4.44.2', undefined],
        ['abc', '~=1.2', 'bounded', '1.2', undefined],
        ['multi', '>=1', 'floating', '1', undefined],
        ['bitsandbytes', '>=0.43,<0.44', 'bounded', '0.43', 'optional: gpu'],
        ['pytest', '==8.3.2', 'pinned', '8.3.2', 'group: dev'],
        ['ruff', '', 'floating', undefined, 'group: lint'],
        ['setuptools', '>=61', 'floating', '61', 'build-system'],
      ],
    );
    assert.equal(slice(text, dep(m, 'torch').span), 'torch>=2.6');
    assert.equal(slice(text, dep(m, 'transformers').span), 'transformers==4.44.2');
    // an escape inside the string: the span still covers the source characters
    assert.equal(slice(text, dep(m, 'abc').span), 'a\\u0062c ~= 1.2');
    assert.equal(slice(text, dep(m, 'abc').nameSpan), 'a\\u0062c');
    assert.equal(slice(text, dep(m, 'multi').span), 'multi>=1');
    assert.equal(dep(m, 'multi').span.line, 6);
  });

  test('Poetry: exact, caret, tilde, wildcards, ranges, unions, tables, git, path, url, multiple constraints', () => {
    const poetry = m.dependencies.filter((d) => d.group === undefined && m.dependencies.indexOf(d) >= 4);
    assert.deepEqual(
      poetry.map((d) => [d.name, d.specifier, d.pin, d.minimum, d.direct]),
      [
        ['numpy', '1.26.4', 'pinned', '1.26.4', undefined],
        ['scipy', '==1.14.0', 'pinned', '1.14.0', undefined],
        ['pandas', '^2.2', 'bounded', '2.2', undefined],
        ['jax', '^0.4.30', 'bounded', '0.4.30', undefined],
        ['polars', '~1.2', 'bounded', '1.2', undefined],
        ['flax', '~1', 'bounded', '1', undefined],
        ['tokenizers', '0.19.*', 'bounded', '0.19', undefined],
        ['black', '*', 'floating', undefined, undefined],
        ['ruff', '>=0.5', 'floating', '0.5', undefined],
        ['accelerate', '>=0.30, <1', 'bounded', '0.30', undefined],
        ['keras', '3.4.1 || 3.5.0', 'bounded', '3.4.1', undefined],
        ['sentence-transformers', '^3.0', 'bounded', '3.0', undefined],
        ['mylib', 'https://github.com/org/mylib', 'pinned', undefined, 'vcs'],
        ['other', 'https://github.com/org/other', 'floating', undefined, 'vcs'],
        ['local', '../local', 'pinned', undefined, 'path'],
        ['whl', 'https://example.invalid/whl-1.0-py3-none-any.whl', 'floating', undefined, 'url'],
        ['multi', '^2.0', 'bounded', '2.0', undefined],
        ['multi', '3.0.0', 'pinned', '3.0.0', undefined],
      ],
    );
    const st = dep(m, 'sentence-transformers');
    assert.deepEqual(st.extras, ['train']);
    assert.equal(st.marker, "sys_platform == 'linux'");
    assert.equal(slice(text, st.nameSpan), 'sentence-transformers');
    assert.equal(slice(text, dep(m, 'pandas').span), 'pandas = "^2.2"');
    assert.equal(slice(text, dep(m, 'pandas').nameSpan), 'pandas');
    assert.equal(slice(text, dep(m, 'multi', 2).span), '{ version = "3.0.0", python = ">=3.10" }');
    assert.equal(slice(text, dep(m, 'multi', 2).nameSpan), 'multi');
    assert.equal(dep(m, 'pytest', 1).group, 'poetry group dev');
    assert.ok(!m.dependencies.some((d) => d.name === 'python'));
  });

  test('Poetry: a dependency written as its own table', () => {
    const t = ['[tool.poetry.dependencies]', 'numpy = "^1.26"', '', '[tool.poetry.dependencies."torch"]', 'version = "2.4.1"', 'source = "pytorch"', ''].join('\n');
    const r = parseManifest('pyproject.toml', t);
    noErrors(r, t);
    assert.deepEqual(facts(r), [
      ['numpy', '^1.26', 'bounded', '1.26'],
      ['torch', '2.4.1', 'pinned', '2.4.1'],
    ]);
    assert.equal(slice(t, dep(r, 'torch').nameSpan), 'torch');
    assert.equal(slice(t, dep(r, 'torch').span), '[tool.poetry.dependencies."torch"]');
  });

  test('package sources: Poetry sources, uv indexes and options', () => {
    assert.deepEqual(
      m.indexOptions.map((o) => [o.option, o.value, o.insecure, slice(text, o.span)]),
      [
        ['source', 'http://pypi.internal.invalid/simple', true, 'http://pypi.internal.invalid/simple'],
        ['source', 'https://download.pytorch.org/whl/cu121', false, 'https://download.pytorch.org/whl/cu121'],
        ['source', 'https://download.pytorch.org/whl/cpu', false, 'https://download.pytorch.org/whl/cpu'],
        ['index-url', 'https://pypi.org/simple', false, 'https://pypi.org/simple'],
        ['extra-index-url', 'http://uv-extra.invalid/simple', true, 'http://uv-extra.invalid/simple'],
        ['trusted-host', 'uv-extra.invalid', true, 'uv-extra.invalid'],
      ],
    );
  });

  test('invalid TOML: one error at the parser position, nothing else, no throw', () => {
    const bad = '[project]\ndependencies = ["torch",\n  "numpy" x]\n';
    const r = parseManifest('pyproject.toml', bad);
    assert.equal(r.errors.length, 1);
    assert.deepEqual(r.dependencies, []);
    assert.equal(r.errors[0].span.line, 2);
    assert.equal(r.errors[0].span.character, 10);
    assert.equal(parseManifest('pyproject.toml', 'this is [not toml').errors.length, 1);
  });

  test('invalid requirements and wrong types are errors at their place', () => {
    const bad = ['[project]', 'dependencies = ["torch>=", "numpy"]', '[project.optional-dependencies]', 'x = "not-a-list"', '[tool.poetry.dependencies]', 'jax = "^not.a.version"', 'flax = 3'].join('\n');
    const r = parseManifest('pyproject.toml', bad);
    assert.deepEqual(
      r.dependencies.map((d) => d.name),
      ['numpy'],
    );
    assert.deepEqual(
      r.errors.map((e) => [e.span.line, slice(bad, e.span)]),
      [
        [1, ''],
        [3, '"not-a-list"'],
        [5, 'not.a.version'],
        [6, '3'],
      ],
    );
  });
});

describe('setup.cfg', () => {
  test('install_requires, extras, setup_requires, dependency_links, name', () => {
    const text = [
      '[metadata]',
      'name = demo-pkg',
      '',
      '[options]',
      'packages = find:',
      'install_requires =',
      '    torch>=2.1,<2.5',
      '    # a comment',
      '    ; another',
      '    transformers==4.44.2  # pinned',
      '    numpy; python_version >= "3.9"',
      'setup_requires = setuptools_scm>=8',
      'dependency_links =',
      '    http://wheels.example.invalid/',
      '    https://secure.example.invalid/',
      '',
      '[options.extras_require]',
      'GPU = bitsandbytes; triton==3.0.0',
      'serve =',
      '    gradio~=4.40',
      '    fastapi',
      '',
    ].join('\n');
    const m = parseManifest('setup.cfg', text);
    noErrors(m, text);
    assert.equal(m.kind, 'setup-cfg');
    assert.equal(m.projectName, 'demo-pkg');
    assert.deepEqual(
      m.dependencies.map((d) => [d.name, d.specifier, d.pin, d.minimum, d.group, d.marker]),
      [
        ['torch', '>=2.1,<2.5', 'bounded', '2.1', undefined, undefined],
        ['transformers', '==4.44.2', 'pinned', '4.44.2', undefined, undefined],
        ['numpy', '', 'floating', undefined, undefined, 'python_version >= "3.9"'],
        ['setuptools_scm', '>=8', 'floating', '8', 'setup_requires', undefined],
        ['bitsandbytes', '', 'floating', undefined, 'optional: gpu', undefined],
        ['triton', '==3.0.0', 'pinned', '3.0.0', 'optional: gpu', undefined],
        ['gradio', '~=4.40', 'bounded', '4.40', 'optional: serve', undefined],
        ['fastapi', '', 'floating', undefined, 'optional: serve', undefined],
      ],
    );
    assert.equal(slice(text, dep(m, 'transformers').span), 'transformers==4.44.2');
    assert.equal(slice(text, dep(m, 'numpy').span), 'numpy; python_version >= "3.9"');
    assert.equal(slice(text, dep(m, 'triton').span), 'triton==3.0.0');
    assert.equal(slice(text, dep(m, 'triton').nameSpan), 'triton');
    assert.deepEqual(
      m.indexOptions.map((o) => [o.option, o.insecure, slice(text, o.span)]),
      [
        ['find-links', true, 'http://wheels.example.invalid/'],
        ['find-links', false, 'https://secure.example.invalid/'],
      ],
    );
  });

  test('a one-line value with a marker is one requirement; errors have positions', () => {
    const text = ['[options]', 'install_requires = torch>=2; python_version >= "3.10"', '[options.extras_require]', 'x =', '    torch 2.0', 'stray line'].join('\n');
    const m = parseManifest('setup.cfg', text);
    assert.deepEqual(facts(m), [['torch', '>=2', 'floating', '2']]);
    assert.equal(dep(m, 'torch').marker, 'python_version >= "3.10"');
    assert.deepEqual(
      m.errors.map((e) => [e.span.line, slice(text, e.span)]),
      [
        [4, '2'],
        [5, 'stray line'],
      ],
    );
  });
});

describe('conda environment files', () => {
  const text = [
    'name: train',
    'channels:',
    '  - pytorch',
    '  - conda-forge',
    '  - http://conda.internal.invalid/ml',
    'dependencies:',
    '  - python=3.11',
    '  - pytorch=2.1.0',
    '  - pytorch==2.1.0',
    '  - pytorch>=2',
    '  - pytorch',
    '  - conda-forge::pytorch=2.1',
    '  - pytorch 2.1.0 py3.10_cuda11.8*',
    '  - pytorch=2.1.0=py310_0',
    '  - pytorch>=2.1,<2.3',
    '  - pytorch 2.1.*',
    '  - "pytorch[version=\'>=2.2\']"',
    '  - pytorch=2.0|2.1',
    '  - pytorch-cuda=12.1',
    '  - "numpy>=1.26"   # quoted',
    '  - pip',
    '  - pip:',
    '    - --extra-index-url http://pip.internal.invalid/simple',
    '    - transformers==4.44.2',
    '    - "torch>=2.6 ; sys_platform == \'linux\'"',
    '    - -r requirements.txt',
    '',
  ].join('\n');
  const m = parseManifest('environment.yml', text);

  test('conda match specs: pins, minimums, names, spans', () => {
    noErrors(m, text);
    assert.equal(m.kind, 'conda-environment');
    assert.deepEqual(
      m.dependencies.filter((d) => d.group !== 'pip').map((d) => [d.name, d.normalized, d.specifier, d.pin, d.minimum]),
      [
        ['python', 'python', '=3.11', 'bounded', '3.11'],
        ['pytorch', 'torch', '=2.1.0', 'pinned', '2.1.0'],
        ['pytorch', 'torch', '==2.1.0', 'pinned', '2.1.0'],
        ['pytorch', 'torch', '>=2', 'floating', '2'],
        ['pytorch', 'torch', '', 'floating', undefined],
        ['pytorch', 'torch', '=2.1', 'bounded', '2.1'],
        ['pytorch', 'torch', '2.1.0 py3.10_cuda11.8*', 'pinned', '2.1.0'],
        ['pytorch', 'torch', '=2.1.0=py310_0', 'pinned', '2.1.0'],
        ['pytorch', 'torch', '>=2.1,<2.3', 'bounded', '2.1'],
        ['pytorch', 'torch', '2.1.*', 'bounded', '2.1'],
        ['pytorch', 'torch', "[version='>=2.2']", 'floating', '2.2'],
        ['pytorch', 'torch', '=2.0|2.1', 'bounded', '2.0'],
        ['pytorch-cuda', 'pytorch-cuda', '=12.1', 'bounded', '12.1'],
        ['numpy', 'numpy', '>=1.26', 'floating', '1.26'],
        ['pip', 'pip', '', 'floating', undefined],
      ],
    );
    const cf = dep(m, 'pytorch', 4);
    assert.equal(cf.channel, 'conda-forge');
    assert.equal(slice(text, cf.span), 'conda-forge::pytorch=2.1');
    assert.equal(slice(text, cf.nameSpan), 'pytorch');
    assert.equal(slice(text, dep(m, 'numpy').span), 'numpy>=1.26');
    assert.equal(slice(text, dep(m, 'pytorch', 0).span), 'pytorch=2.1.0');
  });

  test('channels and the pip sub-list', () => {
    assert.deepEqual(
      m.indexOptions.map((o) => [o.option, o.value, o.insecure, slice(text, o.span)]),
      [
        ['channel', 'pytorch', false, 'pytorch'],
        ['channel', 'conda-forge', false, 'conda-forge'],
        ['channel', 'http://conda.internal.invalid/ml', true, 'http://conda.internal.invalid/ml'],
        ['channel', 'conda-forge', false, 'conda-forge'],
        ['extra-index-url', 'http://pip.internal.invalid/simple', true, 'http://pip.internal.invalid/simple'],
      ],
    );
    const pip = m.dependencies.filter((d) => d.group === 'pip');
    assert.deepEqual(
      pip.map((d) => [d.name, d.normalized, d.pin, d.minimum, d.marker]),
      [
        ['transformers', 'transformers', 'pinned', '4.44.2', undefined],
        ['torch', 'torch', 'floating', '2.6', "sys_platform == 'linux'"],
      ],
    );
    assert.equal(slice(text, pip[1].span), "torch>=2.6 ; sys_platform == 'linux'");
  });

  test('invalid YAML: one error at the parser position, no throw; other shapes are errors', () => {
    const bad = 'dependencies:\n  - pytorch\n  - [unclosed\n';
    const r = parseManifest('environment.yaml', bad);
    assert.equal(r.errors.length, 1);
    assert.deepEqual(r.dependencies, []);
    assert.ok(r.errors[0].span.line >= 2);
    assert.equal(parseManifest('environment.yml', '- a\n- b\n').errors.length, 1);
    assert.equal(parseManifest('environment.yml', '').errors.length, 0);
    const shapes = 'dependencies:\n  - =2.1\n  - pytorch 2.1 build extra\n  - {other: 1}\n  - pip: oops\n';
    const s = parseManifest('environment.yml', shapes);
    assert.deepEqual(
      s.errors.map((e) => [e.span.line, slice(shapes, e.span)]),
      [
        [1, '='],
        [2, 'extra'],
        [4, 'oops'],
      ],
    );
  });
});

describe('line ends, byte order marks and multi-line strings', () => {
  test('CRLF and a BOM give the same spans in every format', () => {
    const cases: [string, string, string][] = [
      ['requirements.txt', 'numpy==1\ntorch>=2.6 ; os_name == "nt"\n', 'torch>=2.6 ; os_name == "nt"'],
      ['pyproject.toml', '[project]\ndependencies = [\n  "numpy",\n  "torch>=2.6",\n]\n', 'torch>=2.6'],
      ['setup.cfg', '[options]\ninstall_requires =\n    numpy\n    torch>=2.6\n', 'torch>=2.6'],
      ['environment.yml', 'dependencies:\n  - numpy\n  - pip:\n    - torch>=2.6\n', 'torch>=2.6'],
    ];
    for (const [file, lf, expected] of cases) {
      for (const text of [lf, lf.replace(/\n/g, '\r\n'), `\uFEFF${lf}`, `\uFEFF${lf.replace(/\n/g, '\r\n')}`]) {
        const m = parseManifest(file, text);
        noErrors(m, text);
        const torch = dep(m, 'torch');
        assert.equal(slice(text, torch.span), expected, `${file} ${JSON.stringify(text.slice(0, 12))}`);
        assert.equal(slice(text, torch.nameSpan), 'torch');
        assert.equal(torch.minimum, '2.6');
      }
    }
  });

  test('TOML multi-line strings: a trimmed first newline and line-ending backslashes keep their positions', () => {
    const text = ['[project]', 'dependencies = [', '  """', 'torch\\', '    >=2.6""",', "  '''", "jax==0.4.30''',", ']', ''].join('\n');
    const m = parseManifest('pyproject.toml', text);
    noErrors(m, text);
    assert.deepEqual(facts(m), [
      ['torch', '>=2.6', 'floating', '2.6'],
      ['jax', '==0.4.30', 'pinned', '0.4.30'],
    ]);
    assert.equal(slice(text, dep(m, 'torch').span), 'torch\\\n    >=2.6');
    assert.equal(slice(text, dep(m, 'torch').nameSpan), 'torch');
    assert.equal(dep(m, 'torch').nameSpan.line, 3);
    assert.equal(slice(text, dep(m, 'jax').span), 'jax==0.4.30');
    assert.equal(dep(m, 'jax').span.line, 6);
  });
});

describe('notebook install commands', () => {
  const run = (c: string) => {
    const r = parsePipInstall(c);
    assert.ok(r, `not an install command: ${c}`);
    return r;
  };

  test('the launchers', () => {
    for (const c of [
      'pip install torch',
      'pip3 install torch',
      'pip3.11 install torch',
      '/opt/venv/bin/pip install torch',
      'python -m pip install torch',
      'python3 -m pip install torch',
      'python3.11 -u -m pip install torch',
      'py -m pip install torch',
      'uv pip install torch',
      'python -m uv pip install torch',
      'conda install torch',
      'mamba install -y torch',
      'micromamba install torch',
      'conda create -n env torch',
      'sudo -H pip install torch',
      'PIP_NO_CACHE_DIR=1 pip install torch',
      'pip -q --no-cache-dir install torch',
      '!pip install torch',
      '%pip install torch',
    ]) {
      assert.deepEqual(
        run(c).dependencies.map((d) => d.name),
        ['torch'],
        c,
      );
    }
    for (const c of ['ls -la', 'pip freeze', 'pip download torch', 'pip uninstall torch', 'python train.py', 'uv add torch', 'conda list', 'echo pip install torch', '']) {
      assert.equal(parsePipInstall(c), undefined, c);
    }
  });

  test('the example: options, quoting, an unquoted >, an insecure extra index', () => {
    const c = "pip install -U transformers>=4 'torch==2.6.0' --extra-index-url http://x";
    const r = run(c);
    assert.deepEqual(
      r.dependencies.map((d) => [d.name, d.specifier, d.pin, d.minimum, slice(c, d.span), d.span.line]),
      [
        ['transformers', '', 'floating', undefined, 'transformers', 0],
        ['torch', '==2.6.0', 'pinned', '2.6.0', 'torch==2.6.0', 0],
      ],
    );
    assert.deepEqual(
      r.indexOptions.map((o) => [o.option, o.value, o.insecure, slice(c, o.span)]),
      [['extra-index-url', 'http://x', true, 'http://x']],
    );
    // the shell reads `>=4` as a redirection: pip never sees the version
    assert.equal(r.errors.length, 1);
    assert.equal(slice(c, r.errors[0].span), '>=4');
    assert.match(r.errors[0].message, /redirection/);
  });

  test('quoting and escapes map back to the source', () => {
    const c = `python -m pip install "torch>=2.6" 'jax[cuda12]==0.4.30' numpy\\>=2 "trans"'formers'~=4.44 --index-url=https://pypi.org/simple`;
    const r = run(c);
    noErrors(r, c);
    assert.deepEqual(
      r.dependencies.map((d) => [d.name, d.specifier, d.pin, d.minimum, slice(c, d.span), slice(c, d.nameSpan)]),
      [
        ['torch', '>=2.6', 'floating', '2.6', 'torch>=2.6', 'torch'],
        ['jax', '==0.4.30', 'pinned', '0.4.30', 'jax[cuda12]==0.4.30', 'jax'],
        ['numpy', '>=2', 'floating', '2', 'numpy\\>=2', 'numpy'],
        ['transformers', '~=4.44', 'bounded', '4.44', `trans"'formers'~=4.44`, `trans"'formers`],
      ],
    );
    assert.deepEqual(
      r.indexOptions.map((o) => [o.option, slice(c, o.span)]),
      [['index-url', 'https://pypi.org/simple']],
    );
  });

  test('options: bundles, attached values, abbreviations, trusted hosts, editable, chains', () => {
    const c = 'pip install -Uq -ihttp://mirror.invalid/simple --trusted-host mirror.invalid -e git+https://github.com/o/r@main#egg=r --extra-index http://x/simple --no-deps torch && pip install "vllm==0.5.4" ; echo done';
    const r = run(c);
    noErrors(r, c);
    assert.deepEqual(
      r.dependencies.map((d) => [d.name, d.pin, d.editable ?? false]),
      [
        ['r', 'floating', true],
        ['torch', 'floating', false],
        ['vllm', 'pinned', false],
      ],
    );
    assert.deepEqual(
      r.indexOptions.map((o) => [o.option, o.value, o.insecure]),
      [
        ['index-url', 'http://mirror.invalid/simple', true],
        ['trusted-host', 'mirror.invalid', true],
        ['extra-index-url', 'http://x/simple', true],
      ],
    );
  });

  test('uv and conda options', () => {
    const u = 'uv pip install --index pt=http://pt.invalid/simple --allow-insecure-host pt.invalid --system torch==2.4.0';
    const ur = run(u);
    noErrors(ur, u);
    assert.deepEqual(
      ur.indexOptions.map((o) => [o.option, o.value, o.insecure, slice(u, o.span)]),
      [
        ['source', 'http://pt.invalid/simple', true, 'http://pt.invalid/simple'],
        ['trusted-host', 'pt.invalid', true, 'pt.invalid'],
      ],
    );
    const c = 'conda install -y -c http://conda.invalid/ch --channel conda-forge pytorch=2.1 "pytorch-cuda=12.1" nvidia::cuda-toolkit --insecure';
    const cr = run(c);
    noErrors(cr, c);
    assert.deepEqual(
      cr.dependencies.map((d) => [d.name, d.normalized, d.specifier, d.pin, d.minimum, slice(c, d.span)]),
      [
        ['pytorch', 'torch', '=2.1', 'bounded', '2.1', 'pytorch=2.1'],
        ['pytorch-cuda', 'pytorch-cuda', '=12.1', 'bounded', '12.1', 'pytorch-cuda=12.1'],
        ['cuda-toolkit', 'cuda-toolkit', '', 'floating', undefined, 'nvidia::cuda-toolkit'],
      ],
    );
    assert.deepEqual(
      cr.indexOptions.map((o) => [o.option, o.value, o.insecure, slice(c, o.span)]),
      [
        ['channel', 'http://conda.invalid/ch', true, 'http://conda.invalid/ch'],
        ['channel', 'conda-forge', false, 'conda-forge'],
        ['channel', 'nvidia', false, 'nvidia'],
        ['trusted-host', '', true, '--insecure'],
      ],
    );
  });

  test('expansions, invalid requirements and unterminated quotes are errors', () => {
    const c = 'pip install torch=={TORCH} "jax>=$JAX_MIN" numpy== "unterminated';
    const r = run(c);
    assert.deepEqual(r.dependencies, []);
    assert.deepEqual(
      r.errors.map((e) => slice(c, e.span)),
      ['torch=={TORCH}', 'jax>=$JAX_MIN', '', '"unterminated'],
    );
  });

  test('-r and -c of pip and uv commands are references with spans; conda -c is a channel; expanded paths are errors', () => {
    const c = 'pip install -c constraints.txt -r "reqs/gpu reqs.txt" --constraint=c2.txt torch && uv pip install --constraints uv-c.txt --requirements uv-r.txt --override o.txt jax';
    const r = run(c);
    noErrors(r, c);
    assert.deepEqual(
      r.references.map((x) => [x.option, x.path, slice(c, x.span)]),
      [
        ['constraint', 'constraints.txt', 'constraints.txt'],
        ['requirement', 'reqs/gpu reqs.txt', 'reqs/gpu reqs.txt'],
        ['constraint', 'c2.txt', 'c2.txt'],
        ['constraint', 'uv-c.txt', 'uv-c.txt'],
        ['requirement', 'uv-r.txt', 'uv-r.txt'],
      ],
    );
    assert.deepEqual(r.dependencies.map((d) => d.name), ['torch', 'jax']);
    assert.deepEqual(run('conda install -c conda-forge --file reqs.txt pytorch').references, []);
    const e = '%pip install -r $REQS -c {pins} torch';
    const er = run(e);
    assert.deepEqual(er.references, []);
    assert.deepEqual(er.errors.map((x) => slice(e, x.span)), ['$REQS', '{pins}']);
  });

  test('multi-line commands: spans on later lines', () => {
    const c = 'pip install \\\n  torch==2.6.0 \\\n  transformers';
    const r = run(c);
    assert.deepEqual(
      r.dependencies.map((d) => [d.name, d.span.line, slice(c, d.span)]),
      [
        ['torch', 1, 'torch==2.6.0'],
        ['transformers', 2, 'transformers'],
      ],
    );
  });
});

describe('versions', () => {
  test('PEP 440 ordering', () => {
    const ordered = ['1.0.dev0', '1.0a1.dev1', '1.0a1', '1.0a2', '1.0b1', '1.0rc1', '1.0', '1.0+abc', '1.0+abc.5', '1.0+5', '1.0.post1.dev1', '1.0.post1', '1.0.1', '1.1.dev1', '1.1', '1.10', '2.0', '1!0.1'];
    for (let i = 0; i < ordered.length; i++)
      for (let j = 0; j < ordered.length; j++) assert.equal(compareVersions(ordered[i], ordered[j]), Math.sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
    for (const [a, b] of [
      ['1.0', '1.0.0'],
      ['v1.0', '1.0'],
      ['1.0alpha1', '1.0a1'],
      ['1.0-beta.2', '1.0b2'],
      ['1.0c1', '1.0rc1'],
      ['1.0-1', '1.0.post1'],
      ['1.0.post', '1.0.post0'],
      ['01.002', '1.2'],
      ['1.0+ABC', '1.0+abc'],
    ])
      assert.equal(compareVersions(a, b), 0, `${a} == ${b}`);
    assert.equal(compareVersions('100000000000000000000001', '100000000000000000000000'), 1);
    // not PEP 440 (conda builds): still a total order, by runs of digits
    assert.equal(compareVersions('1.2.3_2', '1.2.3_10'), -1);
    assert.equal(compareVersions('2021.10', '2021.9'), 1);
  });

  test('minimum: the lowest version a requirement allows', () => {
    const min = (r: string) => parseManifest('requirements.txt', r).dependencies[0]?.minimum;
    assert.equal(min('torch>=2.6'), '2.6');
    assert.equal(min('torch~=2.5.1'), '2.5.1');
    assert.equal(min('torch==2.6.0'), '2.6.0');
    assert.equal(min('torch>2.6'), '2.6');
    assert.equal(min('torch<3'), undefined);
    assert.equal(min('torch!=2.0'), undefined);
    assert.equal(min('torch'), undefined);
    assert.equal(min('torch>=2.10,>=2.9'), '2.10');
    assert.equal(min('torch @ https://x.invalid/torch-2.6.0.whl'), undefined);
  });
});

describe('packages, kinds and lock files', () => {
  test('the model-ecosystem set', () => {
    for (const n of ['torch', 'torchvision', 'tensorflow', 'tensorflow-cpu', 'tensorflow-intel', 'tf-keras', 'keras', 'jax', 'transformers', 'huggingface-hub', 'safetensors', 'onnxruntime-gpu', 'scikit-learn', 'joblib', 'langchain', 'langchain-openai', 'llama-index-core', 'openai', 'anthropic', 'vllm', 'gradio', 'mlflow', 'ray', 'ultralytics', 'spacy'])
      assert.ok(isModelEcosystemPackage(n), n);
    for (const n of ['numpy', 'pandas', 'requests', 'flask', 'fastapi', 'scipy', 'pytest', 'streamlit', 'setuptools', 'torchx-not-real']) assert.ok(!isModelEcosystemPackage(n), n);
    assert.ok(isModelEcosystemPackage(normalizeName('Hugging_Face.Hub'.replace('Face.', 'face-').replace('Hugging_face-', 'huggingface-'))));
    assert.equal(normalizeName('Sentence__Transformers.X'), 'sentence-transformers-x');
    assert.equal(condaNormalizedName('pytorch'), 'torch');
    assert.equal(condaNormalizedName('pytorch-cuda'), 'pytorch-cuda');
    assert.equal(condaNormalizedName('py-xgboost'), 'xgboost');
  });

  test('manifestKindOf', () => {
    const kinds: [string, string | undefined][] = [
      ['requirements.txt', 'requirements'],
      ['requirements-dev.txt', 'requirements'],
      ['dev-requirements.in', 'requirements'],
      ['Requirements.TXT', 'requirements'],
      ['constraints.txt', 'requirements'],
      ['requirements/base.in', 'requirements'],
      ['a/requirements/prod.txt', 'requirements'],
      ['MANIFEST.in', undefined],
      ['setup.in', undefined],
      ['notes.txt', undefined],
      ['requirements.lock', undefined],
      ['sub/pyproject.toml', 'pyproject'],
      ['C:\\proj\\setup.cfg', 'setup-cfg'],
      ['environment.yml', 'conda-environment'],
      ['environment.yaml', 'conda-environment'],
      ['environment-gpu.yml', 'conda-environment'],
      ['conda.yaml', 'conda-environment'],
      ['conda-lock.yml', undefined],
      ['Cargo.toml', undefined],
    ];
    for (const [p, k] of kinds) assert.equal(manifestKindOf(p), k, p);
  });

  test('lockFileIn: by name, in order, and pip-compile output by content', () => {
    const none = () => undefined;
    assert.deepEqual([...LOCK_FILE_NAMES].slice(0, 6), ['poetry.lock', 'uv.lock', 'pdm.lock', 'Pipfile.lock', 'requirements.lock', 'conda-lock.yml']);
    assert.equal(lockFileIn(['pyproject.toml', 'uv.lock', 'poetry.lock'], none), 'poetry.lock');
    assert.equal(lockFileIn(['environment.yml', 'conda-lock.yml'], none), 'conda-lock.yml');
    assert.equal(lockFileIn(['conda-linux-64.lock'], none), 'conda-linux-64.lock');
    assert.equal(lockFileIn(['sub/Pipfile.lock'], none), 'sub/Pipfile.lock');
    const files: Record<string, string> = {
      'requirements.in': 'torch>=2\n',
      'requirements.txt': 'torch==2.3.1 \\\n    --hash=sha256:00aa\n    # via -r requirements.in\n',
      'requirements-dev.txt': 'pytest==8.0.0\n',
      'README.md': '--hash everywhere',
    };
    const read = (n: string) => files[n];
    const asked: string[] = [];
    assert.equal(
      lockFileIn(Object.keys(files), (n) => {
        asked.push(n);
        return read(n);
      }),
      'requirements.txt',
    );
    assert.ok(!asked.includes('README.md'));
    assert.equal(lockFileIn(['requirements-dev.txt', 'requirements.in', 'setup.py'], read), undefined);
    assert.equal(lockFileIn(['requirements.txt'], () => undefined), undefined);
    assert.equal(
      lockFileIn(['requirements.txt'], () => {
        throw new Error('unreadable');
      }),
      undefined,
    );
  });
});

describe('fuzz (seeded): parsers never throw and spans stay inside the text', () => {
  const SUITE = 'manifests';
  const samples: [string, string][] = [
    ['requirements.txt', 'torch==2.6.0 --hash=sha256:00\n-e git+https://x.invalid/r@main#egg=r\n--extra-index-url http://x\ntransformers \\\n  >=4 ; python_version >= "3.9"\n# c\n${A}==1\n-c "c.txt"\n--requirement=base.txt\n'],
    ['pyproject.toml', '[project]\nname = "x"\ndependencies = ["torch>=2", \'a[b]==1 ; os_name == "nt"\']\n[tool.poetry.dependencies]\nnumpy = "^1.2"\nx = { git = "https://g.invalid/x", rev = "abc" }\n[[tool.poetry.source]]\nurl = "http://p.invalid"\n'],
    ['setup.cfg', '[metadata]\nname = x\n[options]\ninstall_requires =\n    torch>=2\n    numpy\n[options.extras_require]\ngpu = a; b\n'],
    ['environment.yml', 'channels:\n  - http://c.invalid\ndependencies:\n  - pytorch=2.1\n  - conda-forge::numpy>=1\n  - pip:\n    - torch==2.6.0\n    - --trusted-host x\n'],
  ];
  const commands = ["pip install -U 'torch==2.6.0' transformers>=4 --extra-index-url http://x -c 'c.txt'", 'conda install -c http://c pytorch=2.1 && uv pip install "jax>=0.4" -r r.txt'];
  const alphabet = ['\n', '\r', '\r\n', ' ', '\t', '\\', '#', '"', "'", '[', ']', '{', '}', '=', '==', '>=', ';', ',', '@', ':', '::', '-', '--', '$', '${X}', '|', '*', '.', '\u0000', '\uFEFF', '\uD800', '😀', 'é', '(', ')', '&&', '>', '<', '`', '- pip:', '[[', ']]', '"""', "'''", 'torch'];

  function checkSpans(text: string, spans: Span[]): void {
    const starts = lineStarts(text);
    for (const s of spans) {
      assert.ok(s.line >= 0 && s.line < starts.length, `line ${s.line} of ${starts.length}`);
      assert.ok(s.endLine >= s.line && s.endLine < starts.length, `endLine ${s.endLine}`);
      const a = starts[s.line] + s.character;
      const b = starts[s.endLine] + s.endCharacter;
      assert.ok(s.character >= 0 && a <= text.length, 'start inside the text');
      assert.ok(b >= a && b <= text.length, 'end after start, inside the text');
    }
  }

  function spansOf(r: { dependencies: ManifestDependency[]; indexOptions: { span: Span }[]; errors: { span: Span }[]; references?: { span: Span }[] }): Span[] {
    return [...r.dependencies.flatMap((d) => [d.span, d.nameSpan]), ...r.indexOptions.map((o) => o.span), ...r.errors.map((e) => e.span), ...(r.references ?? []).map((x) => x.span)];
  }

  function mutate(rng: Rng, text: string): string {
    let t = text;
    const edits = rng.range(1, 8);
    for (let k = 0; k < edits; k++) {
      const at = rng.int(t.length + 1);
      switch (rng.int(5)) {
        case 0:
          t = t.slice(0, at) + rng.pick(alphabet) + t.slice(at);
          break;
        case 1:
          t = t.slice(0, at) + t.slice(at + rng.range(1, 6));
          break;
        case 2: {
          const from = rng.int(t.length + 1);
          t = t.slice(0, at) + t.slice(from, from + rng.range(1, 30)) + t.slice(at);
          break;
        }
        case 3:
          t = t.slice(0, at) + String.fromCharCode(rng.int(0x10000)) + t.slice(at + 1);
          break;
        default: {
          const lines = t.split('\n');
          lines.splice(rng.int(lines.length), 0, rng.pick(lines));
          t = lines.join('\n');
        }
      }
    }
    return t;
  }

  function attempt(name: string, iteration: number, seed: number, input: string, run: () => void): void {
    try {
      run();
    } catch (e) {
      const file = recordFailure(SUITE, name, iteration, seed, input, e);
      assert.fail(`${name} #${iteration} (seed ${seed}) failed: ${e instanceof Error ? e.message : String(e)}; input in ${file}`);
    }
  }

  test('mutated manifests and commands', () => {
    for (const { iteration, seed } of seedsFor(SUITE, 'mutated', 300)) {
      const rng = new Rng(seed);
      const [file, sample] = rng.pick(samples);
      const text = mutate(rng, sample);
      attempt('mutated', iteration, seed, text, () => {
        const m = parseManifest(file, text);
        checkSpans(text, spansOf(m));
      });
      const command = mutate(rng, rng.pick(commands));
      attempt('mutated-command', iteration, seed, command, () => {
        const r = parsePipInstall(command);
        if (r) checkSpans(command, spansOf(r));
      });
    }
  });

  test('random bytes as every kind of manifest', () => {
    for (const { iteration, seed } of seedsFor(SUITE, 'bytes', 60)) {
      const rng = new Rng(seed);
      const bytes = rng.bytes(rng.range(0, 2000));
      const text = rng.chance(0.5) ? Buffer.from(bytes).toString('utf8') : Buffer.from(bytes).toString('latin1');
      attempt('bytes', iteration, seed, text, () => {
        for (const [file] of samples) checkSpans(text, spansOf(parseManifest(file, text)));
        const r = parsePipInstall(`pip install ${text}`);
        if (r) checkSpans(`pip install ${text}`, spansOf(r));
      });
    }
  });

  test('pathological inputs finish within the robustness bound', () => {
    const n = 200_000;
    const cases: [string, string][] = [
      ['requirements.txt', 'a'.repeat(n) + '!'],
      ['requirements.txt', `torch; ${'('.repeat(n)}`],
      ['requirements.txt', `${'x \\\n'.repeat(n / 4)}`],
      ['requirements.txt', `a${' '.repeat(n)}b`],
      ['requirements.txt', `https://x/${'a-'.repeat(n / 2)}`],
      ['pyproject.toml', `a = ${'['.repeat(5000)}${']'.repeat(5000)}`],
      ['pyproject.toml', `[project]\ndependencies = ["${'a'.repeat(n)}>=1"]`],
      ['setup.cfg', `[options]\ninstall_requires = a${' '.repeat(n)}b`],
      ['environment.yml', `dependencies:\n${'  - [\n'.repeat(2000)}`],
      ['environment.yml', `dependencies:\n  - "${'p'.repeat(n)}[version=${' '.repeat(n)}"`],
    ];
    for (const [file, text] of cases) {
      const before = process.cpuUsage();
      const m = parseManifest(file, text);
      const used = process.cpuUsage(before);
      checkSpans(text, spansOf(m));
      const ms = (used.user + used.system) / 1000;
      assert.ok(ms < cpuBoundMs(text.length), `${file} (${text.slice(0, 20)}...): ${ms.toFixed(0)} ms`);
    }
    for (const c of [`pip install ${'{'.repeat(n)}`, `pip install ${'a>'.repeat(n / 2)}`, `pip install ${'"'.repeat(n)}`, `pip install ${'-'.repeat(n)}`]) {
      const before = process.cpuUsage();
      const r = parsePipInstall(c);
      const used = process.cpuUsage(before);
      if (r) checkSpans(c, spansOf(r));
      const ms = (used.user + used.system) / 1000;
      assert.ok(ms < cpuBoundMs(c.length), `${c.slice(0, 20)}...: ${ms.toFixed(0)} ms`);
    }
  });
});
