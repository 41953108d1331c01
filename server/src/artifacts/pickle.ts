/**
 * A pickle opcode walker that never unpickles: it reads the opcode stream of every protocol (0 to 5) and keeps a
 * model of the unpickler's stack and memo just precise enough to name what the stream imports.
 *
 * - Imports come from `GLOBAL` and `INST` (a "module\nname\n" argument), `STACK_GLOBAL` (two strings on the stack:
 *   pushed by the string opcodes, or fetched from the memo with `GET`/`BINGET`/`LONG_BINGET` after `PUT`/`BINPUT`/
 *   `LONG_BINPUT`/`MEMOIZE`), and the extension codes `EXT1`/`EXT2`/`EXT4`. A `STACK_GLOBAL` whose operands are not
 *   both known strings (a string built by a call, for instance) is reported as unresolved: a classic evasion.
 * - The model follows CPython's C unpickler where it stops (unknown opcode, stack underflow, a missing `MARK`, a memo
 *   key never stored, a truncated argument), so what is reported as unreadable is where `pickle.load` stops too; where
 *   the model cannot know a value it carries an "unknown" value on and keeps reading. Imports found before a stop are
 *   kept: the unpickler runs what it has read before it fails.
 * - The walker is resumable: it works on windows of bytes and asks for the next one (`need`), so a pickle of any size
 *   is read through a bounded buffer, and large `bytes`/string payloads are skipped, not read. Lines, and strings kept
 *   for their value, are bounded; memo entries, retained strings, containers and their items are capped (a huge memo
 *   index costs nothing: dense indices live in an array, others in a Map).
 * - joblib: after the `BUILD` of a `NumpyArrayWrapper`, joblib writes the array's raw bytes (or, for an object array, a
 *   nested pickle) into the stream. The walker works out their length from the wrapper's state (shape, dtype,
 *   alignment padding) and skips them, or walks the nested pickle. Because `pickle.load` of the same file would read
 *   those bytes as opcodes, a look-ahead also walks them that way and reports any import found there.
 */
import type { ByteSource, Window } from './source';
import { shown } from './text';

// ---------------------------------------------------------------------------------------------------------------
// Opcodes (pickletools' names)

const MARK = 0x28, STOP = 0x2e, POP = 0x30, POP_MARK = 0x31, DUP = 0x32, FLOAT = 0x46, INT = 0x49, BININT = 0x4a;
const BININT1 = 0x4b, LONG = 0x4c, BININT2 = 0x4d, NONE = 0x4e, PERSID = 0x50, BINPERSID = 0x51, REDUCE = 0x52;
const STRING = 0x53, BINSTRING = 0x54, SHORT_BINSTRING = 0x55, UNICODE = 0x56, BINUNICODE = 0x58, APPEND = 0x61;
const BUILD = 0x62, GLOBAL = 0x63, DICT = 0x64, EMPTY_DICT = 0x7d, APPENDS = 0x65, GET = 0x67, BINGET = 0x68;
const INST = 0x69, LONG_BINGET = 0x6a, LIST = 0x6c, EMPTY_LIST = 0x5d, OBJ = 0x6f, PUT = 0x70, BINPUT = 0x71;
const LONG_BINPUT = 0x72, SETITEM = 0x73, TUPLE = 0x74, EMPTY_TUPLE = 0x29, SETITEMS = 0x75, BINFLOAT = 0x47;
const PROTO = 0x80, NEWOBJ = 0x81, EXT1 = 0x82, EXT2 = 0x83, EXT4 = 0x84, TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87;
const NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a, LONG4 = 0x8b, BINBYTES = 0x42, SHORT_BINBYTES = 0x43;
const SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e, EMPTY_SET = 0x8f, ADDITEMS = 0x90;
const FROZENSET = 0x91, NEWOBJ_EX = 0x92, STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95, BYTEARRAY8 = 0x96;
const NEXT_BUFFER = 0x97, READONLY_BUFFER = 0x98;

const OPNAMES: Record<number, string> = {
  [MARK]: 'MARK', [STOP]: 'STOP', [POP]: 'POP', [POP_MARK]: 'POP_MARK', [DUP]: 'DUP', [FLOAT]: 'FLOAT', [INT]: 'INT',
  [BININT]: 'BININT', [BININT1]: 'BININT1', [LONG]: 'LONG', [BININT2]: 'BININT2', [NONE]: 'NONE', [PERSID]: 'PERSID',
  [BINPERSID]: 'BINPERSID', [REDUCE]: 'REDUCE', [STRING]: 'STRING', [BINSTRING]: 'BINSTRING',
  [SHORT_BINSTRING]: 'SHORT_BINSTRING', [UNICODE]: 'UNICODE', [BINUNICODE]: 'BINUNICODE', [APPEND]: 'APPEND',
  [BUILD]: 'BUILD', [GLOBAL]: 'GLOBAL', [DICT]: 'DICT', [EMPTY_DICT]: 'EMPTY_DICT', [APPENDS]: 'APPENDS', [GET]: 'GET',
  [BINGET]: 'BINGET', [INST]: 'INST', [LONG_BINGET]: 'LONG_BINGET', [LIST]: 'LIST', [EMPTY_LIST]: 'EMPTY_LIST',
  [OBJ]: 'OBJ', [PUT]: 'PUT', [BINPUT]: 'BINPUT', [LONG_BINPUT]: 'LONG_BINPUT', [SETITEM]: 'SETITEM', [TUPLE]: 'TUPLE',
  [EMPTY_TUPLE]: 'EMPTY_TUPLE', [SETITEMS]: 'SETITEMS', [BINFLOAT]: 'BINFLOAT', [PROTO]: 'PROTO', [NEWOBJ]: 'NEWOBJ',
  [EXT1]: 'EXT1', [EXT2]: 'EXT2', [EXT4]: 'EXT4', [TUPLE1]: 'TUPLE1', [TUPLE2]: 'TUPLE2', [TUPLE3]: 'TUPLE3',
  [NEWTRUE]: 'NEWTRUE', [NEWFALSE]: 'NEWFALSE', [LONG1]: 'LONG1', [LONG4]: 'LONG4', [BINBYTES]: 'BINBYTES',
  [SHORT_BINBYTES]: 'SHORT_BINBYTES', [SHORT_BINUNICODE]: 'SHORT_BINUNICODE', [BINUNICODE8]: 'BINUNICODE8',
  [BINBYTES8]: 'BINBYTES8', [EMPTY_SET]: 'EMPTY_SET', [ADDITEMS]: 'ADDITEMS', [FROZENSET]: 'FROZENSET',
  [NEWOBJ_EX]: 'NEWOBJ_EX', [STACK_GLOBAL]: 'STACK_GLOBAL', [MEMOIZE]: 'MEMOIZE', [FRAME]: 'FRAME',
  [BYTEARRAY8]: 'BYTEARRAY8', [NEXT_BUFFER]: 'NEXT_BUFFER', [READONLY_BUFFER]: 'READONLY_BUFFER',
};

/** Whether a byte is a pickle opcode (of any protocol). */
export const IS_OPCODE: readonly boolean[] = Array.from({ length: 256 }, (_, i) => OPNAMES[i] !== undefined);

/** The first bytes of a legacy (pre-1.6) `torch.save` file: its first pickle is the magic number 0x1950a86a20f9469cfc6c. */
export const TORCH_LEGACY_MAGIC = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]);

// ---------------------------------------------------------------------------------------------------------------
// Values of the model

interface Opaque {
  readonly k: 'opaque';
  readonly what: string;
}
interface Seq {
  readonly k: 'tuple' | 'list' | 'set' | 'frozenset';
  items: Val[];
  n: number;
}
interface DictV {
  readonly k: 'dict';
  keys: Val[];
  vals: Val[];
  n: number;
}
interface GlobalV {
  readonly k: 'global';
  readonly module: string | undefined;
  readonly name: string | undefined;
}
interface ObjV {
  readonly k: 'obj';
  readonly fn: Val;
  readonly args: Val;
  state?: Val;
}
/** A short string, a small int, or a node. */
type Val = string | number | Opaque | Seq | DictV | GlobalV | ObjV;

const opaque = (what: string): Opaque => Object.freeze({ k: 'opaque', what });
const V_NONE = opaque('None');
const V_TRUE = opaque('True');
const V_FALSE = opaque('False');
const V_FLOAT = opaque('float');
const V_BIGINT = opaque('int');
const V_BYTES = opaque('bytes');
/** A string too long (or too many) to keep: its value is unknown. */
const V_BIGSTR = opaque('str');
const V_PID = opaque('persistent id');
const V_BUFFER = opaque('buffer');
const V_ARRAY = opaque('array');
const V_UNKNOWN = opaque('unknown');
/** A list, set or dict past the node budget. */
const V_CONTAINER = opaque('container');
/** Every empty tuple (tuples are never changed). */
const EMPTY_TUPLE_V: Seq = Object.freeze({ k: 'tuple', items: Object.freeze([]) as unknown as Val[], n: 0 });

/** Values whose type STACK_GLOBAL rejects (it wants two `str`), so that the unpickler stops there. */
function notAString(v: Val): boolean {
  if (typeof v === 'number') return true;
  if (typeof v === 'string') return false;
  switch (v.k) {
    case 'opaque':
      return v === V_NONE || v === V_TRUE || v === V_FALSE || v === V_FLOAT || v === V_BIGINT || v === V_BYTES || v === V_CONTAINER;
    case 'obj':
      return false;
    default:
      return true;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Bounds

/** Strings longer than this (in bytes) are skipped, not kept: no module or attribute name is that long. */
const STR_KEEP = 1024;
/** The longest text line (GLOBAL, INST, STRING, ...) read; a longer value line is skipped, a longer GLOBAL is an error. */
const LINE_MAX = 64 * 1024;
/** Items kept per container (enough for a shape or a joblib wrapper's state); the rest are counted only. */
const ITEMS_KEPT = 64;
/** Containers and objects whose items are kept; beyond that they keep counts only. */
const NODES_KEPT = 100_000;
/** Memo entries kept (dense indices, the usual case); beyond that a GET of a missing key yields an unknown value. */
const MEMO_KEPT = 500_000;
/** Memo entries kept at sparse indices (a Map). */
const MEMO_SPARSE_KEPT = 100_000;
/** Characters of strings kept over a whole walk. */
const CHARS_KEPT = 8 * 1024 * 1024;
/** The deepest stack (or number of open marks) followed; Python's picklers batch items by the thousand. */
export const STACK_MAX = 1_000_000;
/** How far the look-ahead walks joblib's array bytes as `pickle.load` would read them. */
export const SHADOW_LOOKAHEAD = 64 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Walker

/** What the walker reports, as it reads. */
export interface PickleSink {
  /** A global imported by GLOBAL, INST or STACK_GLOBAL. `shadow`: found in joblib array bytes read as opcodes. */
  global(module: string, name: string, offset: number, op: string, shadow: boolean): void;
  /** A global whose module or name cannot be known statically (STACK_GLOBAL of unknown values, EXT codes). */
  unresolved(offset: number, detail: string, shadow: boolean): void;
  /** joblib array bytes that still read as valid opcodes after the look-ahead: `pickle.load` of the file may run them. */
  shadowUndecided(offset: number): void;
}

export interface OpcodeBudget {
  used: number;
  max: number;
}

export type Step =
  | { kind: 'need'; offset: number; min: number }
  | { kind: 'stop' }
  | { kind: 'error'; offset: number; message: string; truncated: boolean }
  /** The opcode budget is spent (`stack`: the stack or the marks grew past STACK_MAX). */
  | { kind: 'limit'; stack?: boolean; walked?: boolean };

interface WalkerOptions {
  /** Follow joblib's array layout after a NumpyArrayWrapper's BUILD. */
  joblib?: boolean;
  /** The look-ahead over joblib array bytes: stack underflow and missing memo keys give unknown values. */
  lenient?: boolean;
  /** Only check that the bytes read as opcodes (for sniffing): names must be identifiers; nothing is reported. */
  dryRun?: boolean;
  /** Stop after walking this many bytes (skipped payloads not counted). */
  maxWalk?: number;
}

interface PendingJoblib {
  wrapperOffset: number;
  object: boolean;
  alignment: boolean;
  bytes: number;
}

/** The unpickler's memo: indices 0, 1, 2, ... (what picklers write) in an array, any other index in a Map. */
class Memo {
  private dense: Val[] = [];
  private sparse = new Map<number, Val>();
  /** Distinct keys stored (MEMOIZE's next index), dropped ones included. */
  count = 0;
  /** Some entry was not kept: a missing key may have been stored. */
  dropped = false;

  put(index: number, v: Val): void {
    if (index < this.dense.length) {
      this.dense[index] = v;
      return;
    }
    if (this.sparse.has(index)) {
      this.sparse.set(index, v);
      return;
    }
    this.count++;
    if (index === this.dense.length && index < MEMO_KEPT) {
      this.dense.push(v);
      // Keys stored ahead of the dense run join it once it reaches them.
      while (this.sparse.has(this.dense.length)) {
        const next = this.dense.length;
        this.dense.push(this.sparse.get(next)!);
        this.sparse.delete(next);
      }
    } else if (this.sparse.size < MEMO_SPARSE_KEPT) this.sparse.set(index, v);
    else this.dropped = true;
  }

  get(index: number): Val | undefined {
    return index < this.dense.length ? this.dense[index] : this.sparse.get(index);
  }
}

interface Saved {
  stack: Val[];
  marks: number[];
  memo: Memo;
}

const utf8 = new TextDecoder('utf-8');

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

const u16 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const u32 = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16)) + b[i + 3] * 0x1000000;
const i32 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
/** An 8-byte little-endian length; Infinity when it does not fit a safe integer. */
const u64 = (b: Uint8Array, i: number) => {
  const hi = u32(b, i + 4);
  return hi >= 0x200000 ? Infinity : hi * 0x100000000 + u32(b, i);
};

const IDENT = /^[A-Za-z_][\w.]*$/;

export class PickleWalker {
  /** The offset of the next opcode. */
  pos: number;
  /** Opcodes walked by this walker (the budget counts all walkers of a file). */
  ops = 0;
  private stack: Val[] = [];
  private marks: number[] = [];
  private memo = new Memo();
  private nodes = 0;
  private chars = 0;
  /** A long value line being skipped: its opcode. */
  private pendingLine: { op: number; start: number } | undefined;
  private pendingJoblib: PendingJoblib | undefined;
  /** The outer unpickler's state while the nested pickle of a joblib object array is read. */
  private outer: Saved | undefined;
  /** What was skipped last (an opcode's payload, joblib array bytes), for the message when it runs past the end. */
  private skipped: { what: string; at: number } | undefined;
  /** Bytes skipped over (payloads not kept, joblib arrays): they are not walked. */
  private skippedBytes = 0;
  private readonly start: number;

  constructor(
    private readonly sink: PickleSink,
    private readonly budget: OpcodeBudget,
    start: number,
    private readonly opts: WalkerOptions = {},
    private readonly parentMemo?: Memo,
  ) {
    this.pos = start;
    this.start = start;
  }

  /** Bytes walked so far (skipped payloads not counted). */
  get walked(): number {
    return this.pos - this.start - this.skippedBytes;
  }

  /** Start the next pickle of the stream (after a STOP): a fresh stack, the same memo (one Unpickler reads on). */
  nextPickle(): void {
    this.stack = [];
    this.marks = [];
  }

  private fail(offset: number, message: string, truncated = false): Step {
    return { kind: 'error', offset, message, truncated };
  }

  private underflow(offset: number, op: number): Step {
    return this.fail(offset, `${OPNAMES[op]} at byte ${offset} finds the stack empty (stack underflow)`);
  }

  /** The op needs `len` bytes from its start: ask for them, or fail when the data ends first. */
  private short(w: Window, opStart: number, len: number, op: number): Step {
    if (w.eof) return this.fail(opStart, `the ${OPNAMES[op] ?? 'opcode'} at byte ${opStart} runs past the end of the data (truncated)`, true);
    return { kind: 'need', offset: opStart, min: len };
  }

  private pop(): Val | undefined {
    const fence = this.marks.length ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length <= fence) return this.opts.lenient ? V_UNKNOWN : undefined;
    return this.stack.pop();
  }

  private peek(): Val | undefined {
    if (this.stack.length === 0) return this.opts.lenient ? V_UNKNOWN : undefined;
    return this.stack[this.stack.length - 1];
  }

  private popMark(): Val[] | undefined {
    if (!this.marks.length) return this.opts.lenient ? this.stack.splice(0) : undefined;
    const at = this.marks.pop()!;
    return this.stack.splice(at);
  }

  private str(s: string): Val {
    this.chars += s.length;
    return this.chars > CHARS_KEPT ? V_BIGSTR : s;
  }

  /**
   * A container. Past the node budget, lists and sets (mutable, filled later, never read for a name) are one shared
   * unknown value; tuples stay (a shape or a dtype's arguments may be read), without their items.
   */
  private seq(k: Seq['k'], items: Val[]): Seq | Opaque {
    this.nodes++;
    if (k === 'tuple' && !items.length) return EMPTY_TUPLE_V;
    const past = this.nodes > NODES_KEPT;
    if (past && k !== 'tuple') return V_CONTAINER;
    return { k, items: past ? [] : items.length > ITEMS_KEPT ? items.slice(0, ITEMS_KEPT) : items, n: items.length };
  }

  private addItems(target: Val | undefined, items: Val[]): void {
    if (!target || typeof target !== 'object' || !('items' in target) || target.k === 'tuple') return;
    target.n += items.length;
    if (this.nodes > NODES_KEPT) return;
    for (const it of items) {
      if (target.items.length >= ITEMS_KEPT) break;
      target.items.push(it);
    }
  }

  private dict(): DictV | Opaque {
    this.nodes++;
    return this.nodes > NODES_KEPT ? V_CONTAINER : { k: 'dict', keys: [], vals: [], n: 0 };
  }

  private setItems(target: Val | undefined, kv: Val[]): void {
    if (!target || typeof target !== 'object' || target.k !== 'dict') return;
    for (let i = 0; i + 1 < kv.length; i += 2) {
      target.n++;
      if (this.nodes > NODES_KEPT) continue;
      const at = typeof kv[i] === 'string' ? target.keys.indexOf(kv[i]) : -1;
      if (at >= 0) target.vals[at] = kv[i + 1];
      else if (target.keys.length < ITEMS_KEPT) {
        target.keys.push(kv[i]);
        target.vals.push(kv[i + 1]);
      }
    }
  }

  private obj(fn: Val, args: Val): ObjV {
    this.nodes++;
    return { k: 'obj', fn, args };
  }

  private memoPut(index: number, v: Val): void {
    // Containers past the retention budget are stored as unknown: only strings, globals and objects matter later.
    this.memo.put(index, this.nodes > NODES_KEPT && typeof v === 'object' && v.k !== 'global' && v.k !== 'opaque' && v.k !== 'obj' ? V_UNKNOWN : v);
  }

  private memoGet(index: number): Val | undefined {
    const v = this.memo.get(index) ?? this.parentMemo?.get(index);
    if (v !== undefined) return v;
    return this.memo.dropped || this.opts.lenient ? V_UNKNOWN : undefined;
  }

  private global(module: string, name: string, offset: number, op: string): Step | undefined {
    if (this.opts.dryRun) {
      if (!IDENT.test(module) || !IDENT.test(name)) return this.fail(offset, 'not an identifier');
      return undefined;
    }
    this.sink.global(module, name, offset, op, !!this.opts.lenient);
    return undefined;
  }

  /**
   * Walk opcodes of the window until the pickle stops, more bytes are needed, the stream is broken or the budget is
   * spent. Resumable: call again with the window asked for.
   */
  run(w: Window): Step {
    const b = w.bytes;
    const base = w.start;
    for (;;) {
      const p = this.pos - base;
      if (p < 0) return { kind: 'need', offset: this.pos, min: 1 };

      if (this.pendingLine) {
        const nl = b.indexOf(0x0a, p);
        if (nl < 0) {
          if (w.eof) return this.fail(this.pendingLine.start, `the ${OPNAMES[this.pendingLine.op]} at byte ${this.pendingLine.start} has no end of line (truncated)`, true);
          this.pos = base + b.length;
          return { kind: 'need', offset: this.pos, min: 1 };
        }
        this.pos = base + nl + 1;
        const op = this.pendingLine.op;
        this.pendingLine = undefined;
        if (op !== PUT) this.stack.push(op === PERSID ? V_PID : op === GET ? V_UNKNOWN : V_BIGSTR);
        continue;
      }

      if (this.pendingJoblib) {
        const step = this.afterJoblibWrapper(w);
        if (step) return step;
        continue;
      }

      if (p >= b.length) {
        if (!w.eof) return { kind: 'need', offset: this.pos, min: 1 };
        if (this.skipped && this.pos > base + b.length) {
          return this.fail(this.skipped.at, `${this.skipped.what} at byte ${this.skipped.at} runs past the end of the data (truncated)`, true);
        }
        return this.fail(this.pos, `the pickle ends at byte ${this.pos} without a STOP opcode (truncated)`, true);
      }
      if (this.budget.used >= this.budget.max) return { kind: 'limit' };
      if (this.opts.maxWalk !== undefined && this.pos - this.start - this.skippedBytes > this.opts.maxWalk) return { kind: 'limit', walked: true };
      if (this.stack.length > STACK_MAX || this.marks.length > STACK_MAX) return { kind: 'limit', stack: true };
      this.budget.used++;
      this.ops++;

      const op = b[p];
      const at = this.pos;
      const avail = b.length - p;
      switch (op) {
        // ---- stack and marks
        case MARK:
          this.marks.push(this.stack.length);
          this.pos = at + 1;
          break;
        case STOP: {
          const top = this.pop();
          if (top === undefined) return this.underflow(at, op);
          this.pos = at + 1;
          if (this.outer) {
            this.leaveNested();
            break;
          }
          return { kind: 'stop' };
        }
        case POP: {
          const fence = this.marks.length ? this.marks[this.marks.length - 1] : 0;
          if (this.marks.length && fence === this.stack.length) this.marks.pop();
          else if (this.pop() === undefined) return this.underflow(at, op);
          this.pos = at + 1;
          break;
        }
        case POP_MARK:
          if (!this.popMark()) return this.fail(at, `POP_MARK at byte ${at} finds no MARK`);
          this.pos = at + 1;
          break;
        case DUP:
          if (this.stack.length <= (this.marks[this.marks.length - 1] ?? 0)) {
            if (!this.opts.lenient) return this.underflow(at, op);
            this.stack.push(V_UNKNOWN);
          } else this.stack.push(this.stack[this.stack.length - 1]);
          this.pos = at + 1;
          break;

        // ---- constants
        case NONE:
          this.stack.push(V_NONE);
          this.pos = at + 1;
          break;
        case NEWTRUE:
          this.stack.push(V_TRUE);
          this.pos = at + 1;
          break;
        case NEWFALSE:
          this.stack.push(V_FALSE);
          this.pos = at + 1;
          break;
        case BININT:
          if (avail < 5) return this.short(w, at, 5, op);
          this.stack.push(i32(b, p + 1));
          this.pos = at + 5;
          break;
        case BININT1:
          if (avail < 2) return this.short(w, at, 2, op);
          this.stack.push(b[p + 1]);
          this.pos = at + 2;
          break;
        case BININT2:
          if (avail < 3) return this.short(w, at, 3, op);
          this.stack.push(u16(b, p + 1));
          this.pos = at + 3;
          break;
        case BINFLOAT:
          if (avail < 9) return this.short(w, at, 9, op);
          this.stack.push(V_FLOAT);
          this.pos = at + 9;
          break;
        case LONG1: {
          if (avail < 2) return this.short(w, at, 2, op);
          const n = b[p + 1];
          if (avail < 2 + n) return this.short(w, at, 2 + n, op);
          this.stack.push(smallLong(b, p + 2, n));
          this.pos = at + 2 + n;
          break;
        }
        case LONG4: {
          if (avail < 5) return this.short(w, at, 5, op);
          const n = i32(b, p + 1);
          if (n < 0) return this.fail(at, `LONG4 at byte ${at} has a negative byte count`);
          this.skipTo(`the ${OPNAMES[op]}`, at, at + 5 + n);
          this.stack.push(V_BIGINT);
          break;
        }
        case INT:
        case LONG:
        case FLOAT:
        case PERSID:
        case PUT:
        case GET: {
          const line = this.readLine(w, p + 1, at, op);
          if (typeof line !== 'string') {
            if (line) return line;
            break; // a long line: being skipped
          }
          const r = this.valueLine(op, line, at);
          if (r) return r;
          break;
        }
        case BINPERSID:
          if (this.pop() === undefined) return this.underflow(at, op);
          this.stack.push(V_PID);
          this.pos = at + 1;
          break;

        // ---- strings and bytes
        case STRING: {
          const line = this.readLine(w, p + 1, at, op);
          if (typeof line !== 'string') {
            if (line) return line;
            break;
          }
          const s = pyStringLiteral(line);
          if (s === undefined) return this.fail(at, `the STRING at byte ${at} is not quoted`);
          this.stack.push(this.str(s));
          break;
        }
        case UNICODE: {
          const line = this.readLine(w, p + 1, at, op);
          if (typeof line !== 'string') {
            if (line) return line;
            break;
          }
          this.stack.push(this.str(rawUnicodeEscape(line)));
          break;
        }
        case SHORT_BINSTRING:
        case SHORT_BINBYTES:
        case SHORT_BINUNICODE: {
          if (avail < 2) return this.short(w, at, 2, op);
          const n = b[p + 1];
          if (avail < 2 + n) return this.short(w, at, 2 + n, op);
          const body = b.subarray(p + 2, p + 2 + n);
          this.stack.push(op === SHORT_BINBYTES ? V_BYTES : this.str(op === SHORT_BINUNICODE ? utf8.decode(body) : latin1(body)));
          this.pos = at + 2 + n;
          break;
        }
        case BINSTRING:
        case BINUNICODE:
        case BINBYTES: {
          if (avail < 5) return this.short(w, at, 5, op);
          const n = op === BINSTRING ? i32(b, p + 1) : u32(b, p + 1);
          if (n < 0) return this.fail(at, `BINSTRING at byte ${at} has a negative length`);
          const r = this.lengthPrefixed(w, op, at, p, 5, n);
          if (r) return r;
          break;
        }
        case BINUNICODE8:
        case BINBYTES8:
        case BYTEARRAY8: {
          if (avail < 9) return this.short(w, at, 9, op);
          const n = u64(b, p + 1);
          const r = this.lengthPrefixed(w, op, at, p, 9, n);
          if (r) return r;
          break;
        }

        // ---- containers
        case EMPTY_TUPLE:
          this.stack.push(this.seq('tuple', []));
          this.pos = at + 1;
          break;
        case EMPTY_LIST:
          this.stack.push(this.seq('list', []));
          this.pos = at + 1;
          break;
        case EMPTY_SET:
          this.stack.push(this.seq('set', []));
          this.pos = at + 1;
          break;
        case EMPTY_DICT:
          this.stack.push(this.dict());
          this.pos = at + 1;
          break;
        case TUPLE1:
        case TUPLE2:
        case TUPLE3: {
          const n = op - TUPLE1 + 1;
          const items: Val[] = [];
          for (let i = 0; i < n; i++) {
            const x = this.pop();
            if (x === undefined) return this.underflow(at, op);
            items.unshift(x);
          }
          this.stack.push(this.seq('tuple', items));
          this.pos = at + 1;
          break;
        }
        case TUPLE:
        case LIST:
        case FROZENSET: {
          const items = this.popMark();
          if (!items) return this.fail(at, `${OPNAMES[op]} at byte ${at} finds no MARK`);
          this.stack.push(this.seq(op === TUPLE ? 'tuple' : op === LIST ? 'list' : 'frozenset', items));
          this.pos = at + 1;
          break;
        }
        case DICT: {
          const items = this.popMark();
          if (!items) return this.fail(at, `DICT at byte ${at} finds no MARK`);
          if (items.length % 2 && !this.opts.lenient) return this.fail(at, `DICT at byte ${at} has an odd number of items`);
          const d = this.dict();
          this.setItems(d, items);
          this.stack.push(d);
          this.pos = at + 1;
          break;
        }
        case APPEND: {
          const x = this.pop();
          if (x === undefined) return this.underflow(at, op);
          const target = this.peek();
          if (target === undefined) return this.underflow(at, op);
          this.addItems(target, [x]);
          this.pos = at + 1;
          break;
        }
        case APPENDS:
        case ADDITEMS: {
          const items = this.popMark();
          if (!items) return this.fail(at, `${OPNAMES[op]} at byte ${at} finds no MARK`);
          const target = this.peek();
          if (target === undefined) return this.underflow(at, op);
          this.addItems(target, items);
          this.pos = at + 1;
          break;
        }
        case SETITEM: {
          const value = this.pop();
          const key = value === undefined ? undefined : this.pop();
          if (key === undefined) return this.underflow(at, op);
          const target = this.peek();
          if (target === undefined) return this.underflow(at, op);
          this.setItems(target, [key, value!]);
          this.pos = at + 1;
          break;
        }
        case SETITEMS: {
          const items = this.popMark();
          if (!items) return this.fail(at, `SETITEMS at byte ${at} finds no MARK`);
          if (items.length % 2 && !this.opts.lenient) return this.fail(at, `SETITEMS at byte ${at} has an odd number of items`);
          const target = this.peek();
          if (target === undefined) return this.underflow(at, op);
          this.setItems(target, items);
          this.pos = at + 1;
          break;
        }

        // ---- memo
        case BINPUT:
        case LONG_BINPUT:
        case MEMOIZE: {
          const len = op === BINPUT ? 2 : op === LONG_BINPUT ? 5 : 1;
          if (avail < len) return this.short(w, at, len, op);
          const top = this.stack.length > (this.marks[this.marks.length - 1] ?? 0) ? this.stack[this.stack.length - 1] : undefined;
          if (top === undefined && !this.opts.lenient) return this.underflow(at, op);
          const index = op === BINPUT ? b[p + 1] : op === LONG_BINPUT ? u32(b, p + 1) : this.memo.count;
          this.memoPut(index, top ?? V_UNKNOWN);
          this.pos = at + len;
          break;
        }
        case BINGET:
        case LONG_BINGET: {
          const len = op === BINGET ? 2 : 5;
          if (avail < len) return this.short(w, at, len, op);
          const index = op === BINGET ? b[p + 1] : u32(b, p + 1);
          const got = this.memoGet(index);
          if (got === undefined) return this.fail(at, `${OPNAMES[op]} at byte ${at} asks for memo key ${index}, which was never stored`);
          this.stack.push(got);
          this.pos = at + len;
          break;
        }

        // ---- imports and calls
        case GLOBAL:
        case INST: {
          const first = this.readLine(w, p + 1, at, op);
          if (typeof first !== 'string') {
            if (first) return first;
            return this.fail(at, `the ${OPNAMES[op]} at byte ${at} has a module name longer than ${LINE_MAX / 1024} KB`);
          }
          const secondStart = this.pos;
          const second = this.readLine(w, secondStart - base, at, op);
          if (typeof second !== 'string') {
            this.pos = at;
            if (second) return second;
            return this.fail(at, `the ${OPNAMES[op]} at byte ${at} has a name longer than ${LINE_MAX / 1024} KB`);
          }
          if (!first || !second) return this.fail(at, `the ${OPNAMES[op]} at byte ${at} has an empty module or name`);
          const r = this.global(first, second, at, OPNAMES[op]);
          if (r) return r;
          const g: GlobalV = { k: 'global', module: first, name: second };
          if (op === GLOBAL) {
            this.stack.push(g);
          } else {
            const items = this.popMark();
            if (!items) return this.fail(at, `INST at byte ${at} finds no MARK`);
            this.stack.push(this.obj(g, this.seq('tuple', items)));
          }
          break;
        }
        case STACK_GLOBAL: {
          const name = this.pop();
          const module = name === undefined ? undefined : this.pop();
          if (module === undefined) return this.underflow(at, op);
          if (notAString(module) || notAString(name!)) {
            return this.fail(at, `STACK_GLOBAL at byte ${at} finds operands that are not strings`);
          }
          if (typeof module === 'string' && typeof name === 'string') {
            const r = this.global(module, name, at, 'STACK_GLOBAL');
            if (r) return r;
            this.stack.push({ k: 'global', module, name });
          } else {
            if (!this.opts.dryRun) {
              const known = typeof module === 'string' ? `module \`${shown(module)}\`` : typeof name === 'string' ? `name \`${shown(name)}\`` : '';
              this.sink.unresolved(at, `a STACK_GLOBAL (at byte ${at}) whose module/name could not be resolved statically${known ? ` (only its ${known} is known)` : ''}`, !!this.opts.lenient);
            }
            this.stack.push({ k: 'global', module: typeof module === 'string' ? module : undefined, name: typeof name === 'string' ? name : undefined });
          }
          this.pos = at + 1;
          break;
        }
        case EXT1:
        case EXT2:
        case EXT4: {
          const len = op === EXT1 ? 2 : op === EXT2 ? 3 : 5;
          if (avail < len) return this.short(w, at, len, op);
          const code = op === EXT1 ? b[p + 1] : op === EXT2 ? u16(b, p + 1) : i32(b, p + 1);
          if (code <= 0) return this.fail(at, `${OPNAMES[op]} at byte ${at} has extension code ${code}`);
          if (!this.opts.dryRun) this.sink.unresolved(at, `an ${OPNAMES[op]} (at byte ${at}) that imports the global registered as extension code ${code} with \`copyreg\`, which cannot be resolved statically`, !!this.opts.lenient);
          this.stack.push({ k: 'global', module: undefined, name: undefined });
          this.pos = at + len;
          break;
        }
        case REDUCE: {
          const args = this.pop();
          const fn = args === undefined ? undefined : this.pop();
          if (fn === undefined) return this.underflow(at, op);
          this.stack.push(this.obj(fn, args!));
          this.pos = at + 1;
          break;
        }
        case NEWOBJ: {
          const args = this.pop();
          const cls = args === undefined ? undefined : this.pop();
          if (cls === undefined) return this.underflow(at, op);
          this.stack.push(this.obj(cls, args!));
          this.pos = at + 1;
          break;
        }
        case NEWOBJ_EX: {
          const kwargs = this.pop();
          const args = kwargs === undefined ? undefined : this.pop();
          const cls = args === undefined ? undefined : this.pop();
          if (cls === undefined) return this.underflow(at, op);
          this.stack.push(this.obj(cls, args!));
          this.pos = at + 1;
          break;
        }
        case OBJ: {
          const items = this.popMark();
          if (!items) return this.fail(at, `OBJ at byte ${at} finds no MARK`);
          if (!items.length) {
            if (!this.opts.lenient) return this.underflow(at, op);
            items.push(V_UNKNOWN);
          }
          this.stack.push(this.obj(items[0], this.seq('tuple', items.slice(1))));
          this.pos = at + 1;
          break;
        }
        case BUILD: {
          const state = this.pop();
          if (state === undefined) return this.underflow(at, op);
          const target = this.peek();
          if (target === undefined) return this.underflow(at, op);
          this.pos = at + 1;
          if (typeof target === 'object' && target.k === 'obj') {
            target.state = state;
            if (this.opts.joblib && !this.outer && isJoblibWrapper(target)) {
              const info = joblibArray(state);
              if (typeof info === 'string') return this.fail(at, `the joblib array at byte ${at} cannot be skipped: ${info}`);
              this.pendingJoblib = { wrapperOffset: at, ...info };
            }
          }
          break;
        }

        // ---- framing, protocol, buffers
        case PROTO: {
          if (avail < 2) return this.short(w, at, 2, op);
          if (b[p + 1] > 5) return this.fail(at, `PROTO at byte ${at} asks for protocol ${b[p + 1]}, which Python does not know`);
          this.pos = at + 2;
          break;
        }
        case FRAME:
          if (avail < 9) return this.short(w, at, 9, op);
          this.pos = at + 9;
          break;
        case NEXT_BUFFER:
          this.stack.push(V_BUFFER);
          this.pos = at + 1;
          break;
        case READONLY_BUFFER:
          if (this.peek() === undefined) return this.underflow(at, op);
          this.pos = at + 1;
          break;

        default:
          return this.fail(at, `byte ${at} holds 0x${op.toString(16).padStart(2, '0')}, which is not a pickle opcode`);
      }
    }
  }

  /** Move past a payload that is not kept. */
  private skipTo(what: string, at: number, to: number): void {
    this.skipped = { what, at };
    this.skippedBytes += Math.max(0, to - this.pos);
    this.pos = to;
  }

  private lengthPrefixed(w: Window, op: number, at: number, p: number, header: number, n: number): Step | undefined {
    const isString = op === BINSTRING || op === BINUNICODE || op === BINUNICODE8;
    if (isString && n <= STR_KEEP) {
      if (w.bytes.length - p < header + n) return this.short(w, at, header + n, op);
      const body = w.bytes.subarray(p + header, p + header + n);
      this.stack.push(this.str(op === BINSTRING ? latin1(body) : utf8.decode(body)));
      this.pos = at + header + n;
      return undefined;
    }
    if (!Number.isFinite(n)) return this.fail(at, `the ${OPNAMES[op]} at byte ${at} claims a length beyond any file (truncated)`, true);
    this.skipTo(`the ${OPNAMES[op]}`, at, at + header + n);
    this.stack.push(isString ? V_BIGSTR : op === BYTEARRAY8 ? V_BUFFER : V_BYTES);
    return undefined;
  }

  /**
   * The text line starting at window index `from` (without its "\n"); sets `pos` after it. Returns a Step when more
   * bytes are needed or the data ends, or undefined when the line is longer than LINE_MAX (for value opcodes it is then
   * skipped: `pendingLine`).
   */
  private readLine(w: Window, from: number, opStart: number, op: number): string | Step | undefined {
    const b = w.bytes;
    const limit = Math.min(b.length, from + LINE_MAX + 1);
    let nl = -1;
    for (let i = from; i < limit; i++) {
      if (b[i] === 0x0a) {
        nl = i;
        break;
      }
    }
    if (nl < 0) {
      if (limit - from <= LINE_MAX) {
        if (w.eof) return this.fail(opStart, `the ${OPNAMES[op]} at byte ${opStart} has no end of line (truncated)`, true);
        return { kind: 'need', offset: opStart, min: from - (opStart - w.start) + LINE_MAX + 2 };
      }
      if (op === GLOBAL || op === INST) return undefined;
      this.pendingLine = { op, start: opStart };
      this.pos = w.start + limit;
      return undefined;
    }
    this.pos = w.start + nl + 1;
    return op === GLOBAL || op === INST ? utf8.decode(b.subarray(from, nl)) : latin1(b.subarray(from, nl));
  }

  private valueLine(op: number, line: string, at: number): Step | undefined {
    switch (op) {
      case INT: {
        const t = line.trim();
        if (t === '00') this.stack.push(V_FALSE);
        else if (t === '01') this.stack.push(V_TRUE);
        else if (/^[+-]?\d+$/.test(t)) this.stack.push(toNumber(t));
        else return this.fail(at, `the INT at byte ${at} is not a number`);
        return undefined;
      }
      case LONG: {
        const t = line.trim().replace(/L$/, '');
        if (!/^[+-]?\d+$/.test(t)) return this.fail(at, `the LONG at byte ${at} is not a number`);
        this.stack.push(toNumber(t));
        return undefined;
      }
      case FLOAT:
        this.stack.push(V_FLOAT);
        return undefined;
      case PERSID:
        this.stack.push(V_PID);
        return undefined;
      case PUT:
      case GET: {
        const t = line.trim();
        if (!/^\d+$/.test(t)) return this.fail(at, `the ${OPNAMES[op]} at byte ${at} has a bad memo key`);
        const index = Number(t);
        if (op === PUT) {
          const top = this.stack.length > (this.marks[this.marks.length - 1] ?? 0) ? this.stack[this.stack.length - 1] : undefined;
          if (top === undefined && !this.opts.lenient) return this.underflow(at, op);
          this.memoPut(index, top ?? V_UNKNOWN);
        } else {
          const got = this.memoGet(index);
          if (got === undefined) return this.fail(at, `GET at byte ${at} asks for memo key ${t}, which was never stored`);
          this.stack.push(got);
        }
        return undefined;
      }
    }
    return undefined;
  }

  // ---- joblib

  private enterNested(): void {
    this.outer = { stack: this.stack, marks: this.marks, memo: this.memo };
    this.stack = [];
    this.marks = [];
    this.memo = new Memo();
  }

  private leaveNested(): void {
    const o = this.outer!;
    this.outer = undefined;
    this.stack = o.stack;
    this.marks = o.marks;
    this.memo = o.memo;
    // joblib replaces the wrapper on the stack by the array it read.
    if (this.stack.length) this.stack[this.stack.length - 1] = V_ARRAY;
  }

  /** The bytes after a NumpyArrayWrapper's BUILD: walk them as `pickle.load` would, then skip or enter them. */
  private afterJoblibWrapper(w: Window): Step | undefined {
    const j = this.pendingJoblib!;
    if (j.object) {
      // An object array: joblib calls pickle.load on the stream here (a fresh unpickler), so it is a pickle to walk.
      this.pendingJoblib = undefined;
      this.enterNested();
      return undefined;
    }
    const b = w.bytes;
    const p = this.pos - w.start;
    if (b.length - p < SHADOW_LOOKAHEAD + 1 && !w.eof) return { kind: 'need', offset: this.pos, min: SHADOW_LOOKAHEAD + 1 };
    this.pendingJoblib = undefined;
    if (p >= b.length) return this.fail(j.wrapperOffset, `the joblib array written after byte ${j.wrapperOffset} is missing (truncated)`, true);
    // `pickle.load` of this file (rather than joblib.load) would read the first array byte as an opcode.
    if (IS_OPCODE[b[p]] && !this.opts.dryRun) this.shadowWalk(b.subarray(p, p + SHADOW_LOOKAHEAD), this.pos, w.eof && b.length - p <= SHADOW_LOOKAHEAD);
    let start = this.pos;
    if (j.alignment) start += 1 + b[p];
    this.skipTo('the joblib array written after the BUILD', j.wrapperOffset, start + j.bytes);
    if (this.stack.length) this.stack[this.stack.length - 1] = V_ARRAY;
    return undefined;
  }

  private shadowWalk(bytes: Uint8Array, start: number, eof: boolean): void {
    const shadow = new PickleWalker(this.sink, this.budget, start, { lenient: true }, this.memo);
    shadow.stack = this.stack.slice(-ITEMS_KEPT);
    const step = shadow.run({ bytes, start, eof });
    if (step.kind === 'need') this.sink.shadowUndecided(start);
  }
}

function toNumber(t: string): number | Opaque {
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : V_BIGINT;
}

/** A LONG1 value: a little-endian two's complement integer of `n` bytes (a number when small). */
function smallLong(b: Uint8Array, at: number, n: number): number | Opaque {
  if (n === 0) return 0;
  if (n > 6) return V_BIGINT;
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + b[at + i];
  if (b[at + n - 1] & 0x80) v -= 2 ** (8 * n);
  return v;
}

/** The value of a protocol-0 STRING argument (a quoted Python bytes literal), or undefined when it is not quoted. */
function pyStringLiteral(line: string): string | undefined {
  const q = line[0];
  if (line.length < 2 || (q !== "'" && q !== '"') || line[line.length - 1] !== q) return undefined;
  const body = line.slice(1, -1);
  if (!body.includes('\\')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '\n': '' };
    if (e in simple) out += simple[e];
    else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out += String.fromCharCode(parseInt(m, 8) & 0xff);
      i += m.length - 1;
    } else out += `\\${e}`;
  }
  return out;
}

/** Python's raw-unicode-escape decoding of a protocol-0 UNICODE argument: `\uXXXX` and `\UXXXXXXXX`, else Latin-1. */
function rawUnicodeEscape(line: string): string {
  if (!line.includes('\\')) return line;
  return line.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a: string | undefined, b2: string | undefined) => {
    const cp = parseInt((a ?? b2)!, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  });
}

// ---------------------------------------------------------------------------------------------------------------
// joblib arrays

const JOBLIB_MODULES = new Set(['joblib.numpy_pickle', 'sklearn.externals.joblib.numpy_pickle']);

/** The class an object node instantiates (through copyreg's helpers when protocol 0/1 pickled it). */
function classOf(o: ObjV): Val {
  const fn = o.fn;
  if (typeof fn === 'object' && fn.k === 'global' && (fn.module === 'copyreg' || fn.module === 'copy_reg') && fn.name?.startsWith('_')) {
    const args = o.args;
    if (typeof args === 'object' && args.k === 'tuple' && args.items.length) return args.items[0];
  }
  return fn;
}

function isJoblibWrapper(o: ObjV): boolean {
  const cls = classOf(o);
  return typeof cls === 'object' && cls.k === 'global' && cls.name === 'NumpyArrayWrapper' && JOBLIB_MODULES.has(cls.module ?? '');
}

function dictGet(d: Val | undefined, key: string): Val | undefined {
  if (!d || typeof d !== 'object' || d.k !== 'dict') return undefined;
  const i = d.keys.indexOf(key);
  return i < 0 ? undefined : d.vals[i];
}

/** A numpy dtype node's itemsize and whether it holds Python objects; undefined when it is not a dtype we can read. */
function dtypeInfo(v: Val | undefined, depth = 0): { object: boolean; itemsize?: number } | undefined {
  if (depth > 8 || !v || typeof v !== 'object' || v.k !== 'obj') return undefined;
  const cls = classOf(v);
  if (typeof cls !== 'object' || cls.k !== 'global' || cls.name !== 'dtype' || !(cls.module ?? '').startsWith('numpy')) return undefined;
  const args = v.args;
  const typestr = typeof args === 'object' && args.k === 'tuple' ? args.items[0] : undefined;
  if (typeof typestr !== 'string') return undefined;
  let object = /^[|<>=]?O/.test(typestr) || /object/i.test(typestr);
  const state = v.state;
  let elsize: number | undefined;
  if (typeof state === 'object' && state.k === 'tuple') {
    const sub = state.items[2];
    if (typeof sub === 'object' && sub.k === 'tuple' && dtypeInfo(sub.items[0], depth + 1)?.object) object = true;
    const fields = state.items[4];
    if (typeof fields === 'object' && fields.k === 'dict') {
      if (fields.n > fields.vals.length) object = true; // fields not all kept: assume the worst
      for (const f of fields.vals) {
        const fd = typeof f === 'object' && f.k === 'tuple' ? f.items[0] : undefined;
        const info = dtypeInfo(fd, depth + 1);
        if (!info || info.object) object = true;
      }
    }
    if (typeof state.items[5] === 'number' && state.items[5] > 0) elsize = state.items[5];
  }
  const digits = /(\d+)$/.exec(typestr);
  const itemsize = digits && Number(digits[1]) > 0 ? Number(digits[1]) : elsize;
  return { object, itemsize };
}

/** How joblib laid out the array after a wrapper whose state is `state`, or why that cannot be known. */
function joblibArray(state: Val): { object: boolean; alignment: boolean; bytes: number } | string {
  if (typeof state !== 'object' || state.k !== 'dict') return 'its state is not a dict';
  const dt = dtypeInfo(dictGet(state, 'dtype'));
  if (!dt) return 'its dtype is not readable';
  const align = dictGet(state, 'numpy_array_alignment_bytes');
  const alignment = typeof align === 'number';
  if (dt.object) return { object: true, alignment, bytes: 0 };
  const shape = dictGet(state, 'shape');
  if (typeof shape !== 'object' || shape.k !== 'tuple' || shape.n !== shape.items.length) return 'its shape is not readable';
  let count = 1;
  for (const d of shape.items) {
    if (typeof d !== 'number' || d < 0) return 'its shape is not readable';
    count *= d;
  }
  if (dt.itemsize === undefined) return 'its item size is not readable';
  const bytes = count * dt.itemsize;
  if (!Number.isSafeInteger(bytes)) return 'it is larger than any file';
  return { object: false, alignment, bytes };
}

// ---------------------------------------------------------------------------------------------------------------
// Sniffing

const START_BYTES = new Set([...'(c}])NIKJMSVXUTGFL'].map((c) => c.charCodeAt(0)));

/**
 * Whether `head` (the first bytes of a file or member) starts a pickle: PROTO 2-5 followed by an opcode (what Python
 * writes since protocol 2), or, for protocols 0 and 1 (which have no magic), a start opcode after which the head reads
 * as valid opcodes with identifier-like global names, up to a STOP (at least two opcodes) or for its whole length (at
 * least 64 bytes).
 */
export function hasPickleMagic(head: Uint8Array): boolean {
  if (head.length >= 2 && head[0] === PROTO && head[1] >= 2 && head[1] <= 5) return head.length === 2 || IS_OPCODE[head[2]];
  if (!head.length || !(START_BYTES.has(head[0]) || (head[0] === PROTO && head[1] <= 1))) return false;
  const bytes = head.subarray(0, 4096);
  const walker = new PickleWalker(NULL_SINK, { used: 0, max: 4096 }, 0, { dryRun: true });
  const step = walker.run({ bytes, start: 0, eof: false });
  if (step.kind === 'stop') return walker.ops >= 2;
  if (step.kind === 'need') return step.offset >= bytes.length - 16 && bytes.length >= 64 && walker.ops >= 3;
  return false;
}

const NULL_SINK: PickleSink = { global() {}, unresolved() {}, shadowUndecided() {} };

// ---------------------------------------------------------------------------------------------------------------
// Driver

export interface PickleScanOptions {
  /** Read on after a STOP while the bytes that follow start a pickle (several pickles in one file). */
  multi: boolean;
  /** Follow joblib's array layout. */
  joblib: boolean;
  /** The budget shared by every walker of the file. */
  budget: OpcodeBudget;
  /**
   * Stop after walking this many bytes (`maxMemberBytes` for a file or buffer, whose skipped payloads cost nothing; a
   * stream's own cap counts every byte inflated instead).
   */
  maxWalk?: number;
}

export interface PickleScanResult {
  /** Pickles read to their STOP. */
  pickles: number;
  /** The legacy torch format: its five pickles were read, raw storages follow. */
  legacyTorch: boolean;
  /** Where reading ended. */
  end: number;
  /** Bytes follow the last pickle that do not start one (not scanned). */
  trailing: boolean;
  /** Why the walk stopped early, if it did. */
  problem?: { kind: 'corrupt' | 'truncated' | 'capped' | 'stream' | 'opcodes' | 'stack'; offset: number; message: string };
}

function startsWith(b: Uint8Array, prefix: Uint8Array): boolean {
  if (b.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

/**
 * Walk the pickles of `src` from `start`. A legacy torch file (its first pickle is torch's magic number) is read for
 * its five pickles (magic number, protocol version, system info, the data, the storage keys) and no further: what
 * follows is raw storage bytes.
 */
export async function scanPickles(src: ByteSource, start: number, sink: PickleSink, opts: PickleScanOptions): Promise<PickleScanResult> {
  const walker = new PickleWalker(sink, opts.budget, start, { joblib: opts.joblib, maxWalk: opts.maxWalk });
  let w = await src.read(start, 64);
  const legacyTorch = startsWith(w.bytes, TORCH_LEGACY_MAGIC);
  const result: PickleScanResult = { pickles: 0, legacyTorch, end: start, trailing: false };
  for (;;) {
    const step = walker.run(w);
    if (step.kind === 'need') {
      w = await src.read(step.offset, step.min);
      continue;
    }
    if (step.kind === 'stop') {
      result.pickles++;
      result.end = walker.pos;
      if (legacyTorch ? result.pickles >= 5 : !opts.multi) return result;
      w = await src.read(walker.pos, 4096);
      if (!w.bytes.length) return result;
      if (legacyTorch || hasPickleMagic(w.bytes.subarray(0, 4096))) {
        walker.nextPickle();
        continue;
      }
      result.trailing = true;
      return result;
    }
    result.end = walker.pos;
    if (step.kind === 'limit') {
      result.problem = step.stack
        ? { kind: 'stack', offset: walker.pos, message: `the unpickler's stack grew past ${STACK_MAX.toLocaleString('en-US')} items` }
        : step.walked
          ? { kind: 'capped', offset: walker.pos, message: `only the first ${walker.walked.toLocaleString('en-US')} bytes were walked (skipped payloads not counted)` }
          : { kind: 'opcodes', offset: walker.pos, message: `the walk stopped after ${opts.budget.max.toLocaleString('en-US')} opcodes` };
      return result;
    }
    if (step.truncated && src.capped) {
      result.problem = { kind: 'capped', offset: step.offset, message: `only the first ${src.consumed.toLocaleString('en-US')} bytes were read` };
    } else if (step.truncated && src.failure) {
      result.problem = { kind: 'stream', offset: step.offset, message: src.failure };
    } else {
      result.problem = { kind: step.truncated ? 'truncated' : 'corrupt', offset: step.offset, message: step.message };
    }
    return result;
  }
}
