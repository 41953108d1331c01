import * as path from 'node:path';

/**
 * Facts about the project around a file, gathered before its Python files are analysed: what the dependency
 * manifests pin, whether a lock file exists, and which model artifacts the scanner found dangerous. Plain data, so a
 * scan can hand it to its worker threads. Every field is optional: a single file analysed alone has no project.
 */

/** What the model-artifact scanner concluded about one file, as rules on Python code need it. */
export interface ArtifactVerdict {
  /** `error`: a known-dangerous import; `warning`: an unknown import or a stream that could not be read. */
  severity: 'error' | 'warning';
  /** One line for a message: "its pickle imports `os.system`". */
  summary: string;
}

export interface TorchRequirement {
  folder: string;
  minimum?: string;
  where: string;
}

/**
 * One `-c`/`-r` option of a requirements file, as the facts stage followed it (workspace/project-facts.ts): the
 * names the referenced file pins, and those pinned by the files it references in turn (pip resolves one set).
 */
export interface FollowedReference {
  option: 'requirement' | 'constraint';
  /**
   * The path as written in the requirements file. `analyzeManifest` matches it against the file's current text: an
   * unsaved edit that removes the option removes its pins.
   */
  path: string;
  /** PEP 503 names pinned (`pin === 'pinned'`) → where: `constraints.txt:1` (relative as manifests are named). */
  pinned: Record<string, string>;
  /** Why the file, or one it references in turn, could not be read ("`-c constraints.txt` could not be read: no such file"). */
  problems?: string[];
}

export interface ProjectFacts {
  /** Folders the project's relative paths may be read against (workspace folders, the scan's roots). */
  roots?: string[];
  /**
   * Each manifest requirement on torch: the manifest's folder (absolute), the lowest version it allows when it bounds
   * torch from below (`torch==2.6.0`, `torch>=2.6`), and where it says so (`requirements.txt:3`). A Python file is
   * governed by the manifests in its folder and the folders above it: see `torchMinimumFor`.
   */
  torch?: TorchRequirement[];
  /**
   * Lock files found (absolute paths): `poetry.lock`, `uv.lock`, …, or a requirements file with a hash on every
   * line. A lock file covers the manifests in its folder and below.
   */
  lockFiles?: string[];
  /**
   * Requirements files with `-c`/`-r` options, by absolute path: what each option brings (followed relative to the
   * file's folder, recursively, only inside `roots`). SAI701 does not report a floating requirement that one pins.
   */
  constrained?: Record<string, FollowedReference[]>;
  /** Model artifacts the scanner flagged, by absolute path. Safe artifacts are not listed. */
  artifacts?: Record<string, ArtifactVerdict>;
}

/** Whether `file` is `folder` or below it (both absolute; a sibling named `..cache` is not above). */
export function isWithin(folder: string, file: string): boolean {
  const rel = path.relative(folder, file);
  return rel === '' || (!path.isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${path.sep}`));
}

/**
 * The lowest torch version the manifests governing `file` allow: those in its folder or above. Undefined when none
 * names torch, or when one of them leaves it unbounded below (then an older torch may be installed).
 */
export function torchMinimumFor(
  file: string,
  project: ProjectFacts,
  compare: (a: string, b: string) => number,
): { minimum: string; where: string } | undefined {
  const dir = path.dirname(path.resolve(file));
  let best: { minimum: string; where: string } | undefined;
  for (const t of project.torch ?? []) {
    if (!isWithin(t.folder, dir)) continue;
    if (t.minimum === undefined) return undefined;
    if (!best || compare(t.minimum, best.minimum) < 0) best = { minimum: t.minimum, where: t.where };
  }
  return best;
}
