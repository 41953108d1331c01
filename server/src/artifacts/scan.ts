/**
 * The model-artifact scanner's entry points: scan a file on disk or bytes in memory, and sum a report up in one line.
 *
 * The format is decided by content first (zip, `.npy`, HDF5, safetensors, compressed or plain pickle), the extension
 * breaking ties: `.pkl`/`.pickle`/`.joblib`/`.dill` and `.pt`/`.pth`/`.ckpt` files are walked as pickles whatever
 * their first bytes (protocols 0 and 1 have no magic, and `pickle.load`/`torch.load` read them anyway); `.bin` only
 * when it starts like a pickle. Nothing is ever unpickled or executed; a scan never throws for bad content, and reads
 * only what it must: the first bytes, pickle streams, zip members through caps, headers. The SHA-256 of the whole
 * file is streamed separately, up to `maxFileBytes`, unless `hash` is off.
 *
 * Two kinds of file are noted (an `info` issue, which SAI210 shows as a notice) rather than scanned: a Git LFS
 * pointer (a checkout without `git lfs pull` leaves a 130-byte text file where the model should be), and anything
 * that is not a regular file (a folder, a FIFO, a device, a symbolic link to one or to nothing), which is never
 * opened for reading.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { Collector, formatBytes } from './collect';
import { hasHdf5Magic, scanHdf5 } from './keras';
import { hasNpyMagic, scanNpy } from './numpy';
import { hasPickleMagic, scanPickles } from './pickle';
import { checkSafetensors, looksLikeSafetensors } from './safetensors';
import { BufferSource, fileRangeStream, FileSource, StreamSource, type ByteSource } from './source';
import { shownError } from './text';
import { ARTIFACT_EXTENSIONS, PICKLE_EXTENSIONS, resolveLimits, type ArtifactLimits, type ArtifactReport } from './types';
import { firstMemberName, hasZipMagic, openZipBuffer, openZipFile, scanZip } from './zip';

/** Extensions `torch.load` is used on: a non-zip file is a legacy pickle to it, whatever its first bytes. */
const TORCH_EXTENSIONS = ['.pt', '.pth', '.ckpt'];
const HEAD_BYTES = 4096;

function extOf(p: string): string {
  return path.extname(p).toLowerCase();
}

/** Whether the path has one of `ARTIFACT_EXTENSIONS` (case-insensitive). */
export function isArtifactPath(p: string): boolean {
  return ARTIFACT_EXTENSIONS.includes(extOf(p));
}

/**
 * Whether a file's first bytes (a few KB) say it is a model artifact, for files with no or an unknown extension: a
 * pickle (see `hasPickleMagic`), an `.npy` array, safetensors, or a zip archive whose first member is a pickle, an
 * array or a Keras config (`archive/data.pkl`, `x.npy`, `config.json`, `metadata.json`).
 */
export function looksLikeArtifact(head: Uint8Array): boolean {
  if (hasZipMagic(head)) {
    const first = firstMemberName(head);
    return first !== undefined && /(^|\/)[^/]*\.(pkl|pickle|npy)$|^(config|metadata)\.json$/.test(first);
  }
  return hasNpyMagic(head) || looksLikeSafetensors(head) || hasPickleMagic(head);
}

const LFS_PREFIX = Buffer.from('version https://git-lfs.github.com/spec/', 'latin1');
/** The Git LFS specification caps pointer files below 1024 bytes. */
const LFS_MAX = 1024;

/**
 * Whether the bytes are a whole Git LFS pointer file: under 1024 bytes of `key value` lines (keys of lower-case
 * letters, digits, `.` and `-`; values of printable ASCII), starting with the spec's `version` line and holding an
 * `oid sha256:<64 hex>` and a `size`. The exact grammar matters: a pointer is not scanned, so a pickle or an archive
 * with a pointer's first line in front of it (zip readers find an archive after a prefix) must not pass for one.
 */
export function isLfsPointer(bytes: Uint8Array): boolean {
  if (bytes.length >= LFS_MAX || bytes.length < LFS_PREFIX.length) return false;
  if (!LFS_PREFIX.every((b, i) => bytes[i] === b)) return false;
  for (const b of bytes) if (b !== 0x0a && b !== 0x0d && (b < 0x20 || b > 0x7e)) return false;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  const lines = text.replace(/\r?\n$/, '').split(/\r?\n/);
  if (!lines.every((l) => /^[a-z0-9.-]+ [\x20-\x7e]*$/.test(l))) return false;
  return /^version https:\/\/git-lfs\.github\.com\/spec\/v\d+$/.test(lines[0]) && lines.some((l) => /^oid sha256:[0-9a-f]{64}$/.test(l)) && lines.some((l) => /^size \d+$/.test(l));
}

type Compression = 'zlib' | 'gzip' | 'bz2' | 'xz' | 'lzma' | 'lz4' | undefined;

function compressionOf(head: Uint8Array): Compression {
  // zlib with a 32 KB window (what Python's zlib and joblib write), no preset dictionary, a valid header check. Other
  // window sizes are left out: their first byte ('(' for 4 KB) is also how protocol-0 pickles start.
  if (head.length >= 2 && head[0] === 0x78 && !(head[1] & 0x20) && ((head[0] << 8) | head[1]) % 31 === 0) return 'zlib';
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 8) return 'gzip';
  if (head.length >= 3 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bz2';
  if (head.length >= 6 && head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a && head[5] === 0) return 'xz';
  if (head.length >= 3 && head[0] === 0x5d && head[1] === 0 && head[2] === 0) return 'lzma';
  if (head.length >= 4 && head[0] === 0x04 && head[1] === 0x22 && head[2] === 0x4d && head[3] === 0x18) return 'lz4';
  return undefined;
}

/** Where a scan reads from: a file handle or bytes. */
type Input = { kind: 'file'; fh: FileHandle; size: number } | { kind: 'bytes'; bytes: Uint8Array };

function sourceOf(input: Input, cap = Infinity): ByteSource {
  return input.kind === 'file' ? new FileSource(input.fh, input.size, cap) : new BufferSource(input.bytes, cap);
}

function rawStream(input: Input): Readable {
  return input.kind === 'file' ? fileRangeStream(input.fh, 0, input.size) : Readable.from([Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.length)]);
}

async function scanInput(input: Input, name: string, col: Collector): Promise<void> {
  const report = col.report;
  const size = input.kind === 'file' ? input.size : input.bytes.length;
  const ext = extOf(name);
  const head = (await sourceOf(input).read(0, HEAD_BYTES)).bytes.subarray(0, HEAD_BYTES);

  if (size < LFS_MAX && isLfsPointer(head.subarray(0, size))) {
    col.issue(
      'not-scanned',
      'info',
      'The file is a Git LFS pointer, not the model; fetch it with `git lfs pull` to have it scanned.',
      'it is a Git LFS pointer, not the model',
    );
    return;
  }
  if (hasZipMagic(head)) {
    report.format = await scanZip(() => (input.kind === 'file' ? openZipFile(input.fh, input.size) : openZipBuffer(input.bytes)), col, { depth: 1, prefix: '', ext });
    return;
  }
  if (hasNpyMagic(head)) {
    report.format = 'numpy';
    await scanNpy(sourceOf(input), col, undefined, col.limits.maxMemberBytes);
    return;
  }
  if (hasHdf5Magic(head)) {
    report.format = 'hdf5';
    await scanHdf5(sourceOf(input), size, col);
    return;
  }
  if (ext === '.safetensors' || looksLikeSafetensors(head, size)) {
    report.format = 'safetensors';
    await checkSafetensors(sourceOf(input), size, col);
    return;
  }
  const pickleByName = PICKLE_EXTENSIONS.includes(ext) || TORCH_EXTENSIONS.includes(ext);
  const compression = compressionOf(head);
  if (compression && PICKLE_EXTENSIONS.includes(ext)) {
    report.format = 'pickle';
    if (compression !== 'zlib' && compression !== 'gzip') {
      col.issue(
        'not-scanned',
        'warning',
        `The file is compressed with ${compression} (as joblib writes with \`compress=\`), which the scanner cannot read, so the pickle inside was not scanned.`,
        `it is a ${compression}-compressed pickle that could not be scanned`,
      );
      return;
    }
    const raw = rawStream(input);
    const inflate = compression === 'zlib' ? zlib.createInflate() : zlib.createGunzip();
    raw.on('error', (err) => inflate.destroy(err));
    raw.pipe(inflate);
    const src = new StreamSource(inflate, col.limits.maxMemberBytes);
    try {
      const result = await scanPickles(src, 0, col.pickleSink(), { multi: true, joblib: true, budget: col.budget });
      col.pickleResult(result);
    } finally {
      src.close();
      raw.destroy();
    }
    return;
  }
  if (hasPickleMagic(head) || pickleByName) {
    const result = await scanPickles(sourceOf(input), 0, col.pickleSink(), { multi: true, joblib: true, budget: col.budget, maxWalk: col.limits.maxMemberBytes });
    report.format = result.legacyTorch ? 'pytorch-legacy' : 'pickle';
    col.pickleResult(result);
    return;
  }
  report.format = 'unknown';
  if (isArtifactPath(name) && size > 0) {
    col.issue('not-scanned', 'info', 'The file is not in a model format the scanner knows (pickle, zip, .npy, HDF5, safetensors), so it was not scanned.', 'it is not in a model format the scanner knows');
  }
}

async function run(report: ArtifactReport, limits: ArtifactLimits, body: (col: Collector) => Promise<void>): Promise<ArtifactReport> {
  const col = new Collector(limits, report);
  try {
    await body(col);
  } catch (err) {
    col.issue('unreadable', 'warning', `The scan stopped on an unexpected error (${shownError(err)}), so the rest of the file was not scanned.`, 'it could not be scanned to the end');
  }
  col.finish();
  return report;
}

function hashNote(col: Collector, size: number): void {
  col.issue(
    'limit',
    'info',
    `The file is ${formatBytes(size)}, over \`maxFileBytes\` (${formatBytes(col.limits.maxFileBytes)}), so it was not hashed; its content was still scanned.`,
    'it is too large to hash',
  );
}

/** What a path that is not a regular file is, for messages. */
function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'a special file';
}

function notRegular(col: Collector, what: string): void {
  col.issue('not-scanned', 'info', `The path is ${what}, not a regular file, so it was not read.`, `it is ${what}, not a regular file`);
}

/** Hash the whole file (up to `maxFileBytes`), or note that it is too large to hash. */
async function hashFile(fh: FileHandle, size: number, col: Collector, report: ArtifactReport): Promise<void> {
  const max = col.limits.maxFileBytes;
  if (size > max) return hashNote(col, size);
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1024 * 1024);
  let at = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, at);
    if (!bytesRead) break;
    hash.update(buf.subarray(0, bytesRead));
    at += bytesRead;
    if (at > max) break;
  }
  if (at <= max) report.sha256 = hash.digest('hex');
}

/**
 * Scan a model file on disk. Never throws: a missing or unreadable file gives an `unreadable` warning; a path that is
 * not a regular file (checked before it is opened, and again on the handle) an `info` `not-scanned` issue.
 */
export async function scanArtifactFile(file: string, limits?: Partial<ArtifactLimits>): Promise<ArtifactReport> {
  const lim = resolveLimits(limits);
  const report: ArtifactReport = { path: file, format: 'unknown', size: 0, imports: [], issues: [] };
  return run(report, lim, async (col) => {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(file);
    } catch (err) {
      // A symbolic link to nothing (an LFS or annex link whose target was not fetched) is not a file to scan.
      const link = await fs.promises.lstat(file).catch(() => undefined);
      if (link?.isSymbolicLink()) notRegular(col, 'a symbolic link to a missing target');
      else col.issue('unreadable', 'warning', `The file could not be read: ${shownError(err)}.`, 'it could not be read');
      return;
    }
    if (!stat.isFile()) return notRegular(col, kindOf(stat));
    let fh: FileHandle;
    try {
      // O_NONBLOCK: should the path turn into a FIFO after the check, opening it must not wait for a writer.
      fh = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    } catch (err) {
      col.issue('unreadable', 'warning', `The file could not be read: ${shownError(err)}.`, 'it could not be read');
      return;
    }
    try {
      const real = await fh.stat();
      if (!real.isFile()) return notRegular(col, kindOf(real));
      report.size = real.size;
      await scanInput({ kind: 'file', fh, size: real.size }, file, col);
      if (lim.hash) await hashFile(fh, real.size, col, report);
    } finally {
      await fh.close().catch(() => undefined);
    }
  });
}

/** Scan a model file's bytes; `name` (a path or file name) gives the extension and the report's `path`. */
export async function scanArtifactBytes(bytes: Uint8Array, name: string, limits?: Partial<ArtifactLimits>): Promise<ArtifactReport> {
  const lim = resolveLimits(limits);
  const report: ArtifactReport = { path: name, format: 'unknown', size: bytes.length, imports: [], issues: [] };
  return run(report, lim, async (col) => {
    await scanInput({ kind: 'bytes', bytes }, name, col);
    if (!lim.hash) return;
    if (bytes.length <= lim.maxFileBytes) report.sha256 = createHash('sha256').update(bytes).digest('hex');
    else hashNote(col, bytes.length);
  });
}

/**
 * The report in one line for a finding: the most severe level among its issues and a phrase about the file ("its
 * pickle imports `os.system`"); undefined when it has no error or warning (a clean file, or only `info` notes).
 */
export function verdictOf(report: ArtifactReport): { severity: 'error' | 'warning'; summary: string } | undefined {
  for (const severity of ['error', 'warning'] as const) {
    const issues = report.issues.filter((i) => i.severity === severity);
    if (!issues.length) continue;
    const imports = issues.filter((i) => i.kind === 'dangerous-import' || (i.kind === 'unknown-import' && /^its (pickle|Keras config) imports `/.test(i.summary)));
    // Several imports of one source read best as one list: "its pickle imports `os.system` and `builtins.eval`".
    if (imports.length === issues.length && imports.length > 1) {
      const source = /^its (pickle|Keras config) imports/.exec(imports[0].summary)![1];
      if (imports.every((i) => i.summary.startsWith(`its ${source} imports`))) {
        const names = [...new Set(imports.map((i) => /`[^`]+`/.exec(i.summary)![0]))];
        const tail = severity === 'warning' ? ', which are not on the allowlist' : '';
        if (names.length === 1) return { severity, summary: imports[0].summary };
        const list = names.length <= 3 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : `${names.slice(0, 2).join(', ')} and ${names.length - 2} more`;
        return { severity, summary: `its ${source} imports ${list}${tail}` };
      }
    }
    const more = issues.length - 1;
    return { severity, summary: more ? `${issues[0].summary} (and ${more} more ${severity === 'error' ? 'problem' : 'warning'}${more > 1 ? 's' : ''})` : issues[0].summary };
  }
  return undefined;
}
