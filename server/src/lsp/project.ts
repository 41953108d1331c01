/**
 * The workspace's `ProjectFacts` in the language server: which dependency manifests, lock files and model files the
 * workspace holds (as the scan and the file watchers found them), the model-artifact scanner's last report of each
 * model file, and the facts built from them with the CLI's functions (workspace/project-facts.ts). The session asks
 * for the facts to be recomputed when one of those files changes, and re-analyses what the change can affect.
 *
 * The facts read manifests as saved on disk, not the text of an open editor: a manifest's edits count once saved.
 */
import * as fs from 'node:fs';
import type { ProjectFacts } from '../engine/project';
import type { Settings } from '../shared/settings';
import { RULES_BY_ID } from '../rules';
import { buildFacts, lockFilesAbove, readManifests, scanArtifact, type ArtifactScan, type ManifestFile } from '../workspace/project-facts';
import { isInside } from './workspace-files';

/**
 * The rules on Python code whose findings depend on `ProjectFacts` (the torch version the manifests allow, flagged
 * model files). A file from disk that names none of their trigger words cannot change when the facts do.
 */
const FACT_READING_RULES = ['SAI202', 'SAI210'];
const FACT_TRIGGERS = FACT_READING_RULES.flatMap((id) => RULES_BY_ID.get(id)?.triggers ?? []).map((w) => Buffer.from(w, 'utf8'));

/** Whether a Python file's bytes may give a fact-reading rule something to find (a cheap superset of its prefilter). */
export function mayReadFacts(bytes: Uint8Array): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return FACT_TRIGGERS.some((w) => buf.includes(w));
}

interface CachedScan {
  /** The file's size, modification and change times, and the size limit, the scan was made for ('' : never reused). */
  stamp: string;
  scan: ArtifactScan;
}

export interface Folder {
  uri: string;
  path: string;
}

export class WorkspaceProject {
  /** Dependency manifests the scan reads (absolute paths). */
  readonly manifests = new Set<string>();
  /** Lock files (`poetry.lock`, `uv.lock`, …) the scan found. */
  readonly lockFiles = new Set<string>();
  /** Model files the scan reads, with their last scan (none yet, or none because the file is excluded). */
  private readonly artifacts = new Map<string, CachedScan | undefined>();
  /** The current facts (the session replaces them with each computation); `roots` only until the first one. */
  facts: ProjectFacts = {};

  /** Start over from a fresh listing of the workspace; scans of model files still listed are kept (and reused if unchanged). */
  reset(listing: { manifests: readonly string[]; lockFiles: readonly string[]; artifacts: readonly string[] }): void {
    const keep = new Set(listing.artifacts);
    for (const file of [...this.artifacts.keys()]) if (!keep.has(file)) this.artifacts.delete(file);
    for (const file of listing.artifacts) if (!this.artifacts.has(file)) this.artifacts.set(file, undefined);
    this.manifests.clear();
    for (const m of listing.manifests) this.manifests.add(m);
    this.lockFiles.clear();
    for (const l of listing.lockFiles) this.lockFiles.add(l);
  }

  isArtifact(file: string): boolean {
    return this.artifacts.has(file);
  }

  /**
   * Scan one model file (`maxMb`: the `maxModelFileSizeMb` setting), or reuse its last scan when neither the file's
   * size and modification time nor the limit changed: a rescan of the workspace does not read every checkpoint again.
   * The scanner streams the file and reads only its pickle streams, headers and (for the hash) chunks: it is async
   * and never holds the thread for a whole file.
   */
  async scanArtifact(file: string, maxMb: number): Promise<ArtifactScan> {
    let stamp = '';
    try {
      const st = await fs.promises.stat(file);
      // ctime too: a change of permissions can make an unreadable file readable.
      stamp = `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${maxMb}`;
    } catch {
      // scanArtifact says why; an empty stamp is never reused
    }
    const cached = this.artifacts.get(file);
    if (stamp && cached?.stamp === stamp) return cached.scan;
    const scan = await scanArtifact(file, maxMb);
    // A file forgotten meanwhile (deleted) stays forgotten.
    if (this.artifacts.has(file)) this.artifacts.set(file, { stamp: scan.error ? '' : stamp, scan });
    return scan;
  }

  /** A model file found by a file watcher. */
  addArtifact(file: string): void {
    if (!this.artifacts.has(file)) this.artifacts.set(file, undefined);
  }

  /** A model file that is known but not scanned (disabled or excluded by a setting): it flags nothing. */
  clearArtifact(file: string): void {
    if (this.artifacts.has(file)) this.artifacts.set(file, undefined);
  }

  /** A model file that is gone. */
  forgetArtifact(file: string): boolean {
    return this.artifacts.delete(file);
  }

  /**
   * The facts from the files known now. Manifests are read from disk here (they are small; `maxFileSizeKb` of their
   * folder bounds each), grouped by workspace folder so that a message names `requirements.txt:3` relative to it.
   */
  async compute(folders: readonly Folder[], settingsOf: (folder: Folder) => Promise<Settings>): Promise<ProjectFacts> {
    const parsed: ManifestFile[] = [];
    const byFolder = new Map<Folder, string[]>();
    for (const file of [...this.manifests].sort()) {
      const folder = folderOf(folders, file);
      if (!folder) continue;
      const list = byFolder.get(folder) ?? [];
      list.push(file);
      byFolder.set(folder, list);
    }
    for (const [folder, files] of byFolder) {
      const settings = await settingsOf(folder);
      parsed.push(...readManifests(files, folder.path, settings.maxFileSizeKb * 1024));
    }
    const scans = [...this.artifacts.values()].flatMap((c) => (c ? [c.scan] : []));
    // Sorted inputs: the same files give the same facts, so the session can tell whether anything changed.
    // As the CLI does with its roots: lock files in the folders above a workspace folder, up to its repository's
    // root, cover its manifests too (they are outside the workspace, so only a scan sees them change).
    const above = folders.flatMap((f) => lockFilesAbove(f.path));
    return buildFacts(
      folders.map((f) => f.path),
      parsed,
      [...new Set([...this.lockFiles, ...above])].sort(),
      scans.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
    );
  }
}

/** The innermost workspace folder that holds `abs`. */
export function folderOf<F extends { path: string }>(folders: readonly F[], abs: string): F | undefined {
  let best: F | undefined;
  for (const f of folders) if (isInside(abs, f.path) && (!best || f.path.length > best.path.length)) best = f;
  return best;
}
