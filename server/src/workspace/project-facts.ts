/**
 * Gathers `ProjectFacts` from the files a scan found: the torch versions the manifests allow, the lock files (those
 * on disk and requirements files hashed line by line), and the model files the artifact scanner flagged. The CLI and
 * the language server both build their facts here before analysing Python code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ARTIFACT_LIMITS, scanArtifactFile, verdictOf, type ArtifactLimits, type ArtifactReport } from '../artifacts';
import { isWithin, type ProjectFacts, type TorchRequirement } from '../engine/project';
import { LOCK_FILE_NAMES, parseManifest, type ParsedManifest } from '../manifests';
import { fileKindOf } from './file-kinds';
import { repositoryRoot } from './ignore-rules';

export interface ManifestFile {
  file: string;
  /** How the file is named in messages (relative to the project root). */
  display: string;
  parsed: ParsedManifest;
}

/** Every requirement on torch in the manifests, with its folder (see `torchMinimumFor` in engine/project.ts). */
export function torchFact(manifests: readonly ManifestFile[]): TorchRequirement[] {
  const out: TorchRequirement[] = [];
  for (const m of manifests) {
    for (const dep of m.parsed.dependencies) {
      if (dep.normalized !== 'torch') continue;
      const t: TorchRequirement = { folder: path.dirname(path.resolve(m.file)), where: `${m.display}:${dep.span.line + 1}` };
      if (dep.minimum !== undefined) t.minimum = dep.minimum;
      out.push(t);
    }
  }
  return out;
}

/** Read and parse the manifests among `files`; unreadable ones are left out (the scan reports them itself). */
export function readManifests(files: readonly string[], root: string, maxBytes: number): ManifestFile[] {
  const out: ManifestFile[] = [];
  for (const file of files) {
    if (fileKindOf(file) !== 'manifest') continue;
    try {
      const stat = fs.statSync(file);
      // Never open a FIFO or a device: reading one can block forever.
      if (!stat.isFile() || stat.size > maxBytes) continue;
      const text = fs.readFileSync(file, 'utf8');
      out.push({ file, display: path.relative(root, file).split(path.sep).join('/') || path.basename(file), parsed: parseManifest(file, text) });
    } catch {
      // Reported when the file itself is analysed.
    }
  }
  return out;
}

/**
 * Lock files in the folders above `root`, up to its repository's root (a scan of `services/api` still sees the
 * `uv.lock` at the top of the repository). None above a folder outside any repository.
 */
export function lockFilesAbove(root: string): string[] {
  const top = repositoryRoot(root);
  if (!top) return [];
  const out: string[] = [];
  for (let dir = path.dirname(path.resolve(root)); isWithin(top, dir); dir = path.dirname(dir)) {
    for (const name of LOCK_FILE_NAMES) {
      const file = path.join(dir, name);
      if (fs.existsSync(file)) out.push(file);
    }
    if (dir === path.dirname(dir)) break;
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
    // A scan never needs the file's hash (the AI bill of materials computes its own): skip reading it whole.
    return { file, report: await scanArtifactFile(file, { ...DEFAULT_ARTIFACT_LIMITS, hash: false, ...limits }) };
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
  if (torch.length) facts.torch = torch;
  if (locks.length) facts.lockFiles = [...new Set(locks)];
  if (Object.keys(flagged).length) facts.artifacts = flagged;
  return facts;
}
