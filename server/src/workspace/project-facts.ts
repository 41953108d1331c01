/**
 * Gathers `ProjectFacts` from the files a scan found: the torch version the manifests allow, the lock files (those
 * on disk and requirements files hashed line by line), and the model files the artifact scanner flagged. The CLI and
 * the language server both build their facts here before analysing Python code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ARTIFACT_LIMITS, scanArtifactFile, verdictOf, type ArtifactLimits, type ArtifactReport } from '../artifacts';
import type { ProjectFacts } from '../engine/project';
import { compareVersions, parseManifest, type ParsedManifest } from '../manifests';
import { fileKindOf } from './file-kinds';

export interface ManifestFile {
  file: string;
  /** How the file is named in messages (relative to the project root). */
  display: string;
  parsed: ParsedManifest;
}

/**
 * The lowest torch version every manifest that names torch allows, when each one bounds it from below; undefined
 * when no manifest names torch or one of them leaves it unbounded (then an old torch may be installed).
 */
export function torchFact(manifests: readonly ManifestFile[]): ProjectFacts['torch'] {
  let best: { minimum: string; where: string } | undefined;
  let named = false;
  for (const m of manifests) {
    for (const dep of m.parsed.dependencies) {
      if (dep.normalized !== 'torch') continue;
      named = true;
      if (dep.minimum === undefined) return undefined;
      const where = `${m.display}:${dep.span.line + 1}`;
      if (!best || compareVersions(dep.minimum, best.minimum) < 0) best = { minimum: dep.minimum, where };
    }
  }
  return named ? best : undefined;
}


/** Read and parse the manifests among `files`; unreadable ones are left out (the scan reports them itself). */
export function readManifests(files: readonly string[], root: string, maxBytes: number): ManifestFile[] {
  const out: ManifestFile[] = [];
  for (const file of files) {
    if (fileKindOf(file) !== 'manifest') continue;
    try {
      if (fs.statSync(file).size > maxBytes) continue;
      const text = fs.readFileSync(file, 'utf8');
      out.push({ file, display: path.relative(root, file).split(path.sep).join('/') || path.basename(file), parsed: parseManifest(file, text) });
    } catch {
      // Reported when the file itself is analysed.
    }
  }
  return out;
}

export interface ArtifactScan {
  file: string;
  /** Undefined when the file was not scanned: `skipped` says why (too large, unreadable), or `error` (a bug). */
  report?: ArtifactReport;
  skipped?: string;
  error?: string;
}

/** Scan one model file, unless it is over `maxMb` (the `maxModelFileSizeMb` setting). Never throws. */
export async function scanArtifact(file: string, maxMb: number, limits: Partial<ArtifactLimits> = {}): Promise<ArtifactScan> {
  try {
    const size = (await fs.promises.stat(file)).size;
    if (size > maxMb * 1024 * 1024) {
      const mb = Math.ceil(size / (1024 * 1024));
      return { file, skipped: `the model file is ${mb} MB, over the ${maxMb} MB limit (setting maxModelFileSizeMb), so it was not scanned` };
    }
    return { file, report: await scanArtifactFile(file, { ...DEFAULT_ARTIFACT_LIMITS, ...limits }) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code) return { file, skipped: `could not read the model file (${code})` };
    return { file, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Scan the model files among `files`, one after another (each scan is bounded by the scanner's limits). */
export async function scanArtifacts(
  files: readonly string[],
  maxMb: number,
  cancelled: () => boolean = () => false,
): Promise<ArtifactScan[]> {
  const out: ArtifactScan[] = [];
  for (const file of files) {
    if (cancelled()) break;
    out.push(await scanArtifact(file, maxMb));
  }
  return out;
}

export function buildFacts(
  roots: readonly string[],
  manifests: readonly ManifestFile[],
  lockFiles: readonly string[],
  artifacts: readonly ArtifactScan[],
): ProjectFacts {
  const flagged: NonNullable<ProjectFacts['artifacts']> = {};
  for (const a of artifacts) {
    const v = a.report && verdictOf(a.report);
    if (v) flagged[path.resolve(a.file)] = v;
  }
  const locks = [...lockFiles.map((f) => path.resolve(f)), ...manifests.filter((m) => m.parsed.fullyHashed).map((m) => path.resolve(m.file))];
  const facts: ProjectFacts = { roots: roots.map((r) => path.resolve(r)) };
  const torch = torchFact(manifests);
  if (torch) facts.torch = torch;
  if (locks.length) facts.lockFiles = [...new Set(locks)];
  if (Object.keys(flagged).length) facts.artifacts = flagged;
  return facts;
}
