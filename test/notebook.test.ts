/**
 * Jupyter notebooks, the pure module (server/src/notebook): nbformat 4 reading, IPython syntax masking (every form,
 * line numbers kept, the result compiled with `python3 -m py_compile`), the program's position map, and analysis
 * across cells with findings, fixes and suppressions in cell coordinates.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits } from '../server/src/engine/edits';
import { analyze, initEngine } from '../server/src/engine/analyze';
import type { Finding } from '../server/src/engine/types';
import { commandSuppression } from '../server/src/notebook/analyze';
import {
  analyzeCells,
  analyzeNotebook,
  analyzeNotebookBytes,
  buildProgram,
  cellMagicBody,
  isNotebookPath,
  maskMagics,
  parseNotebook,
  stripShellComment,
  type NotebookCell,
} from '../server/src/notebook';
import { DEFAULT_SETTINGS } from '../server/src/shared/settings';
import { pyCompileError } from './helpers';

before(async () => {
  await initEngine();
});

/** A notebook's JSON from cells given as `[type, source]`, with optional top-level metadata. */
function notebook(cells: Array<[string, string | string[]]>, metadata: Record<string, unknown> = { kernelspec: { name: 'python3', language: 'python' } }): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata,
    cells: cells.map(([cell_type, source], i) => ({ id: `c${i}`, cell_type, source, metadata: {}, ...(cell_type === 'code' ? { outputs: [], execution_count: null } : {}) })),
  });
}

const code = (source: string): NotebookCell => ({ kind: 'code', source });
const md = (source: string): NotebookCell => ({ kind: 'markdown', source });
const lineCount = (s: string) => s.split('\n').length;
const ids = (fs: Finding[]) => fs.map((f) => f.ruleId);

describe('parseNotebook', () => {
  test('nbformat 4: string and list sources, cell kinds, the language from kernelspec', () => {
    const r = parseNotebook(notebook([['code', ['import torch\n', 'x = 1']], ['markdown', '# Title'], ['raw', ['raw\n']], ['code', 'y = 2\n']]));
    assert.ok(r.ok);
    assert.equal(r.language, 'python');
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(
      r.cells.map((c) => [c.kind, c.source]),
      [
        ['code', 'import torch\nx = 1'],
        ['markdown', '# Title'],
        ['raw', 'raw\n'],
        ['code', 'y = 2\n'],
      ],
    );
  });

  test('the language: kernelspec.language, else language_info.name, else python', () => {
    const lang = (metadata: Record<string, unknown>) => {
      const r = parseNotebook(notebook([['code', 'x']], metadata));
      assert.ok(r.ok);
      return r.language;
    };
    assert.equal(lang({ kernelspec: { language: 'R' } }), 'r');
    assert.equal(lang({ language_info: { name: 'julia' } }), 'julia');
    assert.equal(lang({ kernelspec: { language: 'python' }, language_info: { name: 'R' } }), 'python');
    assert.equal(lang({}), 'python');
    assert.equal(lang({ kernelspec: 'nonsense' }), 'python');
  });

  test("a cell's own language (VS Code's metadata.vscode.languageId) is kept", () => {
    const json = JSON.stringify({ nbformat: 4, metadata: {}, cells: [{ cell_type: 'code', source: 'ls', metadata: { vscode: { languageId: 'shellscript' } } }] });
    const r = parseNotebook(json);
    assert.ok(r.ok);
    assert.equal(r.cells[0].language, 'shellscript');
  });

  test('a byte-order mark is ignored', () => {
    assert.ok(parseNotebook(`\ufeff${notebook([['code', 'x = 1']])}`).ok);
  });

  for (const [name, text, pattern] of [
    ['invalid JSON', '{"cells": [', /not valid JSON/],
    ['an empty file', '', /not valid JSON/],
    ['a JSON array', '[]', /not a JSON object/],
    ['a JSON number', '42', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['no cells', '{"nbformat": 4, "metadata": {}}', /no `cells` list/],
    ['cells that are not a list', '{"nbformat": 4, "cells": {"a": 1}}', /no `cells` list/],
    ['nbformat 3', JSON.stringify({ nbformat: 3, worksheets: [{ cells: [{ cell_type: 'code', input: 'x' }] }] }), /nbformat 3.*nbconvert/],
    ['worksheets without a version', JSON.stringify({ worksheets: [] }), /nbformat 3/],
  ] as const) {
    test(`${name}: ok:false with a clear message`, () => {
      const r = parseNotebook(text);
      assert.equal(r.ok, false);
      assert.match((r as { message: string }).message, pattern);
    });
  }

  test('malformed cells are skipped with a warning each and keep their place; the others are read', () => {
    const json = JSON.stringify({
      nbformat: 4,
      metadata: {},
      cells: [
        { cell_type: 'code', source: 'a = 1' },
        { cell_type: 'code', source: 42 },
        { cell_type: 'code', source: ['x', 3] },
        'not a cell',
        { cell_type: 'code' },
        { source: 'no type' },
        { cell_type: 'heading', source: 'v3 heading' },
        { cell_type: 'markdown', source: 7 },
        { cell_type: 'code', source: ['b = 2'] },
      ],
    });
    const r = parseNotebook(json);
    assert.ok(r.ok);
    assert.equal(r.cells.length, 9);
    assert.deepEqual(
      r.cells.map((c) => !!c.skipped),
      [false, true, true, true, true, true, false, false, false],
    );
    assert.deepEqual(r.warnings, [
      'cell 2 was not analysed: its `source` is not a string or a list of strings',
      'cell 3 was not analysed: its `source` is not a string or a list of strings',
      'cell 4 was not analysed: it is not a JSON object',
      'cell 5 was not analysed: it has no `source`',
      'cell 6 was not analysed: its `cell_type` is missing or not a string',
    ]);
    assert.equal(r.cells[8].source, 'b = 2');
  });
});

describe('maskMagics', () => {
  /** [name, cell, expected masked python, expected commands as [text, via, line, character]] */
  const cases: Array<[string, string, string, Array<[string, 'shell' | 'magic', number, number]>]> = [
    ['!cmd', '!pip install torch', 'pass', [['pip install torch', 'shell', 0, 1]]],
    ['! cmd with space', '!  wget http://x/m.bin', 'pass', [['wget http://x/m.bin', 'shell', 0, 3]]],
    ['!!cmd', '!!ls -la', 'pass', [['ls -la', 'shell', 0, 2]]],
    ['%pip with a trailing comment', '%pip install -q numpy  # pin later', 'pass', [['pip install -q numpy', 'magic', 0, 1]]],
    ['%conda', '%conda install -y pytorch', 'pass', [['conda install -y pytorch', 'magic', 0, 1]]],
    ['%mamba', '%mamba install torch', 'pass', [['mamba install torch', 'magic', 0, 1]]],
    ['%sx', '%sx curl -O http://h/x', 'pass', [['curl -O http://h/x', 'shell', 0, 4]]],
    ['%system', '%system wget x', 'pass', [['wget x', 'shell', 0, 8]]],
    ['other line magics: masked, nothing collected', '%matplotlib inline\n%load_ext autoreload\n%cd /tmp\n%env A=1', 'pass\npass\npass\npass', []],
    ['x = !cmd', 'files = !ls -la', 'files = ...', [['ls -la', 'shell', 0, 9]]],
    ['x = !!cmd', 'out = !!pwd', 'out = ...', [['pwd', 'shell', 0, 8]]],
    ['x = %sx', 'r = %sx find .', 'r = ...', [['find .', 'shell', 0, 8]]],
    ['x = %pip', 'r = %pip list', 'r = ...', [['pip list', 'magic', 0, 5]]],
    ['x = %magic', 'w = %who_ls', 'w = ...', []],
    ['tuple target', 'a, b = !echo 1 2', 'a, b = ...', [['echo 1 2', 'shell', 0, 8]]],
    ['annotated target', 'xs: list = !ls', 'xs: list = ...', [['ls', 'shell', 0, 12]]],
    ['comparison is not an assignment', 'ok = a == b', 'ok = a == b', []],
    ['indented in a block', 'for f in fs:\n    !rm $f\n    %cd ..\nx = 1', 'for f in fs:\n    pass\n    pass\nx = 1', [['rm $f', 'shell', 1, 5]]],
    ['%time keeps the statement at its column', '%time y = torch.load(p)', 'if 1: y = torch.load(p)', []],
    ['%timeit options are masked', '%timeit -n 10 -r 3 f(x)', 'if 1:              f(x)', []],
    ['%timeit attached option value', '%timeit -n10 f(x)', 'if 1:        f(x)', []],
    ['%prun', '%prun -s cumulative main()', `${'if 1:'.padEnd(20)}main()`, []],
    ['%time of a compound statement: masked', '%time for i in x: f(i)', 'pass', []],
    ['%time with nothing', '%time', 'pass', []],
    ['indented %time', 'if a:\n    %time b = f()', 'if a:\n    if 1: b = f()', []],
    ['help: obj?', 'torch.load?', 'pass', []],
    ['help: obj??', 'torch.load??', 'pass', []],
    ['help: ?obj', '?torch.load', 'pass', []],
    ['help: ??obj', '??torch', 'pass', []],
    ['help: %pinfo', '%pinfo torch', 'pass', []],
    ['a question mark in a comment or string is Python', 'x = 1  # why?\ns = "what?"', 'x = 1  # why?\ns = "what?"', []],
    ['autocall', '/print 1 2\n,f a b\n;g x', 'pass\npass\npass', []],
    ['automagic pip', 'pip install requests==2.0', 'pass', [['pip install requests==2.0', 'magic', 0, 0]]],
    ['automagic conda', 'conda install numpy', 'pass', [['conda install numpy', 'magic', 0, 0]]],
    ['a variable named pip is Python', 'pip = 3\npip in x\npip.main(["install", "x"])', 'pip = 3\npip in x\npip.main(["install", "x"])', []],
    [
      'docstrings and strings are left alone',
      's = """\n!not a command\n%not a magic\nobj?\n"""\nt = \'\'\'\n!x\n\'\'\'',
      's = """\n!not a command\n%not a magic\nobj?\n"""\nt = \'\'\'\n!x\n\'\'\'',
      [],
    ],
    ['% as modulo on a bracket continuation line', 'z = (a\n     % b)\nw = [1,\n!x]', 'z = (a\n     % b)\nw = [1,\n!x]', []],
    ['% after a backslash continuation', 'z = a \\\n    % b', 'z = a \\\n    % b', []],
    ['backslash-continued !cmd', '!pip install \\\n    torch \\\n    numpy\nx = 1', 'pass\n\n\nx = 1', [['pip install torch numpy', 'shell', 0, 1]]],
    ['backslash-continued %pip', '%pip install \\\n  torch', 'pass\n', [['pip install torch', 'magic', 0, 1]]],
    ['comments that look like magics', '# !pip install x\n# %time', '# !pip install x\n# %time', []],
    ['CRLF line endings are kept', '!ls\r\nx = 1\r\n%pip install a\r\n', 'pass\r\nx = 1\r\npass\r\n', [['ls', 'shell', 0, 1], ['pip install a', 'magic', 2, 1]]],
    ['%%bash: every line a command, the cell emptied', '%%bash\npip install x\n  echo hi # greet\n\n# a comment\nwget \\\n  http://h/f', '\n\n\n\n\n\n', [
      ['pip install x', 'shell', 1, 0],
      ['echo hi', 'shell', 2, 2],
      ['wget http://h/f', 'shell', 5, 0],
    ]],
    ['%%sh after blank lines', '\n%%sh\ncurl x', '\n\n', [['curl x', 'shell', 2, 0]]],
    ['%%script bash', '%%script bash\nls', '\n', [['ls', 'shell', 1, 0]]],
    ['%%script python3: the body is Python', '%%script python3\nimport os\n!ls', '\nimport os\npass', [['ls', 'shell', 2, 1]]],
    ['%%time: the body is Python, magics in it masked', '%%time\nimport torch\n!nvidia-smi\nm = torch.load(p)', '\nimport torch\npass\nm = torch.load(p)', [['nvidia-smi', 'shell', 2, 1]]],
    ['%%timeit with options', '%%timeit -n 3\nf()', '\nf()', []],
    ['%%capture', '%%capture out\n%pip install x\nimport x', '\npass\nimport x', [['pip install x', 'magic', 1, 1]]],
    ['%%writefile: not analysed', '%%writefile train.py\nimport torch\ntorch.load(p)', '\n\n', []],
    ['%%html: not analysed', '%%html\n<b>hi</b>\n    <i>x</i>', '\n\n', []],
    ['%%javascript: not analysed', '%%javascript\nalert(1)', '\n', []],
    ['%%sql: not analysed', '%%sql\nSELECT 1', '\n', []],
    ['%% in the middle of a cell', 'x = 1\n%%bash\nls', 'x = 1\npass\nls', []],
    ['an unterminated string ends with its line', 's = "abc\n!ls', 's = "abc\npass', [['ls', 'shell', 1, 1]]],
    ['plain Python is unchanged', 'import torch\n\ndef f(x):\n    return x % 2\n', 'import torch\n\ndef f(x):\n    return x % 2\n', []],
  ];

  for (const [name, cell, python, commands] of cases) {
    test(name, () => {
      const m = maskMagics(cell);
      assert.equal(m.python, python);
      assert.equal(lineCount(m.python), lineCount(cell), 'the line count is kept');
      assert.deepEqual(
        m.commands.map((c) => [c.text, c.via, c.line, c.character]),
        commands,
      );
      // Every command's text starts where it says (a continuation only joins what follows).
      const lines = cell.split('\n');
      for (const c of m.commands) assert.ok(lines[c.line].slice(c.character).startsWith(c.text.split(' ')[0]), `${c.text} at ${c.line}:${c.character}`);
    });
  }

  test('lines that are kept keep every column', () => {
    const cell = 'import torch\n!ls\nif x:\n    %cd ..\n    y = torch.load(p)  # é😀\n';
    const m = maskMagics(cell);
    const before = cell.split('\n');
    const after = m.python.split('\n');
    for (const i of [0, 2, 4, 5]) assert.equal(after[i], before[i]);
    assert.deepEqual(
      m.masked.map((s) => [s.line, s.from, s.to]),
      [
        [1, 0, Infinity],
        [3, 0, Infinity],
      ],
    );
  });

  test('the masked cells compile with python3 -m py_compile', () => {
    // Not the cases that are not Python whatever is masked (an unterminated string, `!x` inside brackets).
    const cells = cases.map(([, cell]) => cell).filter((c) => !c.includes('"abc') && !c.includes('!x]') && !c.includes('%%'));
    const all = cells.map((c) => maskMagics(c).python).join('\n');
    // The cases reuse names freely; compiling checks syntax only.
    assert.equal(pyCompileError(all, 'masked.py'), undefined);
    const magicCells = ['%%time\nimport torch\n!ls\nx = 1', '%%bash\nls\n  indented\n', '%%capture out\nif a:\n    !ls', '%%writefile f.py\n  weird indent\n'];
    for (const c of magicCells) assert.equal(pyCompileError(maskMagics(c).python, 'cellmagic.py'), undefined, c);
  });

  test('cellMagicBody decides per magic', () => {
    assert.equal(cellMagicBody('%%time'), 'python');
    assert.equal(cellMagicBody('%%capture --no-stderr out'), 'python');
    assert.equal(cellMagicBody('%%bash'), 'shell');
    assert.equal(cellMagicBody('%%!'), 'shell');
    assert.equal(cellMagicBody('%%script --bg /bin/zsh'), 'shell');
    assert.equal(cellMagicBody('%%script python'), 'python');
    assert.equal(cellMagicBody('%%script perl'), 'other');
    assert.equal(cellMagicBody('%%writefile x.py'), 'other');
    assert.equal(cellMagicBody('%%R'), 'other');
  });

  test('stripShellComment keeps quoted # and words with # in them', () => {
    assert.equal(stripShellComment('pip install x  # later'), 'pip install x');
    assert.equal(stripShellComment('echo "a # b"'), 'echo "a # b"');
    assert.equal(stripShellComment("echo 'a # b' # c"), "echo 'a # b'");
    assert.equal(stripShellComment('curl http://h/#frag'), 'curl http://h/#frag');
  });
});

describe('buildProgram: the position map', () => {
  const cells: NotebookCell[] = [
    code('import torch\nx = 1'),
    md('# not code\nat all'),
    code('!ls\n\ny = torch.load(p)\n'),
    { kind: 'raw', source: 'raw' },
    code(''),
    { kind: 'code', source: 'ls -la', language: 'shellscript' },
    { kind: 'code', source: 'bad', skipped: 'malformed' },
    code('z = 3'),
  ];
  const program = buildProgram(cells);

  test('Python code cells only, in order, one line break between them, numbered among all cells', () => {
    assert.deepEqual(
      program.spans.map((s) => [s.cell, s.start, s.lines]),
      [
        [1, 0, 2],
        [3, 2, 4],
        [5, 6, 1],
        [8, 7, 1],
      ],
    );
    assert.equal(program.text, 'import torch\nx = 1\npass\n\ny = torch.load(p)\n\n\nz = 3');
    assert.deepEqual(
      program.commands.map((c) => [c.cell, c.line, c.character, c.text]),
      [[3, 0, 1, 'ls']],
    );
  });

  test('every cell position maps to the program and back', () => {
    cells.forEach((cell, i) => {
      const n = i + 1;
      const lines = cell.source.split('\n');
      lines.forEach((line, l) => {
        for (let ch = 0; ch <= line.length; ch++) {
          const p = program.toProgram(n, { line: l, character: ch });
          if (!program.spans.some((s) => s.cell === n)) {
            assert.equal(p, undefined);
            continue;
          }
          assert.ok(p, `cell ${n} ${l}:${ch}`);
          assert.deepEqual(program.toCell(p), { cell: n, position: { line: l, character: ch } });
        }
      });
      assert.equal(program.toProgram(n, { line: lines.length, character: 0 }), undefined);
    });
    assert.equal(program.toCell({ line: 99, character: 0 }), undefined);
  });

  test('ranges: inside one cell mapped, across cells refused, a trailing line break clamped to its cell', () => {
    assert.deepEqual(program.rangeToCell({ start: { line: 4, character: 4 }, end: { line: 4, character: 17 } }), {
      cell: 3,
      range: { start: { line: 2, character: 4 }, end: { line: 2, character: 17 } },
    });
    assert.equal(program.rangeToCell({ start: { line: 1, character: 0 }, end: { line: 2, character: 1 } }), undefined);
    // Ends at the start of cell 3's first line: clamped to the end of cell 1's last line.
    assert.deepEqual(program.rangeToCell({ start: { line: 1, character: 0 }, end: { line: 2, character: 0 } }), {
      cell: 1,
      range: { start: { line: 1, character: 0 }, end: { line: 1, character: 5 } },
    });
  });

  test('masked text is known', () => {
    assert.ok(program.isMasked({ line: 2, character: 0 }));
    assert.ok(!program.isMasked({ line: 4, character: 0 }));
    assert.ok(program.touchesMasked({ start: { line: 2, character: 1 }, end: { line: 2, character: 2 } }));
    assert.ok(!program.touchesMasked({ start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }));
  });

  test('the program compiles with python3 -m py_compile', () => {
    assert.equal(pyCompileError(program.text, 'program.py'), undefined);
  });
});

describe('analyzeNotebook', () => {
  test('done when: `import torch` in cell 1, `torch.load(path)` in cell 3 → SAI202 in cell 3 at its cell position; the fix edits cell 3', () => {
    const cell3 = 'path = "model.pt"\nstate = torch.load(path)\n';
    const r = analyzeNotebook(notebook([['code', 'import torch\n'], ['markdown', '## Load the model'], ['code', cell3]]), 'nb.ipynb');
    assert.deepEqual(r.notices, []);
    const f = r.findings.find((x) => x.ruleId === 'SAI202');
    assert.ok(f, JSON.stringify(r.findings));
    assert.equal(f.cell, 3);
    assert.deepEqual(f.range, { start: { line: 1, character: 8 }, end: { line: 1, character: 24 } });
    assert.ok(f.fix);
    const fixed = applyEdits(cell3, f.fix.edits);
    assert.equal(fixed, 'path = "model.pt"\nstate = torch.load(path, weights_only=True)\n');
    const again = analyzeNotebook(notebook([['code', 'import torch\n'], ['markdown', '## Load the model'], ['code', fixed]]), 'nb.ipynb');
    assert.deepEqual(ids(again.findings), []);
  });

  test('names resolve across cells: `import torch as T` in cell 1 makes `T.load` in cell 2 torch.load', () => {
    const r = analyzeCells([code('import torch as T'), code('m = T.load(p)')], 'x.ipynb');
    assert.deepEqual(
      r.findings.map((f) => [f.ruleId, f.cell]),
      [['SAI202', 2]],
    );
    // The cell alone does not know what `T` is.
    assert.deepEqual(ids(analyze('m = T.load(p)', 'cell.py').findings), []);
  });

  test('string and list sources give the same findings', () => {
    const a = analyzeNotebook(notebook([['code', 'import torch'], ['code', 'm = torch.load("a.pt")']]), 'a.ipynb');
    const b = analyzeNotebook(notebook([['code', ['import torch']], ['code', ['m = ', 'torch.load("a.pt")']]]), 'b.ipynb');
    assert.deepEqual(a.findings, b.findings);
    assert.equal(a.findings[0].cell, 2);
  });

  test('findings after magic lines keep their cell positions; a %time statement is analysed', () => {
    const r = analyzeCells([code('!pip install torch\nimport torch\n%matplotlib inline\n%time m = torch.load(p)\nif m:\n    !ls\n    n = torch.load(q)')], 'x.ipynb');
    assert.deepEqual(
      r.findings.filter((f) => f.ruleId === 'SAI202').map((f) => [f.cell, f.range.start.line, f.range.start.character]),
      [
        [1, 3, 10],
        [1, 6, 8],
      ],
    );
  });

  test('a suppression comment in the cell works; one at the end of the cell above does not reach across', () => {
    const suppressed = analyzeCells(
      [code('import torch'), code('# secure-ai: ignore[SAI202] our own checkpoint\nm = torch.load(p)')],
      'x.ipynb',
    ).findings.find((f) => f.ruleId === 'SAI202');
    assert.ok(suppressed?.suppressed);
    assert.deepEqual(suppressed.suppressed, { line: 0, reason: 'our own checkpoint' });
    const trailing = analyzeCells([code('import torch'), code('m = torch.load(p)  # secure-ai: ignore[SAI202]')], 'x.ipynb').findings.find((f) => f.ruleId === 'SAI202');
    assert.ok(trailing?.suppressed);
    const across = analyzeCells([code('import torch\n# secure-ai: ignore[SAI202]'), code('m = torch.load(p)')], 'x.ipynb').findings.find((f) => f.ruleId === 'SAI202');
    assert.ok(across);
    assert.equal(across.suppressed, undefined);
  });

  test('a fix that would edit another cell (an import at the top) is dropped, the finding kept', () => {
    const load = 'frame = pd.read_csv("data/train.csv")\nmodel.fit(frame)';
    const without = analyzeCells([code('import pandas as pd\nimport torch'), md('x'), code(load)], 'x.ipynb').findings.find((f) => f.ruleId === 'SAI301');
    assert.ok(without, 'SAI301 is reported');
    assert.equal(without.cell, 3);
    assert.equal(without.fix, undefined);
    const withImport = analyzeCells([code('import logging\nimport pandas as pd\nimport torch'), md('x'), code(load)], 'x.ipynb').findings.find((f) => f.ruleId === 'SAI301');
    assert.ok(withImport?.fix, 'the fix stays when it edits the finding cell only');
    assert.ok(withImport.fix.edits.every((e) => e.range.start.line <= 1));
    assert.match(applyEdits(load, withImport.fix.edits), /logging\.getLogger\(__name__\)\.info\("training data source: %s", "data\/train\.csv"\)/);
  });

  test('nothing is reported on masked lines', () => {
    const r = analyzeCells([code('import torch\nx = !python -c "import torch; torch.load(p)"\ntorch.load?')], 'x.ipynb');
    assert.deepEqual(ids(r.findings), []);
  });

  test('a notebook in another language: one notice, nothing analysed', () => {
    const r = analyzeNotebook(notebook([['code', 'import torch\ntorch.load(p)']], { kernelspec: { language: 'R' } }), 'r.ipynb');
    assert.deepEqual(r.findings, []);
    assert.equal(r.notices.length, 1);
    assert.equal(r.notices[0].kind, 'invalid-format');
    assert.match(r.notices[0].message, /language is r, not Python/);
  });

  test('cells in another language and markdown cells are not analysed', () => {
    const json = JSON.stringify({
      nbformat: 4,
      metadata: {},
      cells: [
        { cell_type: 'code', source: 'import torch' },
        { cell_type: 'markdown', source: 'torch.load(p)' },
        { cell_type: 'code', source: 'torch.load(p)', metadata: { vscode: { languageId: 'sql' } } },
        { cell_type: 'code', source: 'torch.load(q)' },
      ],
    });
    const r = analyzeNotebook(json, 'x.ipynb');
    assert.deepEqual(
      r.findings.map((f) => [f.ruleId, f.cell]),
      [['SAI202', 4]],
    );
  });

  test('unreadable notebooks: one invalid-format notice', () => {
    for (const text of ['{', '[1]', '{"nbformat": 3, "worksheets": []}', '{"nbformat": 4}']) {
      const r = analyzeNotebook(text, 'bad.ipynb');
      assert.deepEqual(r.findings, []);
      assert.equal(r.notices.length, 1);
      assert.equal(r.notices[0].kind, 'invalid-format');
      assert.match(r.notices[0].message, /so it was not analysed$/);
    }
  });

  test('malformed cells are skipped with warnings, the rest analysed', () => {
    const json = JSON.stringify({ nbformat: 4, metadata: {}, cells: [{ cell_type: 'code', source: 'import torch' }, { cell_type: 'code', source: 5 }, { cell_type: 'code', source: 'torch.load(p)' }] });
    const r = analyzeNotebook(json, 'x.ipynb');
    assert.deepEqual(r.notices, []);
    assert.deepEqual(r.warnings, ['cell 2 was not analysed: its `source` is not a string or a list of strings']);
    assert.deepEqual(
      r.findings.map((f) => [f.ruleId, f.cell]),
      [['SAI202', 3]],
    );
    assert.equal(r.cells.length, 3);
  });

  test('bytes: UTF-8, UTF-16 with a byte-order mark, invalid UTF-8, and the size limits', () => {
    const json = notebook([['code', 'import torch\ntorch.load(p)  # é😀']]);
    const utf8 = analyzeNotebookBytes(Buffer.from(json, 'utf8'), 'x.ipynb');
    assert.deepEqual(ids(utf8.findings), ['SAI202']);
    const utf16 = analyzeNotebookBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')]), 'x.ipynb');
    assert.deepEqual(utf16.findings, utf8.findings);
    const bad = analyzeNotebookBytes(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'x.ipynb');
    assert.equal(bad.notices[0].kind, 'not-decodable');
    // The JSON may be much larger than the limit (outputs are not analysed)...
    const big = notebook([['code', 'import torch\ntorch.load(p)'], ['markdown', 'x'.repeat(40 * 1024)]]);
    assert.deepEqual(ids(analyzeNotebook(big, 'x.ipynb', { ...DEFAULT_SETTINGS, maxFileSizeKb: 4 }).findings), ['SAI202']);
    // ...but the code is held to it, and the JSON to 32 times it.
    const longCode = notebook([['code', `import torch\ntorch.load(p)\n${'x = 1\n'.repeat(1000)}`]]);
    assert.equal(analyzeNotebook(longCode, 'x.ipynb', { ...DEFAULT_SETTINGS, maxFileSizeKb: 4 }).notices[0].kind, 'too-large');
    const huge = notebook([['code', 'x'], ['markdown', 'x'.repeat(140 * 1024)]]);
    assert.equal(analyzeNotebook(huge, 'x.ipynb', { ...DEFAULT_SETTINGS, maxFileSizeKb: 4 }).notices[0].kind, 'too-large');
    assert.equal(analyzeNotebookBytes(Buffer.from(huge), 'x.ipynb', { ...DEFAULT_SETTINGS, maxFileSizeKb: 4 }).notices[0].kind, 'too-large');
  });

  test('rule settings apply as for Python files', () => {
    const json = notebook([['code', 'import torch'], ['code', 'torch.load(p)']]);
    assert.deepEqual(ids(analyzeNotebook(json, 'x.ipynb', { ...DEFAULT_SETTINGS, rules: { SAI2: 'off' } }).findings), []);
    assert.equal(analyzeNotebook(json, 'x.ipynb', { ...DEFAULT_SETTINGS, rules: { SAI202: 'error' } }).findings[0].severity, 'error');
    assert.deepEqual(ids(analyzeNotebook(json, 'x.ipynb', DEFAULT_SETTINGS, { ignore: ['SAI202'] }).findings), []);
  });

  test('command findings: an ignore comment on the command line or above it suppresses them', () => {
    const f: Finding = {
      ruleId: 'SAI105',
      range: { start: { line: 1, character: 1 }, end: { line: 1, character: 18 } },
      message: 'm',
      severity: 'warning',
      confidence: 'high',
      guidelines: [],
      cell: 1,
    };
    assert.deepEqual(commandSuppression(['x = 1', '!pip install torch  # secure-ai: ignore[SAI105] pinned by the image'], f), { line: 1, reason: 'pinned by the image' });
    assert.deepEqual(commandSuppression(['# secure-ai: ignore[SAI105]', '!pip install torch'], f), { line: 0, reason: undefined });
    assert.equal(commandSuppression(['y = 2  # secure-ai: ignore[SAI105]', '!pip install torch'], f), undefined);
    assert.equal(commandSuppression(['x = 1', '!pip install torch  # secure-ai: ignore[SAI999]'], f), undefined);
  });

  test('command findings are placed in their cell, also on the continuation lines of a command', () => {
    // A finding as a command check reports it: the command's start plus an offset into its (joined) text.
    const cell = 'x = 1\n!pip install \\\n    torch \\\n  numpy  # later';
    const program = buildProgram([md('m'), code(cell)]);
    const [cmd] = program.commands;
    assert.deepEqual([cmd.cell, cmd.line, cmd.character, cmd.text], [2, 1, 1, 'pip install torch numpy']);
    const at = (offset: number) => ({ line: cmd.line, character: cmd.character + offset });
    const lines = cell.split('\n');
    const finding = (from: number, to: number): Finding => ({
      ruleId: 'SAI701',
      range: { start: at(from), end: at(to) },
      message: 'm',
      severity: 'warning',
      confidence: 'high',
      guidelines: [],
      cell: 2,
      fix: { title: 'pin', safety: 'unsafe', edits: [{ range: { start: at(to), end: at(to) }, newText: '==1.0' }] },
    });
    const torch = program.commandFindingToCell(finding(12, 17), lines);
    assert.deepEqual(torch.range, { start: { line: 2, character: 4 }, end: { line: 2, character: 9 } });
    assert.equal(applyEdits(cell, torch.fix!.edits), 'x = 1\n!pip install \\\n    torch==1.0 \\\n  numpy  # later');
    const numpy = program.commandFindingToCell(finding(18, 23), lines);
    assert.deepEqual(numpy.range, { start: { line: 3, character: 2 }, end: { line: 3, character: 7 } });
    const pip = program.commandFindingToCell(finding(0, 3), lines);
    assert.deepEqual(pip.range, { start: { line: 1, character: 1 }, end: { line: 1, character: 4 } });
    // Offsets past the text are clamped to its end.
    assert.deepEqual(program.commandFindingToCell(finding(18, 500), lines).range.end, { line: 3, character: 7 });
  });

  test('the command checks run on the notebook: findings in cell coordinates, ignore comments honoured', () => {
    const r = analyzeCells([md('setup'), code('!wget \\\n   https://example.com/m/model.bin\n%pip install torch  # secure-ai: ignore[SAI701] the base image pins it')], 'x.ipynb');
    const wget = r.findings.find((f) => f.ruleId === 'SAI104');
    assert.ok(wget, JSON.stringify(r.findings));
    assert.equal(wget.cell, 2);
    assert.deepEqual(wget.range, { start: { line: 1, character: 3 }, end: { line: 1, character: 3 + 'https://example.com/m/model.bin'.length } });
    for (const f of r.findings.filter((x) => x.ruleId === 'SAI701')) assert.deepEqual(f.suppressed, { line: 2, reason: 'the base image pins it' });
  });

  test('isNotebookPath', () => {
    assert.ok(isNotebookPath('a/b/c.ipynb'));
    assert.ok(isNotebookPath('C.IPYNB'));
    assert.ok(!isNotebookPath('c.py'));
  });
});
