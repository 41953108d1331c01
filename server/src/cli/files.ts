/**
 * Which files a scan reads: the Python files under the folders given, minus what .gitignore files, `--exclude` patterns
 * and the usual environment and cache folders rule out. A file named on the command line is always scanned.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
// `require`, not `import`: the bundler would otherwise pick fdir's ES module build, which needs `import.meta.url`.
import fdirPackage = require('fdir');
import ignore, { type Ignore } from 'ignore';
import { comparePaths, describeFsError, isInside, leavesBase, toPosix } from './paths';

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

export interface CollectOptions {
  /** Honour .gitignore files (and .git/info/exclude). Default true. */
  gitignore?: boolean;
  /** gitignore-style patterns, matched against paths relative to `cwd` (or to the folder scanned, outside `cwd`). */
  exclude?: string[];
  /** The folder relative paths and patterns are read against. Default `process.cwd()`. */
  cwd?: string;
}

export interface CollectResult {
  /** Absolute paths, each once, in a stable order. */
  files: string[];
  /** Paths given that cannot be read: "cannot read 'x': no such file or directory". The scan should stop. */
  errors: string[];
  /** Folders met on the walk that could not be read; the scan goes on without them. */
  warnings: string[];
}

const IGNORE_CASE = process.platform === 'darwin' || process.platform === 'win32';

function readIgnoreFile(file: string): Ignore | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return ignore({ ignorecase: IGNORE_CASE }).add(text);
}

/** The folder that holds `.git`, above or at `dir`; git reads .gitignore files from there down. */
function repositoryRoot(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, '.git'))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

/**
 * The .gitignore files from `base` down to a path's folder, read lazily and cached. As in git, a deeper file
 * overrides a shallower one, later patterns override earlier ones, and a folder that is ignored is not entered, so
 * nothing inside it can be re-included.
 */
class GitignoreStack {
  private readonly perDir = new Map<string, Ignore | undefined>();
  private readonly infoExclude: Ignore | undefined;

  constructor(private readonly base: string) {
    this.infoExclude = readIgnoreFile(path.join(base, '.git', 'info', 'exclude'));
  }

  private rulesIn(dir: string): Ignore | undefined {
    if (!this.perDir.has(dir)) this.perDir.set(dir, readIgnoreFile(path.join(dir, '.gitignore')));
    return this.perDir.get(dir);
  }

  ignored(abs: string, isDir: boolean): boolean {
    const rel = path.relative(this.base, abs);
    if (rel === '' || leavesBase(rel)) return false;
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

function errorFor(arg: string, err: unknown): string {
  return `cannot read '${arg}': ${describeFsError(err)}`;
}

/** Collect the Python files to scan under `paths` (files or folders); no paths means the current folder. */
export async function collectFiles(paths: string[], opts: CollectOptions = {}): Promise<CollectResult> {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const useGitignore = opts.gitignore ?? true;
  const exclude = opts.exclude?.length ? ignore({ ignorecase: IGNORE_CASE }).add(opts.exclude) : undefined;
  const skipped = new Set(DEFAULT_SKIPPED_DIRS);
  const stacks = new Map<string, GitignoreStack>();
  const found = new Set<string>();
  const errors: string[] = [];
  const warnings: string[] = [];

  const roots: string[] = [];
  for (const arg of paths.length ? paths : ['.']) {
    const abs = path.resolve(cwd, arg);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch (err) {
      errors.push(errorFor(arg, err));
      continue;
    }
    try {
      if (stat.isDirectory()) {
        fs.accessSync(abs, fs.constants.R_OK | fs.constants.X_OK);
        roots.push(abs);
      } else {
        fs.accessSync(abs, fs.constants.R_OK);
        found.add(abs);
      }
    } catch (err) {
      errors.push(errorFor(arg, err));
    }
  }
  if (errors.length) return { files: [], errors, warnings };

  for (const root of roots) {
    let stack: GitignoreStack | undefined;
    if (useGitignore) {
      let base = repositoryRoot(root) ?? root;
      // A folder named on the command line is scanned even when it is itself ignored: its own .gitignore files
      // still apply inside it.
      if (base !== root && new GitignoreStack(base).ignored(root, true)) base = root;
      stack = stacks.get(base);
      if (!stack) stacks.set(base, (stack = new GitignoreStack(base)));
    }
    // Patterns are read against the paths people see in the report (relative to cwd); outside cwd, against the root.
    const patternBase = isInside(root, cwd) ? cwd : root;
    const excluded = (abs: string, isDir: boolean): boolean => {
      if (!exclude) return false;
      const rel = path.relative(patternBase, abs);
      return rel !== '' && exclude.ignores(toPosix(rel) + (isDir ? '/' : ''));
    };

    // Symbolic links are listed, not followed: a link to a file is read like a file, a link to a folder is not
    // entered, so link loops cannot trap the walk.
    const crawler = new fdirPackage.fdir()
      .withFullPaths()
      .exclude((name, dirPath) => {
        if (skipped.has(name)) return true;
        const abs = path.resolve(dirPath);
        // A virtual environment under any name: python -m venv and virtualenv both write pyvenv.cfg at its root.
        if (fs.existsSync(path.join(abs, 'pyvenv.cfg'))) return true;
        if (excluded(abs, true) || stack?.ignored(abs, true)) return true;
        try {
          fs.accessSync(abs, fs.constants.R_OK | fs.constants.X_OK);
        } catch (err) {
          warnings.push(`skipping folder '${toPosix(path.relative(cwd, abs)) || '.'}': ${describeFsError(err)}`);
          return true;
        }
        return false;
      })
      .filter((p, isDir) => !isDir && p.endsWith('.py') && !excluded(p, false) && !stack?.ignored(p, false))
      .crawl(root);
    for (const file of crawler.sync()) found.add(path.resolve(file));
  }

  return { files: [...found].sort(comparePaths), errors, warnings };
}
