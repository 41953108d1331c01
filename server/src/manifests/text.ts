/**
 * Positions in manifest text: 0-based lines and UTF-16 columns (what LSP and the engine use), and `Mapped`, a piece
 * of text that was cut, joined or decoded from the source (a requirement joined over `\` continuations, a TOML
 * string with escapes, a shell word without its quotes) that still knows where each of its characters came from.
 */

export interface Span {
  line: number;
  character: number;
  endLine: number;
  endCharacter: number;
}

/** Offsets to line/character. Line ends are `\r\n`, `\n` and a lone `\r`, as LSP counts them. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }

  position(offset: number): { line: number; character: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - this.starts[lo] };
  }

  span(start: number, end: number): Span {
    const a = this.position(start);
    const b = this.position(Math.max(start, end));
    return { line: a.line, character: a.character, endLine: b.line, endCharacter: b.character };
  }

  /** Offset of a 0-based line and column (clamped to the text). */
  offsetAt(line: number, character: number): number {
    const l = Math.max(0, Math.min(line, this.starts.length - 1));
    return Math.min(this.text.length, this.starts[l] + Math.max(0, character));
  }

  /** The offset just before the line end of the line holding `offset`. */
  lineEnd(offset: number): number {
    let i = Math.max(0, Math.min(offset, this.text.length));
    while (i < this.text.length && this.text[i] !== '\n' && this.text[i] !== '\r') i++;
    return i;
  }
}

/**
 * One run of a mapped text: logical characters [t, t + tn) came from source [s, s + sn). When tn === sn the run is
 * a verbatim copy (character k maps to s + k); otherwise it was decoded (an escape) and every character of it maps
 * to the whole source run.
 */
interface Segment {
  t: number;
  tn: number;
  s: number;
  sn: number;
}

export class Mapped {
  private constructor(
    /** The logical text of this view. */
    readonly text: string,
    private readonly segs: readonly Segment[],
    /** Where this view starts in the logical text the segments describe. */
    private readonly lo: number,
    /** Source offset used for an empty text. */
    private readonly anchor: number,
  ) {}

  /** `text` copied verbatim from the source at `offset`. */
  static identity(text: string, offset: number): Mapped {
    return new Mapped(text, text.length ? [{ t: 0, tn: text.length, s: offset, sn: text.length }] : [], 0, offset);
  }

  /** Every character of `text` maps to the whole source range [start, end): the fallback when a decoding is unknown. */
  static atomic(text: string, start: number, end: number): Mapped {
    return new Mapped(text, text.length ? [{ t: 0, tn: text.length, s: start, sn: end - start }] : [], 0, start);
  }

  static build(parts: MappedBuilder, anchor: number): Mapped {
    const text = parts.text();
    return new Mapped(text, parts.segments(), 0, anchor);
  }

  get length(): number {
    return this.text.length;
  }

  private find(j: number): Segment | undefined {
    const segs = this.segs;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const g = segs[mid];
      if (j < g.t) hi = mid - 1;
      else if (j >= g.t + g.tn) lo = mid + 1;
      else return g;
    }
    return undefined;
  }

  /** Source offset where logical character `i` starts (for i === length: where the text ends). */
  start(i: number): number {
    if (this.text.length === 0) return this.anchor;
    if (i >= this.text.length) return this.end(this.text.length);
    const j = this.lo + Math.max(0, i);
    const g = this.find(j);
    if (!g) return this.anchor;
    return g.tn === g.sn ? g.s + (j - g.t) : g.s;
  }

  /** Source offset just after logical character `i - 1` (for i === 0: where the text starts). */
  end(i: number): number {
    if (this.text.length === 0) return this.anchor;
    const k = Math.min(i, this.text.length);
    if (k <= 0) return this.start(0);
    const j = this.lo + k - 1;
    const g = this.find(j);
    if (!g) return this.anchor;
    return g.tn === g.sn ? g.s + (j - g.t) + 1 : g.s + g.sn;
  }

  /** The view of logical characters [from, to). */
  slice(from: number, to: number = this.text.length): Mapped {
    const a = Math.max(0, Math.min(from, this.text.length));
    const b = Math.max(a, Math.min(to, this.text.length));
    return new Mapped(this.text.slice(a, b), this.segs, this.lo + a, this.start(a));
  }

  /** The view without leading and trailing spaces and tabs. */
  trim(): Mapped {
    let a = 0;
    let b = this.text.length;
    while (a < b && isSpace(this.text.charCodeAt(a))) a++;
    while (b > a && isSpace(this.text.charCodeAt(b - 1))) b--;
    return this.slice(a, b);
  }
}

/** Builds a `Mapped` piece by piece, merging verbatim runs that follow each other in the source. */
export class MappedBuilder {
  private readonly parts: string[] = [];
  private readonly segs: Segment[] = [];
  private t = 0;

  /** Appends `text` that came from source [s, s + sn); verbatim when sn is omitted or equals text.length. */
  push(text: string, s: number, sn: number = text.length): void {
    if (!text.length) return;
    this.parts.push(text);
    const last = this.segs[this.segs.length - 1];
    if (sn === text.length && last && last.tn === last.sn && last.s + last.sn === s) {
      last.tn += text.length;
      last.sn += text.length;
    } else this.segs.push({ t: this.t, tn: text.length, s, sn });
    this.t += text.length;
  }

  get length(): number {
    return this.t;
  }

  text(): string {
    return this.parts.join('');
  }

  segments(): Segment[] {
    return this.segs.map((g) => ({ ...g }));
  }
}

export function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}
