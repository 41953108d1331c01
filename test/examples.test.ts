/**
 * The README's first command, `npx secure-ai scan examples`, through the built CLI: every hazard planted in the
 * example project is found, with its guideline item in the message, and every safe twin stays quiet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './helpers';

interface JsonFinding {
  path: string;
  line: number;
  ruleId: string;
  message: string;
}

test('scan examples finds each planted hazard and nothing else', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'secure-ai.js'), 'scan', 'examples', '--format', 'json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(r.status, 1, r.stderr);
  const findings: JsonFinding[] = JSON.parse(r.stdout).findings;
  const got = findings.map((f) => `${f.path}:${f.line}:${f.ruleId}`).sort();
  assert.deepEqual(got, [
    'examples/llm-app/assistant.py:49:SAI503', // request field formatted into the system prompt
    'examples/llm-app/assistant.py:74:SAI501', // eval of the model's answer
    'examples/llm-app/assistant.py:89:SAI502', // agent given PythonREPLTool
    'examples/ml-project/api.py:24:SAI403', // inference route without auth
    'examples/ml-project/api.py:24:SAI404', // ... and without request logging
    'examples/ml-project/api.py:38:SAI401', // gradio launch(share=True) without auth
    'examples/ml-project/api.py:45:SAI402', // uvicorn.run(host="0.0.0.0")
    'examples/ml-project/serve.py:10:SAI204', // yaml.load(FullLoader)
    'examples/ml-project/serve.py:17:SAI201', // joblib.load
    'examples/ml-project/serve.py:20:SAI201', // pickle.load
    'examples/ml-project/serve.py:23:SAI205', // load_model(safe_mode=False)
    'examples/ml-project/train.py:19:SAI101', // load_dataset("imdb") unpinned
    'examples/ml-project/train.py:19:SAI301', // ... and not recorded
    'examples/ml-project/train.py:21:SAI301', // read_csv not recorded
    'examples/ml-project/train.py:32:SAI101', // from_pretrained unpinned
    'examples/ml-project/train.py:34:SAI102', // trust_remote_code=True
    'examples/ml-project/train.py:41:SAI202', // torch.load(path)
    'examples/ml-project/train.py:46:SAI203', // np.load(allow_pickle=True)
  ]);
  for (const f of findings) assert.match(f.message, /\[NCSC \d\.\d [^\]]+\]$/);
  // The safe twins sit on lines commented "Safe twin"; none of their statements is flagged.
  for (const file of ['ml-project/train.py', 'ml-project/serve.py', 'ml-project/api.py', 'llm-app/assistant.py']) {
    const lines = fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      if (!text.includes('Safe twin')) return;
      const line = i + 2; // the statement under the comment, 1-based
      assert.ok(!findings.some((f) => f.path.endsWith(file) && f.line === line), `${file}:${line} is a safe twin but was flagged`);
    });
  }
});
