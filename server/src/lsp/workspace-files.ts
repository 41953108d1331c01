/**
 * Which files of a workspace folder the background scan reads: the Python files under it, minus environment and
 * cache folders, what .gitignore files rule out (from the repository root down, as git reads them) and the
 * `secureAi.exclude` patterns (gitignore syntax, relative to the workspace folder). The same predicate decides
 * whether a file that changed on disk is analysed. Documents open in the editor are always analysed unless excluded.
 */
import * as path from 'node:path';
import type { Ignore } from 'ignore';
import {
  GitignoreStack,
  SKIPPED_DIRS,
  ignoreRules,
  isInside,
  matchesUnder,
  repositoryRoot,
  walkFiles,
} from '../workspace/ignore-rules';

export { isInside };

/** The file filter of one workspace folder. Reads .gitignore files lazily and caches them for its lifetime. */
export class FolderFilter {
  private readonly gitignore: GitignoreStack;
  private readonly exclude: Ignore | undefined;

  constructor(
    readonly root: string,
    excludePatterns: readonly string[],
  ) {
    this.gitignore = new GitignoreStack(repositoryRoot(root) ?? root);
    this.exclude = excludePatterns.length ? ignoreRules(excludePatterns) : undefined;
  }

  /** Matched by a .gitignore (a deeper file overrides a shallower one; later patterns override earlier ones). */
  gitignored(abs: string, isDir: boolean): boolean {
    return this.gitignore.ignored(abs, isDir);
  }

  /** Matched by a `secureAi.exclude` pattern (relative to the workspace folder). */
  excluded(abs: string, isDir = false): boolean {
    return !!this.exclude && matchesUnder(this.exclude, this.root, abs, isDir);
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
    const files = await walkFiles(
      this.root,
      (name, abs) => SKIPPED_DIRS.has(name) || this.excluded(abs, true) || this.gitignored(abs, true),
      (p) => p.endsWith('.py') && !this.excluded(p) && !this.gitignored(p, false),
    ).withPromise();
    return files.map((f) => path.resolve(f)).sort();
  }
}

const excludeCache = new Map<string, Ignore>();

/** Whether `abs` matches one of `patterns` (gitignore syntax, relative to `root`); false outside `root`. */
export function excludedBy(patterns: readonly string[], root: string, abs: string): boolean {
  if (patterns.length === 0) return false;
  const key = patterns.join('\0');
  let ig = excludeCache.get(key);
  if (!ig) {
    if (excludeCache.size > 64) excludeCache.clear();
    ig = ignoreRules(patterns);
    excludeCache.set(key, ig);
  }
  return matchesUnder(ig, root, abs);
}
