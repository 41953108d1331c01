/**
 * Byte sources the scanners read through: a buffer, a file on disk (random access), or a stream (a zip member, an
 * inflated file; forward only). Each hands out windows of bytes from an offset, counts the bytes it has read or
 * inflated, and stops at a cap: then it reports the end of its data and `capped`, so a parser sees a short input and
 * the caller turns that into a `limit` issue rather than a parse error.
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** Bytes from `start` (the offset asked for); `eof` when they run to the end of the source (or of its cap). */
export interface Window {
  bytes: Uint8Array;
  start: number;
  eof: boolean;
}

export interface ByteSource {
  /**
   * Bytes from `offset`: at least `min` of them unless the source ends first (then `eof`), usually more. Offsets must
   * not go back before an earlier request's offset (a stream cannot rewind).
   */
  read(offset: number, min: number): Promise<Window>;
  /** The source's length when known. */
  readonly size: number | undefined;
  /** Bytes read from disk or inflated so far. */
  readonly consumed: number;
  /** True once the cap stopped reading before the source's end. */
  readonly capped: boolean;
  /** Why the source ended early without a cap (a stream error), if it did. */
  readonly failure: string | undefined;
  /** Release what the source holds (a stream is destroyed). */
  close(): void;
}

/** The usual size of a window: large enough that windows are few, small enough to keep memory flat. */
export const WINDOW_BYTES = 1024 * 1024;

const EMPTY = new Uint8Array(0);

/** A window over bytes in memory. `cap` limits the bytes handed out (a skipped region is not counted). */
export class BufferSource implements ByteSource {
  consumed = 0;
  capped = false;
  readonly failure = undefined;
  private hwm = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly cap = Infinity,
  ) {}

  get size(): number {
    return this.buf.length;
  }

  async read(offset: number, min: number): Promise<Window> {
    return this.readSync(offset, min);
  }

  readSync(offset: number, min: number): Window {
    if (offset >= this.buf.length) return { bytes: EMPTY, start: offset, eof: true };
    let end = Math.min(this.buf.length, offset + Math.max(min, WINDOW_BYTES));
    const from = Math.max(offset, this.hwm);
    if (end > from) {
      if (this.consumed + (end - from) > this.cap) {
        end = from + Math.max(0, this.cap - this.consumed);
        this.capped = true;
      }
      this.consumed += end - from;
      this.hwm = Math.max(this.hwm, end);
    }
    return { bytes: this.buf.subarray(offset, end), start: offset, eof: end >= this.buf.length || this.capped };
  }

  close(): void {}
}

/** Windows read from a file on disk, between `base` and `base + size`. */
export class FileSource implements ByteSource {
  consumed = 0;
  capped = false;
  failure: string | undefined;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly cap = Infinity,
    private readonly base = 0,
  ) {}

  /** The last window read, reused when a request falls inside it (a skip of a few KB does not read 1 MB again). */
  private last: { start: number; bytes: Uint8Array; eof: boolean } | undefined;

  async read(offset: number, min: number): Promise<Window> {
    if (offset >= this.size || this.failure) return { bytes: EMPTY, start: offset, eof: true };
    const last = this.last;
    if (last && offset >= last.start && (offset + min <= last.start + last.bytes.length || last.eof)) {
      const bytes = last.bytes.subarray(offset - last.start);
      if (bytes.length) return { bytes, start: offset, eof: last.eof };
    }
    let len = Math.min(this.size - offset, Math.max(min, WINDOW_BYTES));
    if (this.consumed + len > this.cap) {
      len = Math.max(0, this.cap - this.consumed);
      this.capped = true;
    }
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    try {
      while (got < len) {
        const { bytesRead } = await this.fh.read(buf, got, len - got, this.base + offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
    } catch (err) {
      this.failure = (err as Error).message;
    }
    this.consumed += got;
    const eof = this.capped || got < len || offset + got >= this.size;
    this.last = { start: offset, bytes: buf.subarray(0, got), eof };
    return { bytes: buf.subarray(0, got), start: offset, eof };
  }

  close(): void {}
}

/** Windows over a stream, forward only. Data skipped over is still pulled (and counted), then dropped. */
export class StreamSource implements ByteSource {
  consumed = 0;
  capped = false;
  failure: string | undefined;
  readonly size = undefined;
  private chunks: Uint8Array[] = [];
  /** The offset of chunks[0][0]. */
  private bufStart = 0;
  private bufLen = 0;
  private ended = false;
  private readonly it: AsyncIterator<Buffer>;

  constructor(
    private readonly stream: Readable,
    private readonly cap = Infinity,
    private readonly window = WINDOW_BYTES,
  ) {
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private async pull(): Promise<boolean> {
    if (this.ended || this.capped) return false;
    if (this.consumed >= this.cap) {
      this.capped = true;
      return false;
    }
    let r: IteratorResult<Buffer>;
    try {
      r = await this.it.next();
    } catch (err) {
      this.failure = (err as Error).message || String(err);
      this.ended = true;
      return false;
    }
    if (r.done) {
      this.ended = true;
      return false;
    }
    let chunk: Uint8Array = r.value;
    if (this.consumed + chunk.length > this.cap) {
      chunk = chunk.subarray(0, this.cap - this.consumed);
      this.capped = true;
    }
    this.consumed += chunk.length;
    this.chunks.push(chunk);
    this.bufLen += chunk.length;
    return true;
  }

  private drop(upTo: number): void {
    while (this.chunks.length && this.bufStart + this.chunks[0].length <= upTo) {
      this.bufStart += this.chunks[0].length;
      this.bufLen -= this.chunks[0].length;
      this.chunks.shift();
    }
    if (this.chunks.length && this.bufStart < upTo) {
      const cut = upTo - this.bufStart;
      this.chunks[0] = this.chunks[0].subarray(cut);
      this.bufStart = upTo;
      this.bufLen -= cut;
    }
  }

  async read(offset: number, min: number): Promise<Window> {
    if (offset < this.bufStart) throw new Error(`StreamSource cannot rewind from ${this.bufStart} to ${offset}`);
    // Skip forward: drop what is buffered before the offset, pulling (and dropping) until it is reached.
    this.drop(offset);
    while (this.bufStart + this.bufLen < offset) {
      if (!(await this.pull())) break;
      this.drop(offset);
    }
    if (this.bufStart < offset) return { bytes: EMPTY, start: offset, eof: true };
    const want = Math.max(min, this.window);
    while (this.bufLen < want) {
      if (!(await this.pull())) break;
    }
    if (this.chunks.length > 1) {
      this.chunks = [Buffer.concat(this.chunks)];
    }
    const bytes = this.chunks[0] ?? EMPTY;
    return { bytes, start: offset, eof: this.ended || this.capped };
  }

  close(): void {
    this.chunks = [];
    this.bufLen = 0;
    this.ended = true;
    try {
      void this.it.return?.().catch(() => undefined);
    } catch {
      // already destroyed
    }
    try {
      this.stream.destroy();
    } catch {
      // yauzl's destroy after the end
    }
  }
}

/** All of a source's bytes from `offset`, up to its cap; `complete` when the source ended before the cap. */
export async function readAll(src: ByteSource, offset = 0): Promise<{ bytes: Uint8Array; complete: boolean }> {
  const parts: Uint8Array[] = [];
  let at = offset;
  for (;;) {
    const w = await src.read(at, 1);
    if (w.bytes.length) parts.push(w.bytes.slice());
    at += w.bytes.length;
    if (w.eof || w.bytes.length === 0) break;
  }
  return { bytes: parts.length === 1 ? parts[0] : Buffer.concat(parts), complete: !src.capped && !src.failure };
}

/**
 * A stream of the bytes `start` to `end` (exclusive) of a file handle, read with positioned reads. Unlike
 * `FileHandle.createReadStream`, destroying it never closes the handle, which the caller owns.
 */
export function fileRangeStream(fh: FileHandle, start: number, end: number, chunk = 64 * 1024): Readable {
  let pos = start;
  return new Readable({
    read() {
      const len = Math.min(chunk, end - pos);
      if (len <= 0) {
        this.push(null);
        return;
      }
      const buf = Buffer.allocUnsafe(len);
      fh.read(buf, 0, len, pos).then(
        ({ bytesRead }) => {
          if (!bytesRead) {
            this.push(null);
            return;
          }
          pos += bytesRead;
          this.push(buf.subarray(0, bytesRead));
        },
        (err: Error) => this.destroy(err),
      );
    },
  });
}
