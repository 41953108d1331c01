/**
 * The files the AI BOM hashes: model and data files the code loads or the folder holds, and the Python files that
 * load them. Only regular files inside the folder are read, never through a symbolic link (a link to `/dev/zero` or
 * to a file outside the folder is not followed), and each is streamed through SHA-256 up to a size cap, so that a
 * 40 GB checkpoint neither fills memory nor stalls the command.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toPosix } from '../workspace/ignore-rules';

/** Files larger than this are listed with their size but not hashed, unless the caller says otherwise. */
export const DEFAULT_MAX_HASH_BYTES = 1024 * 1024 * 1024;

export interface Digest {
  bytes: number;
  /** Lowercase hex; undefined when the file was not hashed (see `skipped`). */
  sha256?: string;
  /** Why there is no hash: too large, or unreadable. */
  skipped?: string;
}

function inside(abs: string, dir: string): boolean {
  const rel = path.relative(dir, abs);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

function realOrUndefined(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * `rel` (a path relative to `root`, or absolute) as a POSIX path relative to `root`, when it names a regular file
 * inside `root` that is not a symbolic link and whose folders do not lead out of `root` through one.
 */
export function fileInside(root: string, rel: string): string | undefined {
  const base = path.resolve(root);
  const abs = path.resolve(base, rel);
  if (!inside(abs, base)) return undefined;
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(abs);
  } catch {
    return undefined;
  }
  if (!stat.isFile()) return undefined;
  const realRoot = realOrUndefined(base);
  const real = realOrUndefined(abs);
  if (!realRoot || !real || !inside(real, realRoot)) return undefined;
  const out = toPosix(path.relative(base, abs));
  return out === '' ? undefined : out;
}

/**
 * The file a path written in the code names, read as Python would from the folder of the file that loads it or from
 * the folder described (the two usual working directories); undefined for anything else (a folder, a URL, `~`, a
 * path outside the folder).
 */
export function resolveLocalName(root: string, name: string, fromFile: string): string | undefined {
  for (const c of localCandidates(root, name, fromFile)) {
    const hit = fileInside(root, c);
    if (hit) return hit;
  }
  return undefined;
}

/** Where a path written in the code may point, as POSIX paths relative to `root` (not checked on disk). */
export function localCandidates(root: string, name: string, fromFile: string): string[] {
  if (!name || name.includes('\0') || /^[a-z][\w+.-]*:\/\//i.test(name) || name.startsWith('~')) return [];
  const base = path.resolve(root);
  const fromDir = path.posix.dirname(fromFile);
  const raw = path.isAbsolute(name) ? [name] : [...(fromDir !== '.' ? [path.join(fromDir, name)] : []), name];
  return raw.flatMap((c) => {
    const abs = path.resolve(base, c);
    return inside(abs, base) && abs !== base ? [toPosix(path.relative(base, abs))] : [];
  });
}

/** SHA-256 of a file, streamed; files over `maxBytes` are not read. */
export async function digestFile(abs: string, maxBytes: number): Promise<Digest> {
  let size: number;
  try {
    size = fs.statSync(abs).size;
  } catch (err) {
    return { bytes: 0, skipped: `not readable: ${(err as NodeJS.ErrnoException).code ?? 'error'}` };
  }
  if (size > maxBytes) return { bytes: size, skipped: `larger than ${formatBytes(maxBytes)}` };
  const hash = createHash('sha256');
  let read = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      // `end` bounds the read even if the file grows while it is hashed.
      const stream = fs.createReadStream(abs, { highWaterMark: 1 << 20, end: maxBytes > 0 ? maxBytes - 1 : 0 });
      stream.on('data', (chunk) => {
        read += chunk.length;
        hash.update(chunk);
      });
      stream.on('error', reject);
      stream.on('end', resolve);
    });
  } catch (err) {
    return { bytes: size, skipped: `not readable: ${(err as NodeJS.ErrnoException).code ?? 'error'}` };
  }
  if (read !== size) return { bytes: read, skipped: 'changed while it was read' };
  return { bytes: size, sha256: hash.digest('hex') };
}

/** Digests of `rels` (POSIX paths relative to `root`, already checked by `fileInside`), one file at a time. */
export async function digestFiles(root: string, rels: Iterable<string>, maxBytes: number, cancelled: () => boolean = () => false): Promise<Map<string, Digest>> {
  const out = new Map<string, Digest>();
  for (const rel of [...new Set(rels)].sort()) {
    if (cancelled()) break;
    out.set(rel, await digestFile(path.join(path.resolve(root), ...rel.split('/')), maxBytes));
  }
  return out;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024 && n % (1024 * 1024 * 1024) === 0) return `${n / (1024 * 1024 * 1024)} GB`;
  if (n >= 1024 * 1024) return `${Math.round(n / (1024 * 1024))} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}
