/**
 * What a walk of a folder tree leaves out, shared by the CLI's file collector (cli/files.ts) and the language
 * server's workspace scan (lsp/workspace-files.ts): the folder names skipped wherever they occur, gitignore-style
 * pattern sets, the .gitignore files read as git reads them, and the walker itself. No editor types here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
// `require`, not `import`: the bundler would otherwise pick fdir's ES module build, which needs `import.meta.url`.
import fdirPackage = require('fdir');
import ignore, { type Ignore } from 'ignore';

/** Folder names that are skipped wherever they occur: virtual environments, installed packages, VCS data, caches. */
export const DEFAULT_SKIPPED_DIRS: readonly string[] = [
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  '.venv',
  'venv',
  'site-packages',
  '__pycache__',
  '.tox',
  '.nox',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
];

/** `DEFAULT_SKIPPED_DIRS` as a set. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(DEFAULT_SKIPPED_DIRS);

/** Paths compare case-insensitively where the file system usually does. */
const IGNORE_CASE = process.platform === 'darwin' || process.platform === 'win32';

export function toPosix(p: string): string {
  return path.sep === '/' ? p : p.split(path.sep).join('/');
}

/** True for a relative path that climbs out of its base ("..", "../x"), or one that could not be made relative. */
export function leavesBase(rel: string): boolean {
  return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
}

/** True when `abs` is `dir` or lies inside it. */
export function isInside(abs: string, dir: string): boolean {
  const rel = path.relative(dir, abs);
  return rel === '' || !leavesBase(rel);
}

/** Gitignore-style patterns (or an ignore file's text), matched case-insensitively on macOS and Windows. */
export function ignoreRules(patterns: string | readonly string[]): Ignore {
  return ignore({ ignorecase: IGNORE_CASE }).add(typeof patterns === 'string' ? patterns : [...patterns]);
}

/** Whether `rules`, read relative to `base`, match `abs` (a folder when `isDir`); false for `base` and outside it. */
export function matchesUnder(rules: Ignore, base: string, abs: string, isDir = false): boolean {
  const rel = path.relative(base, abs);
  return rel !== '' && !leavesBase(rel) && rules.ignores(toPosix(rel) + (isDir ? '/' : ''));
}

/** The rules in an ignore file; undefined when it cannot be read. */
export function readIgnoreFile(file: string): Ignore | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return ignoreRules(text);
}

/** The folder that holds `.git`, above or at `dir`; git reads .gitignore files from there down. */
export function repositoryRoot(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, '.git'))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

/**
 * The .gitignore files from `base` down to a path's folder, plus `base/.git/info/exclude`, read lazily and cached for
 * the life of the stack. As in git, a deeper file overrides a shallower one and later patterns override earlier ones.
 * A walk should not enter a folder that is ignored, so that nothing inside it can be re-included.
 */
export class GitignoreStack {
  private readonly perDir = new Map<string, Ignore | undefined>();
  private infoExclude: Ignore | undefined | null = null;

  constructor(readonly base: string) {}

  private rulesIn(dir: string): Ignore | undefined {
    if (!this.perDir.has(dir)) this.perDir.set(dir, readIgnoreFile(path.join(dir, '.gitignore')));
    return this.perDir.get(dir);
  }

  /** Whether `abs` (a folder when `isDir`) is ignored; never `base` itself or a path outside it. */
  ignored(abs: string, isDir: boolean): boolean {
    const rel = path.relative(this.base, abs);
    if (rel === '' || leavesBase(rel)) return false;
    if (this.infoExclude === null) this.infoExclude = readIgnoreFile(path.join(this.base, '.git', 'info', 'exclude'));
    const suffix = isDir ? '/' : '';
    let state = false;
    const verdict = (rules: Ignore | undefined, relPath: string) => {
      if (!rules) return;
      const r = rules.test(toPosix(relPath) + suffix);
      if (r.ignored) state = true;
      else if (r.unignored) state = false;
    };
    verdict(this.infoExclude, rel);
    const segments = rel.split(path.sep);
    let dir = this.base;
    for (let i = 0; i < segments.length; i++) {
      verdict(this.rulesIn(dir), path.relative(dir, abs));
      dir = path.join(dir, segments[i]);
    }
    return state;
  }
}

/**
 * A walk of `root` that lists its files by full path: `skipDir` is asked, with the folder's name and absolute path,
 * before each folder below `root` is entered; `keepFile` decides which files are listed. Symbolic links are listed,
 * not followed: a link to a file is listed like a file, a link to a folder is not entered, so link loops cannot trap
 * the walk. Run it with `.sync()` or `.withPromise()`.
 */
export function walkFiles(
  root: string,
  skipDir: (name: string, abs: string) => boolean,
  keepFile: (file: string) => boolean,
) {
  return new fdirPackage.fdir()
    .withFullPaths()
    .exclude((name, dirPath) => skipDir(name, path.resolve(dirPath)))
    .filter((p, isDir) => !isDir && keepFile(p))
    .crawl(root);
}
