/** Units of the fix helpers in engine/edits.ts: where `addImportEdit` puts a missing standard-library import. */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addImportEdit, applyEdits } from '../server/src/engine/edits';
import { initEngine } from '../server/src/engine/analyze';
import { getParser } from '../server/src/engine/parser';
import { SemanticModel } from '../server/src/engine/semantic';
import { analyzeCells, type NotebookCell } from '../server/src/notebook';
import { pyCompileError } from './helpers';

before(async () => {
  await initEngine();
});

function model(src: string): SemanticModel {
  const tree = getParser().parse(src);
  assert.ok(tree);
  return new SemanticModel(tree, src);
}

/** The file with `import <module>` added, or undefined when the helper adds nothing. */
function withImport(src: string, module: string): string | undefined {
  const edit = addImportEdit(model(src), module);
  return edit && applyEdits(src, [edit]);
}

const lines = (...l: string[]) => l.join('\n');

/** [what, module, source, expected]: each expected file must compile too. */
const PLACEMENTS: Array<[string, string, string, string]> = [
  [
    'among the standard-library imports, in alphabetical order',
    'logging',
    lines('import json', 'import os', '', 'import torch', ''),
    lines('import json', 'import logging', 'import os', '', 'import torch', ''),
  ],
  [
    'after the last standard-library import, below its trailing comment',
    'os',
    lines('import json', 'import logging  # noqa: F401', '', 'import torch', ''),
    lines('import json', 'import logging  # noqa: F401', 'import os', '', 'import torch', ''),
  ],
  [
    'isort order: after the `import` statements, before the `from` imports',
    'logging',
    lines('import abc', 'from collections import deque', 'from typing import Any', ''),
    lines('import abc', 'import logging', 'from collections import deque', 'from typing import Any', ''),
  ],
  [
    'only `from` imports: before them',
    'os',
    lines('from collections import deque', 'from typing import Any', ''),
    lines('import os', 'from collections import deque', 'from typing import Any', ''),
  ],
  [
    'a block sorted by module name alone (force-sort-within-sections): by module name',
    'logging',
    lines('from collections import deque', 'import json', 'from typing import Any', ''),
    lines('from collections import deque', 'import json', 'import logging', 'from typing import Any', ''),
  ],
  [
    'before a submodule import of the same package',
    'os',
    lines('import json', 'import os.path', ''),
    lines('import json', 'import os', 'import os.path', ''),
  ],
  [
    'third-party imports only: before them, with a blank line',
    'logging',
    lines('import pandas as pd', 'import torch', ''),
    lines('import logging', '', 'import pandas as pd', 'import torch', ''),
  ],
  [
    'after the docstring and `from __future__` imports, before the first import',
    'os',
    lines('"""Doc."""', 'from __future__ import annotations', '', 'from openai import OpenAI', ''),
    lines('"""Doc."""', 'from __future__ import annotations', '', 'import os', '', 'from openai import OpenAI', ''),
  ],
  [
    'a shebang and an encoding line stay first',
    'os',
    lines('#!/usr/bin/env python3', '# -*- coding: utf-8 -*-', 'import torch', ''),
    lines('#!/usr/bin/env python3', '# -*- coding: utf-8 -*-', 'import os', '', 'import torch', ''),
  ],
  [
    'no imports at all: below the comment lines that open the file and the blank lines after them',
    'os',
    lines('#!/usr/bin/env python3', '# Licensed under the Apache License 2.0.', '', '# The key.', 'KEY = "x"', ''),
    lines('#!/usr/bin/env python3', '# Licensed under the Apache License 2.0.', '', 'import os', '', '# The key.', 'KEY = "x"', ''),
  ],
  [
    'no imports at all, no comments: on the first line',
    'os',
    lines('KEY = "x"', ''),
    lines('import os', '', 'KEY = "x"', ''),
  ],
  [
    'no imports at all: after the docstring, with blank lines around it',
    'os',
    lines('"""Doc."""', 'KEY = "x"', ''),
    lines('"""Doc."""', '', 'import os', '', 'KEY = "x"', ''),
  ],
  [
    'a docstring written as concatenated literals stays first',
    'os',
    lines('"Doc, " "continued."', '', 'KEY = "x"', ''),
    lines('"Doc, " "continued."', '', 'import os', '', 'KEY = "x"', ''),
  ],
  [
    'after `from __future__` imports when no import follows',
    'logging',
    lines('from __future__ import annotations', '', 'x = 1', ''),
    lines('from __future__ import annotations', '', 'import logging', '', 'x = 1', ''),
  ],
  [
    'imports inside `try:` are not a leading block: before the `try`',
    'logging',
    lines('"""Doc."""', '', 'try:', '    import torch', 'except ImportError:', '    torch = None', ''),
    lines('"""Doc."""', '', 'import logging', '', 'try:', '    import torch', 'except ImportError:', '    torch = None', ''),
  ],
  [
    '`if TYPE_CHECKING:` after the leading block is not part of it',
    'logging',
    lines('import os', 'from typing import TYPE_CHECKING', '', 'if TYPE_CHECKING:', '    import torch', ''),
    lines('import logging', 'import os', 'from typing import TYPE_CHECKING', '', 'if TYPE_CHECKING:', '    import torch', ''),
  ],
  [
    'a `from __future__` import sharing its line with an import: never before the `__future__` import',
    'logging',
    lines('from __future__ import annotations; import torch', 'x = 1', ''),
    lines('from __future__ import annotations; import torch', 'import logging', 'x = 1', ''),
  ],
  [
    'a statement sharing the last line of the block: after that line, not inside the string it opens',
    'os',
    lines('import json; TEXT = """a', 'b"""', ''),
    lines('import json; TEXT = """a', 'b"""', 'import os', ''),
  ],
  [
    'CRLF line ends are kept',
    'logging',
    'import json\r\nimport os\r\n\r\nimport torch\r\n',
    'import json\r\nimport logging\r\nimport os\r\n\r\nimport torch\r\n',
  ],
];

describe('addImportEdit', () => {
  for (const [what, module, src, expected] of PLACEMENTS) {
    test(what, () => {
      const out = withImport(src, module);
      assert.equal(out, expected);
      assert.equal(pyCompileError(out), undefined);
    });
  }

  test('nothing to add when the leading imports already import the module', () => {
    assert.equal(withImport(lines('import json', 'import os', ''), 'os'), undefined);
    assert.equal(withImport(lines('import json, os', ''), 'os'), undefined);
    // An aliased import binds another name.
    assert.ok(withImport(lines('import os as o', ''), 'os'));
  });

  test('worked out once per file and module; each call gets its own copy', () => {
    const m = model(lines('import json', 'import sys', ''));
    const a = addImportEdit(m, 'os');
    const b = addImportEdit(m, 'os');
    assert.ok(a && b);
    assert.deepEqual(a, b);
    assert.notEqual(a, b);
    assert.notEqual(a.range.start, b.range.start);
    a.range.start.line = 99;
    assert.equal(addImportEdit(m, 'os')?.range.start.line, 1);
    assert.equal(addImportEdit(m, 'logging')?.newText, 'import logging\n');
  });
});

describe('fixes that add an import, in notebooks', () => {
  const code = (source: string): NotebookCell => ({ kind: 'code', source });
  const KEY = 'sk-proj-PtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA-2O76UMFx';

  test('the fix is kept when the import lands in the finding\'s cell, dropped when it lands in another', () => {
    const one = `from openai import OpenAI\n\nclient = OpenAI(api_key="${KEY}")`;
    const same = analyzeCells([code(one)], 'x.ipynb').findings.find((f) => f.ruleId === 'SAI601');
    assert.ok(same?.fix);
    assert.equal(applyEdits(one, same.fix.edits), 'import os\n\nfrom openai import OpenAI\n\nclient = OpenAI(api_key=os.environ["OPENAI_API_KEY"])');
    const other = analyzeCells([code('from openai import OpenAI'), code(`client = OpenAI(api_key="${KEY}")`)], 'x.ipynb').findings.find((f) => f.ruleId === 'SAI601');
    assert.ok(other);
    assert.equal(other.cell, 2);
    assert.equal(other.fix, undefined);
  });

  test('SAI404: the import goes among the first cell\'s standard-library imports', () => {
    const src = 'import json\nimport os\n\nfrom flask import Flask\nfrom transformers import pipeline\n\napp = Flask(__name__)\nclf = pipeline("sentiment-analysis")\n\n\n@app.post("/p")\ndef p(text: str):\n    return clf(text)\n';
    const f = analyzeCells([code(src)], 'x.ipynb').findings.find((x) => x.ruleId === 'SAI404');
    assert.ok(f?.fix);
    const fixed = applyEdits(src, f.fix.edits);
    assert.match(fixed, /^import json\nimport logging\nimport os\n/);
    assert.equal(pyCompileError(fixed), undefined);
  });
});
