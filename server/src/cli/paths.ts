/** Path helpers shared by the file walker and the report formats. */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isInside, leavesBase, toPosix } from '../workspace/ignore-rules';

export { isInside, leavesBase, toPosix };

/** `abs` relative to `cwd` with forward slashes when it lies inside `cwd`; otherwise the absolute path. */
export function displayPath(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  if (rel === '') return path.basename(abs);
  return leavesBase(rel) ? toPosix(abs) : toPosix(rel);
}

/** A folder as a file URI with a trailing slash, as SARIF wants for `originalUriBaseIds`. */
export function folderUri(dir: string): string {
  const href = pathToFileURL(dir).href;
  return href.endsWith('/') ? href : `${href}/`;
}

/** Order paths folder by folder, so that a folder's files stay together: "a/b.py" sorts before "a-c.py". */
export function comparePaths(a: string, b: string): number {
  const sa = a.split(/[\\/]/);
  const sb = b.split(/[\\/]/);
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    if (sa[i] !== sb[i]) return sa[i] < sb[i] ? -1 : 1;
  }
  return sa.length - sb.length;
}

/** The phrase for a filesystem error code: "no such file or directory" rather than "ENOENT: ...". */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'not a directory';
    case 'EISDIR':
      return 'is a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENAMETOOLONG':
      return 'file name too long';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return e instanceof Error ? e.message : String(err);
  }
}
