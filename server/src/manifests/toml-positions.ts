/**
 * Where each key and value of a TOML document is. smol-toml parses and validates the document but reports no
 * positions; this scanner runs over a document smol-toml has accepted and records, for every key path
 * (`["project", "dependencies", 2]`), the source range of its key and of its value, and for strings the decoded text
 * with the source position of each character (escapes, line-ending backslashes and the trimmed first newline of
 * multi-line strings included). It handles tables, arrays of tables (also nested), dotted and quoted keys, inline
 * tables and arrays. It never throws: on anything unexpected it stops and keeps what it has recorded, and callers fall
 * back to the nearest recorded ancestor.
 */
import { Mapped, MappedBuilder } from './text';

export type TomlPath = readonly (string | number)[];

export interface TomlLocation {
  /** The key as written (for array elements: the element itself). */
  keyStart: number;
  keyEnd: number;
  /** The value as written (a string with its quotes; a table header for tables). */
  start: number;
  end: number;
  /** Strings: the decoded text, mapped to the source. */
  str?: Mapped;
}

class Stop extends Error {}

const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\', e: '\x1b' };

export class TomlPositions {
  private readonly map = new Map<string, TomlLocation>();

  private constructor() {}

  static scan(text: string): TomlPositions {
    const p = new TomlPositions();
    try {
      new Scanner(text, p.map).run();
    } catch {
      // keep what was recorded (Stop, or a RangeError on absurd nesting)
    }
    return p;
  }

  get(path: TomlPath): TomlLocation | undefined {
    return this.map.get(JSON.stringify(path));
  }

  /** The location of `path`, or of its nearest recorded ancestor. */
  nearest(path: TomlPath): TomlLocation | undefined {
    for (let n = path.length; n > 0; n--) {
      const l = this.get(path.slice(0, n));
      if (l) return l;
    }
    return undefined;
  }
}

class Scanner {
  private pos = 0;
  private table: (string | number)[] = [];
  private readonly aot = new Map<string, number>();

  constructor(
    private readonly s: string,
    private readonly out: Map<string, TomlLocation>,
  ) {}

  run(): void {
    const s = this.s;
    if (s.startsWith('\uFEFF')) this.pos = 1;
    while (this.pos < s.length) {
      const before = this.pos;
      this.skip(true);
      if (this.pos >= s.length) break;
      const start = this.pos;
      if (s[this.pos] === '[') {
        const isArray = s[this.pos + 1] === '[';
        this.pos += isArray ? 2 : 1;
        const keys = this.keys();
        this.ws();
        const close = isArray ? ']]' : ']';
        if (!s.startsWith(close, this.pos)) throw new Stop();
        this.pos += close.length;
        this.table = this.resolve(
          keys.map((k) => k.key),
          isArray,
        );
        // a header: its last key is the key, the whole `[a.b]` the value
        const last = keys[keys.length - 1];
        this.record(this.table, { keyStart: last.start, keyEnd: last.end, start, end: this.pos });
      } else {
        this.keyValue(this.table);
      }
      this.skip(false);
      if (this.pos === before) throw new Stop();
    }
  }

  private resolve(keys: string[], isArray: boolean): (string | number)[] {
    const resolved: (string | number)[] = [];
    keys.forEach((k, i) => {
      resolved.push(k);
      const id = JSON.stringify(resolved);
      if (isArray && i === keys.length - 1) {
        const n = (this.aot.get(id) ?? 0) + 1;
        this.aot.set(id, n);
        resolved.push(n - 1);
      } else {
        const n = this.aot.get(id);
        if (n !== undefined) resolved.push(n - 1);
      }
    });
    return resolved;
  }

  private record(path: readonly (string | number)[], loc: TomlLocation): void {
    const id = JSON.stringify(path);
    if (!this.out.has(id)) this.out.set(id, loc);
  }

  private ws(): void {
    while (this.s[this.pos] === ' ' || this.s[this.pos] === '\t') this.pos++;
  }

  /** Whitespace and comments, and line ends when `newlines`. */
  private skip(newlines: boolean): void {
    const s = this.s;
    for (;;) {
      const c = s[this.pos];
      if (c === ' ' || c === '\t') this.pos++;
      else if (c === '#') {
        while (this.pos < s.length && s[this.pos] !== '\n' && s[this.pos] !== '\r') this.pos++;
      } else if (newlines && (c === '\n' || c === '\r')) this.pos++;
      else return;
    }
  }

  /** A dotted key; each part with the range of its text. */
  private keys(): { key: string; start: number; end: number }[] {
    const out: { key: string; start: number; end: number }[] = [];
    for (;;) {
      this.ws();
      const start = this.pos;
      const c = this.s[this.pos];
      let key: string;
      if (c === '"' || c === "'") key = this.string().text;
      else {
        const m = /[A-Za-z0-9_-]+/y;
        m.lastIndex = this.pos;
        const r = m.exec(this.s);
        if (!r) throw new Stop();
        key = r[0];
        this.pos = m.lastIndex;
      }
      out.push({ key, start, end: this.pos });
      this.ws();
      if (this.s[this.pos] === '.') {
        this.pos++;
        continue;
      }
      return out;
    }
  }

  private keyValue(base: readonly (string | number)[]): void {
    const keys = this.keys();
    const keyStart = keys[0].start;
    const keyEnd = keys[keys.length - 1].end;
    this.ws();
    if (this.s[this.pos] !== '=') throw new Stop();
    this.pos++;
    this.ws();
    this.value([...base, ...keys.map((k) => k.key)], keyStart, keyEnd);
  }

  private value(path: (string | number)[], keyStart: number, keyEnd: number): void {
    const s = this.s;
    const start = this.pos;
    const c = s[this.pos];
    if (c === '"' || c === "'") {
      const str = this.string();
      this.record(path, { keyStart, keyEnd, start, end: this.pos, str });
      return;
    }
    if (c === '[') {
      this.pos++;
      let i = 0;
      for (;;) {
        this.skip(true);
        if (s[this.pos] === ']') {
          this.pos++;
          break;
        }
        const at = this.pos;
        this.value([...path, i++], at, at);
        this.skip(true);
        if (s[this.pos] === ',') this.pos++;
        else if (s[this.pos] === ']') {
          this.pos++;
          break;
        } else throw new Stop();
      }
      this.record(path, { keyStart, keyEnd, start, end: this.pos });
      return;
    }
    if (c === '{') {
      this.pos++;
      this.skip(true);
      if (s[this.pos] === '}') this.pos++;
      else
        for (;;) {
          this.skip(true);
          this.keyValue(path);
          this.skip(true);
          if (s[this.pos] === ',') {
            this.pos++;
            this.skip(true);
            if (s[this.pos] === '}') {
              this.pos++;
              break;
            }
            continue;
          }
          if (s[this.pos] === '}') {
            this.pos++;
            break;
          }
          throw new Stop();
        }
      this.record(path, { keyStart, keyEnd, start, end: this.pos });
      return;
    }
    // numbers, booleans, dates and times (which may hold one space)
    while (this.pos < s.length && !/[,\]}#\r\n]/.test(s[this.pos])) this.pos++;
    let end = this.pos;
    while (end > start && (s[end - 1] === ' ' || s[end - 1] === '\t')) end--;
    if (end === start) throw new Stop();
    this.record(path, { keyStart, keyEnd, start, end });
  }

  private string(): Mapped {
    const s = this.s;
    const open = this.pos;
    const b = new MappedBuilder();
    const triple = s.startsWith('"""', this.pos) || s.startsWith("'''", this.pos);
    const quote = s[this.pos];
    const basic = quote === '"';
    this.pos += triple ? 3 : 1;
    if (triple) {
      if (s[this.pos] === '\n') this.pos++;
      else if (s[this.pos] === '\r' && s[this.pos + 1] === '\n') this.pos += 2;
    }
    let run = this.pos;
    const flush = () => {
      if (this.pos > run) b.push(s.slice(run, this.pos), run);
    };
    for (;;) {
      if (this.pos >= s.length) throw new Stop();
      const c = s[this.pos];
      if (c === quote && (!triple || s.startsWith(quote.repeat(3), this.pos))) {
        flush();
        if (triple) {
          let n = 3;
          while (n < 5 && s[this.pos + n] === quote) n++;
          if (n > 3) b.push(quote.repeat(n - 3), this.pos, n - 3);
          this.pos += n;
        } else this.pos++;
        break;
      }
      if (!triple && (c === '\n' || c === '\r')) throw new Stop();
      if (basic && c === '\\') {
        flush();
        let j = this.pos + 1;
        if (triple) {
          while (s[j] === ' ' || s[j] === '\t') j++;
          if (s[j] === '\n' || s[j] === '\r') {
            // a line-ending backslash: drop it and all whitespace up to the next text
            this.pos = j;
            while (this.pos < s.length && /[ \t\r\n]/.test(s[this.pos])) this.pos++;
            run = this.pos;
            continue;
          }
        }
        this.escape(b);
        run = this.pos;
        continue;
      }
      this.pos++;
    }
    return Mapped.build(b, open + (triple ? 3 : 1));
  }

  private escape(b: MappedBuilder): void {
    const s = this.s;
    const at = this.pos;
    const e = s[at + 1];
    if (e !== undefined && ESCAPES[e] !== undefined) {
      b.push(ESCAPES[e], at, 2);
      this.pos += 2;
      return;
    }
    const len = e === 'u' ? 4 : e === 'U' ? 8 : e === 'x' ? 2 : 0;
    const hex = s.slice(at + 2, at + 2 + len);
    if (!len || !new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(hex)) throw new Stop();
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new Stop();
    b.push(String.fromCodePoint(cp), at, 2 + len);
    this.pos += 2 + len;
  }
}
