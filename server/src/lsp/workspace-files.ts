/**
 * Which files of a workspace folder the background scan reads, with the CLI's rules (cli/files.ts): Python files,
 * dependency manifests and model files (by extension, and extension-less files whose first bytes say so), with the
 * lock files listed on the side; minus environment and cache folders (by name, and any folder holding a
 * `pyvenv.cfg`), what .gitignore files rule out (from the repository root down, as git reads them) and the
 * `secureAi.exclude` patterns (gitignore syntax, relative to the workspace folder). The same predicates decide
 * whether a file that changed on disk is read. Documents open in the editor are always analysed unless excluded.
 *
 * Notebooks on disk are not listed: their findings belong to cells, whose URIs only the editor knows once the
 * notebook is open (notebooks.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Ignore } from 'ignore';
import { ARTIFACT_EXTENSIONS, looksLikeArtifact } from '../artifacts';
import { LOCK_FILE_NAMES } from '../manifests';
import { MANIFEST_GLOBS } from '../shared/protocol';
import { fileKindOf, isLockFile, worthSniffing } from '../workspace/file-kinds';
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

/** What the scan reads of a file, by its name: the kinds it analyses, or `lock` (it only changes the facts). */
export type ScannedKind = 'python' | 'manifest' | 'artifact' | 'lock';

/** The files of one folder the scan reads, by kind; each list sorted, absolute paths. */
export interface FolderListing {
  python: string[];
  manifests: string[];
  /** By extension, and extension-less files that start like a model file. */
  artifacts: string[];
  lockFiles: string[];
}

/** How many bytes are read to sniff an extension-less file: what the CLI's walk reads (cli/files.ts `readHead`). */
const HEAD_BYTES = 64;

/** The first bytes of a file, read without blocking; nothing when it cannot be read. */
async function readHead(file: string): Promise<Uint8Array> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    // O_NONBLOCK: a FIFO named like a model file must not hang the open.
    fh = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    if (!(await fh.stat()).isFile()) return new Uint8Array(0);
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } catch {
    return new Uint8Array(0);
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** The kind the scan gives a file by its name; lock files first, as the CLI's walk does. */
export function scannedKindOf(file: string): ScannedKind | undefined {
  if (isLockFile(file)) return 'lock';
  const kind = fileKindOf(file);
  return kind === 'notebook' ? undefined : kind;
}

/**
 * Glob patterns for the client's file watchers: every name `scannedKindOf` knows (a superset is fine: each event is
 * routed by `scannedKindOf` and the folder filter). Extension-less model files cannot be watched without watching
 * every file; the workspace scan finds them.
 */
export function watchedGlobs(): string[] {
  const ext = (list: readonly string[]) => list.map((e) => e.replace(/^\./, '')).join(',');
  return [
    '**/*.py',
    '**/.gitignore',
    ...MANIFEST_GLOBS,
    // lock files (manifests/lock.ts)
    `**/{${LOCK_FILE_NAMES.join(',')}}`,
    // model files (artifacts/types.ts)
    `**/*.{${ext(ARTIFACT_EXTENSIONS)}}`,
  ];
}

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

  /** A folder the walk does not enter: skipped by name, a virtual environment, ignored or excluded. */
  private skipsDir(name: string, abs: string): boolean {
    return SKIPPED_DIRS.has(name) || fs.existsSync(path.join(abs, 'pyvenv.cfg')) || this.excluded(abs, true) || this.gitignored(abs, true);
  }

  /** Inside the folder, under no skipped, ignored or excluded folder, and not ignored or excluded itself. */
  visible(abs: string): boolean {
    if (!isInside(abs, this.root) || abs === this.root) return false;
    const segments = path.relative(this.root, abs).split(path.sep);
    let dir = this.root;
    for (const segment of segments.slice(0, -1)) {
      dir = path.join(dir, segment);
      if (this.skipsDir(segment, dir)) return false;
    }
    return !this.excluded(abs) && !this.gitignored(abs, false);
  }

  /**
   * What the scan reads `abs` as, judged by its name and place (no file is opened): undefined when it is not read.
   * An extension-less model file is only found by `list`, which reads first bytes.
   */
  kindOf(abs: string): ScannedKind | undefined {
    const kind = scannedKindOf(abs);
    return kind && this.visible(abs) ? kind : undefined;
  }

  /** Whether the scan analyses `abs` (a Python file, a manifest or a model file with a known extension). */
  includes(abs: string): boolean {
    const kind = this.kindOf(abs);
    return kind !== undefined && kind !== 'lock';
  }

  /**
   * Every file the scan reads, by kind. Symbolic links to folders are not followed. The walk is async; extension-less
   * files are sniffed after it, a few bytes each, without blocking.
   */
  async list(): Promise<FolderListing> {
    const out: FolderListing = { python: [], manifests: [], artifacts: [], lockFiles: [] };
    const sniff: string[] = [];
    const files = await walkFiles(
      this.root,
      (name, abs) => this.skipsDir(name, abs),
      (p) => {
        if (this.excluded(p) || this.gitignored(p, false)) return false;
        if (scannedKindOf(p)) return true;
        if (worthSniffing(p)) sniff.push(path.resolve(p));
        return false;
      },
    ).withPromise();
    for (const f of files) {
      const abs = path.resolve(f);
      const kind = scannedKindOf(abs);
      if (kind === 'python') out.python.push(abs);
      else if (kind === 'manifest') out.manifests.push(abs);
      else if (kind === 'artifact') out.artifacts.push(abs);
      else if (kind === 'lock') out.lockFiles.push(abs);
    }
    for (const abs of sniff) if (looksLikeArtifact(await readHead(abs))) out.artifacts.push(abs);
    for (const list of Object.values(out)) list.sort();
    return out;
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
