/**
 * Gathers `ProjectFacts` from the files a scan found: the torch versions the manifests allow, the lock files (those
 * on disk and requirements files hashed line by line), what the `-c`/`-r` files of requirements files pin, and the
 * model files the artifact scanner flagged. The CLI and the language server both build their facts here before
 * analysing Python code and manifests.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ARTIFACT_LIMITS, scanArtifactFile, verdictOf, type ArtifactLimits, type ArtifactReport } from '../artifacts';
import { decode } from '../engine/decode';
import { isWithin, type FollowedReference, type ProjectFacts, type TorchRequirement } from '../engine/project';
import { LOCK_FILE_NAMES, parseManifest, type ManifestReference, type ParsedManifest } from '../manifests';
import { DEFAULT_SETTINGS } from '../shared/settings';
import { fileKindOf } from './file-kinds';
import { repositoryRoot, toPosix } from './ignore-rules';

export interface ManifestFile {
  file: string;
  /** How the file is named in messages (relative to the project root). */
  display: string;
  parsed: ParsedManifest;
  /** The folder `display` is relative to (`readManifests` sets it; files a `-c`/`-r` names are named from it too). */
  root?: string;
  /** The size limit the file was read under (`readManifests` sets it); its `-c`/`-r` files are read under it too. */
  maxBytes?: number;
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
      out.push({ file, display: path.relative(root, file).split(path.sep).join('/') || path.basename(file), parsed: parseManifest(file, text), root, maxBytes });
    } catch {
      // Reported when the file itself is analysed.
    }
  }
  return out;
}

/** How deep `-c`/`-r` options are followed: a requirements file's own options are level 1. */
export const MAX_REFERENCE_DEPTH = 5;
/** How many `-c`/`-r` options are followed for one requirements file, in all: bounds the work a crafted tree can cause. */
export const MAX_REFERENCE_STEPS = 10_000;

const flag = (ref: ManifestReference) => `${ref.option === 'constraint' ? '-c' : '-r'} ${ref.path}`;

function fsProblem(err: unknown): string {
  switch ((err as NodeJS.ErrnoException)?.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENAMETOOLONG':
      return 'the file name is too long';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

type ReadResult = { parsed: ParsedManifest; real: string } | { problem: string };

/**
 * Reads the requirements files that `-c`/`-r` options name, each at most once (by absolute path), refusing what a
 * scan must not read: a file outside the scan's roots, also through a symbolic link (of the file or of a folder on
 * its path); anything but a regular file (a FIFO would block); a file over the size limit. Never throws.
 */
class ReferencedFiles {
  private readonly roots: string[];
  private readonly realRoots: string[];
  private readonly cache = new Map<string, ReadResult>();

  constructor(roots: readonly string[]) {
    this.roots = roots.map((r) => path.resolve(r));
    this.realRoots = this.roots.flatMap((r) => {
      try {
        return [fs.realpathSync(r)];
      } catch {
        return [];
      }
    });
  }

  read(abs: string, maxBytes: number): ReadResult {
    const key = `${abs}\0${maxBytes}`;
    let r = this.cache.get(key);
    if (!r) this.cache.set(key, (r = this.load(abs, maxBytes)));
    return r;
  }

  private load(abs: string, maxBytes: number): ReadResult {
    if (!this.roots.some((r) => isWithin(r, abs))) return { problem: 'it is outside the scanned folders' };
    let fd: number | undefined;
    try {
      const link = fs.lstatSync(abs).isSymbolicLink();
      const real = fs.realpathSync(abs);
      if (!this.realRoots.some((r) => isWithin(r, real))) return { problem: link ? 'it is a link to a file outside the scanned folders' : 'it is outside the scanned folders' };
      const before = fs.statSync(real);
      if (!before.isFile()) return { problem: 'it is not a regular file' };
      if (before.size > maxBytes) return { problem: `it is over the ${Math.floor(maxBytes / 1024)} KB limit (setting maxFileSizeKb)` };
      // Non-blocking, and checked again once open: the file may have been swapped for a FIFO or a link meanwhile.
      fd = fs.openSync(real, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
      const st = fs.fstatSync(fd);
      if (!st.isFile() || st.ino !== before.ino || st.dev !== before.dev) return { problem: 'it changed while it was read' };
      if (st.size > maxBytes) return { problem: `it is over the ${Math.floor(maxBytes / 1024)} KB limit (setting maxFileSizeKb)` };
      const buf = Buffer.alloc(st.size);
      let n = 0;
      while (n < buf.length) {
        const k = fs.readSync(fd, buf, n, buf.length - n, n);
        if (k === 0) break;
        n += k;
      }
      const decoded = decode(buf.subarray(0, n));
      if (!decoded.ok) return { problem: 'it is not UTF-8 text' };
      return { parsed: parseManifest(abs, decoded.text, 'requirements'), real };
    } catch (err) {
      return { problem: fsProblem(err) };
    } finally {
      if (fd !== undefined) {
        try {
          fs.closeSync(fd);
        } catch {
          // nothing to do
        }
      }
    }
  }
}

/**
 * What the `-c`/`-r` options of each requirements file bring, by the file's absolute path (only files that have
 * such options). Each option is followed as pip does, relative to the folder of the file that names it, and
 * recursively (a `-r` in a constraints file, a `-c` in an included file) to `MAX_REFERENCE_DEPTH` levels, each file
 * once (cycles end there), `MAX_REFERENCE_STEPS` options in all; its `pinned` are the names any of those files pins (`==`, `===`, a hash-pinned URL, a
 * local path), with where. A file that cannot be read (missing, outside the roots, a link out of them, too large, a
 * URL, a path with an environment variable) adds a problem instead. Never throws.
 */
export function followReferences(manifests: readonly ManifestFile[], roots: readonly string[]): Record<string, FollowedReference[]> {
  const files = new ReferencedFiles(roots);
  const out: Record<string, FollowedReference[]> = {};
  for (const m of manifests) {
    const refs = m.parsed.references;
    if (m.parsed.kind !== 'requirements' || !refs?.length) continue;
    try {
      const abs = path.resolve(m.file);
      const root = path.resolve(m.root ?? path.dirname(abs));
      const maxBytes = m.maxBytes ?? DEFAULT_SETTINGS.maxFileSizeKb * 1024;
      const display = (file: string) => {
        const rel = path.relative(root, file);
        return rel === '' ? path.basename(file) : toPosix(rel);
      };
      let realSelf = abs;
      try {
        realSelf = fs.realpathSync(abs);
      } catch {
        // keep the path as given
      }
      let steps = 0;
      // Each option once: the same `-c x` written twice is followed once.
      const distinct = new Map<string, ManifestReference>();
      for (const r of refs) if (!distinct.has(`${r.option}\0${r.path}`)) distinct.set(`${r.option}\0${r.path}`, r);
      out[abs] = [...distinct.values()].map((top) => {
        const followed: FollowedReference = { option: top.option, path: top.path, pinned: {} };
        const problems = new Set<string>();
        const visited = new Set<string>([abs, realSelf]);
        const walk = (from: string, ref: ManifestReference, depth: number) => {
          const named = from === abs ? `\`${flag(ref)}\`` : `\`${flag(ref)}\` in \`${display(from)}\``;
          if (++steps > MAX_REFERENCE_STEPS) {
            problems.add(`\`-r\`/\`-c\` options past the first ${MAX_REFERENCE_STEPS} were not followed`);
            return;
          }
          // pip: `http:`, `https:` and `file:` are URLs; `${VAR}` is expanded from the environment
          let problem: string | undefined;
          if (/^(?:https?|file):/i.test(ref.path)) problem = 'it is a URL, which the scan does not fetch';
          else if (/\$\{[^}]*\}/.test(ref.path)) problem = 'its path holds an environment variable, whose value is not known here';
          if (problem !== undefined) {
            problems.add(`${named} could not be read: ${problem}`);
            return;
          }
          const target = path.resolve(path.dirname(from), ref.path);
          if (visited.has(target)) return;
          if (depth > MAX_REFERENCE_DEPTH) {
            problems.add(`${named} was not followed: more than ${MAX_REFERENCE_DEPTH} levels of \`-r\`/\`-c\``);
            return;
          }
          const result = files.read(target, maxBytes);
          if ('problem' in result) {
            problems.add(`${named} could not be read: ${result.problem}`);
            return;
          }
          // the same file under another name (a link inside the roots) is read once too
          const seen = visited.has(result.real);
          visited.add(target);
          visited.add(result.real);
          if (seen) return;
          for (const dep of result.parsed.dependencies) {
            if (dep.pin === 'pinned' && !Object.hasOwn(followed.pinned, dep.normalized)) followed.pinned[dep.normalized] = `${display(target)}:${dep.span.line + 1}`;
          }
          for (const next of result.parsed.references ?? []) walk(target, next, depth + 1);
        };
        walk(abs, top, 1);
        if (problems.size) followed.problems = [...problems];
        return followed;
      });
    } catch {
      // A bug here must not take the facts down: this file's options are simply not followed.
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
  const constrained = followReferences(manifests, facts.roots!);
  if (Object.keys(constrained).length) facts.constrained = constrained;
  if (Object.keys(flagged).length) facts.artifacts = flagged;
  return facts;
}
