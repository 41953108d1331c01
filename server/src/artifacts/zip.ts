/**
 * Zip archives: PyTorch checkpoints (`torch.save` since 1.6, TorchScript), `.npz` arrays, Keras 3 `.keras` models and
 * any other zip with an artifact extension. The central directory is listed (at most `maxMembers` entries, names
 * decoded without yauzl's file-name checks so that a hostile name cannot stop the listing), then members are streamed
 * one at a time through a cap: `maxMemberBytes` each and `maxTotalUncompressedBytes` for the file, whatever sizes the
 * directory claims. A zip bomb, or a member whose claimed size lies, stops at the cap with a `limit` issue.
 *
 * Which members are read, by content rather than by name:
 * - tensor storages are skipped unread: a member `<dir>/data/<key>` of an archive that has `<dir>/data.pkl` (unless
 *   its name ends in `.pkl`). `torch.load` copies them into tensors as raw bytes and never unpickles them, and raw
 *   bytes often begin like a pickle by chance;
 * - every other member is opened and its first bytes decide: a pickle (PROTO 2 to 5, as every `data.pkl`,
 *   `constants.pkl` and `.debug_pkl` starts), or a name ending in `.pkl`/`.pickle`/`.joblib`/`.dill`, is walked as a
 *   pickle; `\x93NUMPY` is an `.npy` array; `PK\x03\x04` is a nested archive, opened up to `maxZipDepth` deep (it is
 *   read into memory, within `maxMemberBytes`, because a zip needs random access); anything else is left alone
 *   (protocol 0/1 pickles, which have no magic, are only found by name inside archives);
 * - a Keras archive's `config.json` is checked for `Lambda` layers.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import type { Collector } from './collect';
import { formatBytes } from './collect';
import { checkKerasConfigText } from './keras';
import { hasNpyMagic, scanNpy } from './numpy';
import { scanPickles } from './pickle';
import { fileRangeStream, readAll, StreamSource, type ByteSource } from './source';
import { shownError, shownMember } from './text';
import { PICKLE_EXTENSIONS, type ArtifactFormat } from './types';

const ZIP_OPTIONS: yauzl.Options = { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false, strictFileNames: false };

/** The streams of members are read in windows of this size. */
const MEMBER_WINDOW = 256 * 1024;

export function hasZipMagic(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

/** The name of the first member, from the first local file header (for sniffing a file without an extension). */
export function firstMemberName(head: Uint8Array): string | undefined {
  if (head.length < 30 || !(head[2] === 3 && head[3] === 4)) return undefined;
  const len = head[26] | (head[27] << 8);
  if (head.length < 30 + len) return undefined;
  return Buffer.from(head.subarray(30, 30 + len)).toString('latin1');
}

/** yauzl's random-access reader over a file handle this module does not own (it never closes it). */
class FileHandleReader extends yauzl.RandomAccessReader {
  constructor(private readonly fh: FileHandle) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return fileRangeStream(this.fh, start, end);
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    this.fh.read(buffer, offset, length, position).then(
      ({ bytesRead }) => callback(bytesRead < length ? new Error('unexpected EOF') : null),
      (err: Error) => callback(err),
    );
  }

  override close(callback: (err: Error | null) => void): void {
    setImmediate(() => callback(null));
  }
}

function promised(open: (cb: (err: Error | null, zip: yauzl.ZipFile) => void) => void): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    try {
      open((err, zip) => (err ? reject(err) : resolve(zip)));
    } catch (err) {
      reject(err as Error);
    }
  });
}

export function openZipFile(fh: FileHandle, size: number): Promise<yauzl.ZipFile> {
  return promised((cb) => yauzl.fromRandomAccessReader(new FileHandleReader(fh), size, ZIP_OPTIONS, cb));
}

export function openZipBuffer(buf: Uint8Array): Promise<yauzl.ZipFile> {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  return promised((cb) => yauzl.fromBuffer(b, ZIP_OPTIONS, cb));
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const done = () => {
      zip.removeListener('entry', onEntry);
      zip.removeListener('end', onEnd);
      zip.removeListener('error', onError);
    };
    const onEntry = (e: yauzl.Entry) => (done(), resolve(e));
    const onEnd = () => (done(), resolve(null));
    const onError = (err: Error) => (done(), reject(err));
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

function entryName(e: yauzl.Entry): string {
  const raw = e.fileName as unknown;
  try {
    return yauzl.getFileNameLowLevel(e.generalPurposeBitFlag, raw as Buffer, e.extraFields, false);
  } catch {
    return Buffer.isBuffer(raw) ? raw.toString('latin1') : String(raw);
  }
}

function openStream(zip: yauzl.ZipFile, e: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    try {
      zip.openReadStream(e, (err, stream) => {
        if (err) return reject(err);
        stream.on('error', () => undefined);
        resolve(stream);
      });
    } catch (err) {
      reject(err as Error);
    }
  });
}

const ext = (name: string) => {
  const m = /\.[^./]*$/.exec(name);
  return m ? m[0].toLowerCase() : '';
};

export interface ZipScanOptions {
  depth: number;
  /** Prefix of member names in messages (`outer.zip!/`). */
  prefix: string;
  /** The archive's own extension (`.keras`, `.npz`, ...). */
  ext: string;
}

/** The format an archive's member names say it is. */
export function zipFormat(names: string[], archiveExt: string): ArtifactFormat {
  const files = names.filter((n) => !n.endsWith('/'));
  if (files.some((n) => /(^|\/)(data|constants)\.pkl$/.test(n))) return 'pytorch-zip';
  if (files.includes('config.json') && (files.includes('metadata.json') || archiveExt === '.keras')) return 'keras';
  if (archiveExt === '.npz' || (files.length > 0 && files.every((n) => n.endsWith('.npy')))) return 'numpy-zip';
  return 'zip';
}

/** Scan the archive `open` yields; returns its format. Never throws for bad content. */
export async function scanZip(open: () => Promise<yauzl.ZipFile>, col: Collector, opts: ZipScanOptions): Promise<ArtifactFormat> {
  const label = opts.prefix ? `The archive \`${shownMember(opts.prefix.slice(0, -2))}\`` : 'The archive';
  let zip: yauzl.ZipFile;
  try {
    zip = await open();
  } catch (err) {
    col.issue('unreadable', 'warning', `${label} is not a readable zip archive: ${shownError(err)}.`, 'it is not a readable zip archive', opts.prefix ? opts.prefix.slice(0, -2) : undefined);
    return 'zip';
  }
  zip.on('error', () => undefined);
  try {
    const entries: Array<{ name: string; entry: yauzl.Entry }> = [];
    for (;;) {
      if (entries.length >= col.limits.maxMembers) {
        col.issue(
          'limit',
          'warning',
          `${label} lists ${zip.entryCount.toLocaleString('en-US')} members; only the first ${col.limits.maxMembers.toLocaleString('en-US')} (\`maxMembers\`) were scanned.`,
          `it has more than ${col.limits.maxMembers.toLocaleString('en-US')} members, not all scanned`,
        );
        break;
      }
      let e: yauzl.Entry | null;
      try {
        e = await nextEntry(zip);
      } catch (err) {
        col.issue('unreadable', 'warning', `${label}'s directory could not be read after ${entries.length} members (${shownError(err)}), so the members after them were not scanned.`, 'its zip directory is corrupt', opts.prefix ? opts.prefix.slice(0, -2) : undefined);
        break;
      }
      if (!e) break;
      entries.push({ name: entryName(e), entry: e });
    }
    const names = entries.map((e) => e.name);
    const nameSet = new Set(names);
    const format = zipFormat(names, opts.ext);

    for (const { name, entry } of entries) {
      if (name.endsWith('/')) continue;
      const storage = /^(.*\/)?data\/[^/]+$/.exec(name);
      if (storage && nameSet.has(`${storage[1] ?? ''}data.pkl`) && !name.endsWith('.pkl')) continue;
      const member = opts.prefix + name;
      const shownName = shownMember(member);
      if (col.inflated >= col.limits.maxTotalUncompressedBytes) {
        col.issue(
          'limit',
          'warning',
          `${label}'s members inflate to more than ${formatBytes(col.limits.maxTotalUncompressedBytes)} (\`maxTotalUncompressedBytes\`), so \`${shownName}\` and the members after it were not scanned.`,
          `its members inflate to more than ${formatBytes(col.limits.maxTotalUncompressedBytes)}, not all scanned`,
        );
        break;
      }
      if (entry.isEncrypted()) {
        col.issue('not-scanned', 'warning', `The member \`${shownName}\` is encrypted, so it could not be scanned.`, `its member \`${shownName}\` is encrypted and was not scanned`, member);
        continue;
      }
      let stream: Readable;
      try {
        stream = await openStream(zip, entry);
      } catch (err) {
        col.issue('not-scanned', 'warning', `The member \`${shownName}\` could not be read (${shownError(err)}), so it was not scanned.`, `its member \`${shownName}\` could not be read`, member);
        continue;
      }
      const cap = Math.min(col.limits.maxMemberBytes, col.limits.maxTotalUncompressedBytes - col.inflated);
      const src = new StreamSource(stream, cap, MEMBER_WINDOW);
      try {
        await scanMember(src, name, member, format, col, opts);
      } finally {
        col.inflated += src.consumed;
        src.close();
      }
    }
    return format;
  } finally {
    zip.close();
  }
}

async function scanMember(src: ByteSource, name: string, member: string, format: ArtifactFormat, col: Collector, opts: ZipScanOptions): Promise<void> {
  const shownName = shownMember(member);
  const capNote = (what: string) =>
    col.issue(
      'limit',
      'warning',
      `The member \`${shownName}\` ${what} inflates to more than ${formatBytes(src.consumed)} (the cap \`maxMemberBytes\` or \`maxTotalUncompressedBytes\`), so it was not scanned whole.`,
      `its member \`${shownName}\` is larger than the scan's cap`,
      member,
    );
  if (format === 'keras' && name === 'config.json') {
    const { bytes, complete } = await readAll(src);
    if (!complete) {
      if (src.capped) capNote('(the Keras config)');
      else col.issue('unreadable', 'warning', `The Keras config \`${shownName}\` could not be read: ${shownError(src.failure)}.`, 'its Keras config could not be read', member);
      return;
    }
    checkKerasConfigText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'), col, member);
    return;
  }
  const head = await src.read(0, 16);
  const b = head.bytes;
  if (hasZipMagic(b)) {
    if (opts.depth + 1 > col.limits.maxZipDepth) {
      col.issue(
        'limit',
        'warning',
        `The member \`${shownName}\` is an archive nested ${opts.depth + 1} deep, past the ${col.limits.maxZipDepth} levels opened (\`maxZipDepth\`), so it was not scanned.`,
        `it nests archives more than ${col.limits.maxZipDepth} deep, not all scanned`,
        member,
      );
      return;
    }
    const { bytes, complete } = await readAll(src);
    if (!complete) {
      if (src.capped) capNote('(a nested archive)');
      else col.issue('unreadable', 'warning', `The member \`${shownName}\` could not be read: ${shownError(src.failure)}.`, `its member \`${shownName}\` could not be read`, member);
      return;
    }
    await scanZip(() => openZipBuffer(bytes), col, { depth: opts.depth + 1, prefix: `${member}!/`, ext: ext(name) });
    return;
  }
  if (hasNpyMagic(b)) {
    await scanNpy(src, col, member);
    return;
  }
  const pickleMagic = b.length >= 2 && b[0] === 0x80 && b[1] >= 2 && b[1] <= 5;
  if (pickleMagic || PICKLE_EXTENSIONS.includes(ext(name))) {
    const result = await scanPickles(src, 0, col.pickleSink(member), { multi: true, joblib: true, budget: col.budget });
    col.pickleResult(result, member);
  }
}
