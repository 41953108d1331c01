import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

/** The repository root, from out/test/*.js or test/*.ts alike. */
export const ROOT = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();

export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

/** `python3 -m py_compile` on a piece of source; returns the compiler's complaint, or undefined when it compiles. */
export function pyCompileError(source: string, name = 'snippet.py'): string | undefined {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'sai-pyc-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, source);
  const r = spawnSync('python3', ['-m', 'py_compile', file], { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  return r.status === 0 ? undefined : (r.stderr || r.stdout || `exit ${r.status}`);
}
