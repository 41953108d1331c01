/**
 * Which files a scan reads: the Python files, notebooks, dependency manifests and model files under the folders given
 * (see workspace/file-kinds.ts), minus what .gitignore files, `--exclude` patterns and the usual environment and
 * cache folders rule out. A file named on the command line is always scanned. Lock files are listed on the side.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  GitignoreStack,
  SKIPPED_DIRS,
  ignoreRules,
  matchesUnder,
  repositoryRoot,
  walkFiles,
} from '../workspace/ignore-rules';
import { looksLikeArtifact } from '../artifacts';
import { fileKindOf, isLockFile, worthSniffing } from '../workspace/file-kinds';
import { comparePaths, describeFsError, isInside, toPosix } from './paths';

export { DEFAULT_SKIPPED_DIRS } from '../workspace/ignore-rules';

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
  /** Lock files met on the walk (`poetry.lock`, `uv.lock`, …): not scanned, but they cover the manifests beside them. */
  lockFiles: string[];
}

/** How many first bytes decide whether an extension-less file is a model file (a zip's first member name is long). */
const HEAD_BYTES = 4096;

/** The first bytes of a regular file, or nothing when it cannot be read (never blocks on a FIFO or a device). */
export function readHead(file: string): Uint8Array {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    if (!fs.fstatSync(fd).isFile()) return new Uint8Array(0);
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } catch {
    return new Uint8Array(0);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Why the walk must not read a file, or undefined when it may: a FIFO, socket or device (reading can block), or a
 * symbolic link whose target is not a regular file inside the scanned folder (`realRoot`, its real path) (a link in a pull request must not
 * make CI read, and report on, files outside the repository).
 */
export function unsafeToRead(file: string, realRoot: string): string | undefined {
  try {
    const l = fs.lstatSync(file);
    if (l.isSymbolicLink()) {
      const real = fs.realpathSync(file);
      if (!isInside(real, realRoot)) return 'a link to a file outside the scanned folder';
      if (!fs.statSync(real).isFile()) return 'a link to something that is not a regular file';
      return undefined;
    }
    return l.isFile() ? undefined : 'not a regular file';
  } catch (err) {
    return describeFsError(err);
  }
}

function errorFor(arg: string, err: unknown): string {
  return `cannot read '${arg}': ${describeFsError(err)}`;
}

/** Collect the Python files to scan under `paths` (files or folders); no paths means the current folder. */
export async function collectFiles(paths: string[], opts: CollectOptions = {}): Promise<CollectResult> {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const useGitignore = opts.gitignore ?? true;
  const exclude = opts.exclude?.length ? ignoreRules(opts.exclude) : undefined;
  const stacks = new Map<string, GitignoreStack>();
  const found = new Set<string>();
  const lockFiles = new Set<string>();
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
      } else if (!stat.isFile()) {
        errors.push(`cannot read '${arg}': not a regular file`);
        continue;
      } else {
        fs.accessSync(abs, fs.constants.R_OK);
        found.add(abs);
      }
    } catch (err) {
      errors.push(errorFor(arg, err));
    }
  }
  if (errors.length) return { files: [], errors, warnings, lockFiles: [] };

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
    const excluded = (abs: string, isDir: boolean) => !!exclude && matchesUnder(exclude, patternBase, abs, isDir);

    const realRoot = fs.realpathSync(root);
    const crawler = walkFiles(
      root,
      (name, abs) => {
        if (SKIPPED_DIRS.has(name)) return true;
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
      },
      (p) => {
        if (excluded(p, false) || stack?.ignored(p, false)) return false;
        if (isLockFile(p)) {
          lockFiles.add(path.resolve(p));
          return false;
        }
        const kind = fileKindOf(p);
        if (!kind && !worthSniffing(p)) return false;
        const unsafe = unsafeToRead(p, realRoot);
        if (unsafe) {
          // Only files of a kind we read are mentioned: an extension-less link is no news.
          if (kind) warnings.push(`skipping '${toPosix(path.relative(cwd, p))}': ${unsafe}`);
          return false;
        }
        return !!kind || looksLikeArtifact(readHead(p));
      },
    );
    for (const file of crawler.sync()) found.add(path.resolve(file));
  }

  return { files: [...found].sort(comparePaths), errors, warnings, lockFiles: [...lockFiles].sort(comparePaths) };
}
