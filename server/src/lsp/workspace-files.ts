/**
 * Which files of a workspace folder the background scan reads: the Python files under it, minus environment and
 * cache folders, what .gitignore files rule out (from the repository root down, as git reads them) and the
 * `secureAi.exclude` patterns (gitignore syntax, relative to the workspace folder). The same predicate decides
 * whether a file that changed on disk is analysed. Documents open in the editor are always analysed unless excluded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
// `require`, not `import`: the bundler would otherwise pick fdir's ES module build, which needs `import.meta.url`.
import fdirPackage = require('fdir');
import ignore, { type Ignore } from 'ignore';

/** Folder names skipped wherever they occur. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
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
]);

const IGNORE_CASE = process.platform === 'darwin' || process.platform === 'win32';
const toPosix = (p: string) => (path.sep === '/' ? p : p.split(path.sep).join('/'));

export function isInside(abs: string, dir: string): boolean {
  const rel = path.relative(dir, abs);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function repositoryRoot(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, '.git'))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

function readIgnoreFile(file: string): Ignore | undefined {
  try {
    return ignore({ ignorecase: IGNORE_CASE }).add(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The file filter of one workspace folder. Reads .gitignore files lazily and caches them until `reset()`. */
export class FolderFilter {
  private readonly base: string;
  private readonly perDir = new Map<string, Ignore | undefined>();
  private infoExclude: Ignore | undefined | null = null;
  private readonly exclude: Ignore | undefined;

  constructor(
    readonly root: string,
    excludePatterns: readonly string[],
  ) {
    const repo = repositoryRoot(root);
    this.base = repo && isInside(root, repo) ? repo : root;
    this.exclude = excludePatterns.length ? ignore({ ignorecase: IGNORE_CASE }).add([...excludePatterns]) : undefined;
  }

  private rulesIn(dir: string): Ignore | undefined {
    if (!this.perDir.has(dir)) this.perDir.set(dir, readIgnoreFile(path.join(dir, '.gitignore')));
    return this.perDir.get(dir);
  }

  /** Matched by a .gitignore (a deeper file overrides a shallower one; later patterns override earlier ones). */
  gitignored(abs: string, isDir: boolean): boolean {
    const rel = path.relative(this.base, abs);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return false;
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

  /** Matched by a `secureAi.exclude` pattern (relative to the workspace folder). */
  excluded(abs: string, isDir = false): boolean {
    if (!this.exclude || !isInside(abs, this.root)) return false;
    const rel = path.relative(this.root, abs);
    return rel !== '' && this.exclude.ignores(toPosix(rel) + (isDir ? '/' : ''));
  }

  /** Whether the scan reads `abs`: a .py file inside the folder, under no skipped, ignored or excluded folder. */
  includes(abs: string): boolean {
    if (!abs.endsWith('.py') || !isInside(abs, this.root)) return false;
    const rel = path.relative(this.root, abs);
    const segments = rel.split(path.sep);
    let dir = this.root;
    for (const segment of segments.slice(0, -1)) {
      dir = path.join(dir, segment);
      if (SKIPPED_DIRS.has(segment) || this.excluded(dir, true) || this.gitignored(dir, true)) return false;
    }
    return !this.excluded(abs) && !this.gitignored(abs, false);
  }

  /** Every Python file the scan reads, sorted. Symbolic links to folders are not followed. The walk is async. */
  async list(): Promise<string[]> {
    const files = await new fdirPackage.fdir()
      .withFullPaths()
      .exclude((name, dirPath) => {
        if (SKIPPED_DIRS.has(name)) return true;
        const abs = path.resolve(dirPath);
        return this.excluded(abs, true) || this.gitignored(abs, true);
      })
      .filter((p, isDir) => !isDir && p.endsWith('.py') && !this.excluded(p) && !this.gitignored(p, false))
      .crawl(this.root)
      .withPromise();
    return files.map((f) => path.resolve(f)).sort();
  }
}

const excludeCache = new Map<string, Ignore>();

/** Whether `abs` matches one of `patterns` (gitignore syntax, relative to `root`); false outside `root`. */
export function excludedBy(patterns: readonly string[], root: string, abs: string): boolean {
  if (patterns.length === 0 || !isInside(abs, root)) return false;
  const key = patterns.join('\0');
  let ig = excludeCache.get(key);
  if (!ig) {
    if (excludeCache.size > 64) excludeCache.clear();
    ig = ignore({ ignorecase: IGNORE_CASE }).add([...patterns]);
    excludeCache.set(key, ig);
  }
  const rel = path.relative(root, abs);
  return rel !== '' && ig.ignores(toPosix(rel));
}
