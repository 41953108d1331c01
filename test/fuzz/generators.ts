/**
 * Input generators for the engine fuzz suite. Every generator takes an `Rng` and nothing else, so an input is fully
 * determined by its seed. The vocabulary comes from the rule registry (each rule's trigger and required words), so
 * that generated code gets past the prefilter and new rules are exercised without editing this file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULES } from '../../server/src/rules';
import { FIXTURES } from '../helpers';
import type { Rng } from './harness';

const RULE_WORDS = [...new Set(RULES.flatMap((r) => [...r.triggers, ...(r.requires ?? [])]))].sort();
const MODULES = [
  ...new Set([...RULES.flatMap((r) => r.requires ?? []), 'torch', 'pickle', 'yaml', 'numpy', 'transformers', 'os', 'logging', 'flask', 'fastapi', 'gradio']),
].sort();
const NAMES = ['x', 'y', 'model', 'path', 'f', 'data', 'state', 'cfg', 'p', 'self', 'app', 'T', 'np', 'load', 'kwargs', 'args', '_'];
const KEYWORDS = [
  'weights_only',
  'allow_pickle',
  'revision',
  'trust_remote_code',
  'Loader',
  'safe_serialization',
  'map_location',
  'share',
  'debug',
  'host',
  'safe_mode',
  'repo_type',
];
const LITERALS = ['True', 'False', 'None', '0', '1', '3.5', '"ckpt.pt"', "'org/model'", 'b"x"', 'f"{x}.pt"', '"0.0.0.0"', '"a" "b"', '...', '-1', '0x10', '1e309'];
const OPS = ['+', '-', '*', '/', '//', '%', '**', '@', '|', '&', '^', '<<', '>>', '==', '!=', '<', '>', 'and', 'or', 'if', 'else', 'in', 'not in', 'is'];
const PUNCT = ['(', ')', '[', ']', '{', '}', ',', ':', '.', ';', '=', '->', '*', '**', '@', ':=', '\\', '"', "'", '"""', '#'];
const PY_KEYWORDS = [
  'def',
  'class',
  'return',
  'if',
  'elif',
  'else',
  'for',
  'while',
  'try',
  'except',
  'finally',
  'with',
  'as',
  'import',
  'from',
  'lambda',
  'yield',
  'async',
  'await',
  'global',
  'nonlocal',
  'match',
  'case',
  'pass',
  'del',
  'assert',
  'raise',
];
const ODD = ['é', '😀', '\u200b', '\u2028', '\ufeff', '\t', '\r', '\r\n', '\f', '\v', '\0', '\ud800', '\udc00', '𝔱𝔬𝔯𝔠𝔥'];

const word = (r: Rng) => (r.chance(0.5) ? r.pick(RULE_WORDS) : r.chance(0.5) ? r.pick(NAMES) : r.pick(MODULES));

function dotted(r: Rng): string {
  const parts = [r.chance(0.6) ? r.pick(MODULES) : r.pick(NAMES)];
  for (let i = r.int(3); i > 0; i--) parts.push(r.chance(0.6) ? r.pick(RULE_WORDS) : r.pick(NAMES));
  return parts.join('.');
}

function expr(r: Rng, depth = 0): string {
  const k = depth > 3 ? r.int(3) : r.int(10);
  switch (k) {
    case 0:
      return r.pick(LITERALS);
    case 1:
      return word(r);
    case 2:
      return dotted(r);
    case 3:
    case 4:
    case 5:
      return call(r, depth + 1);
    case 6:
      return `${expr(r, depth + 1)} ${r.pick(OPS)} ${expr(r, depth + 1)}`;
    case 7:
      return `[${expr(r, depth + 1)} for ${r.pick(NAMES)} in ${expr(r, depth + 1)}]`;
    case 8:
      return `lambda ${r.pick(NAMES)}: ${expr(r, depth + 1)}`;
    default:
      return `(${r.pick(NAMES)} := ${expr(r, depth + 1)})`;
  }
}

function call(r: Rng, depth: number): string {
  const args: string[] = [];
  for (let i = r.int(4); i > 0; i--) {
    const a = r.int(10);
    if (a < 5) args.push(expr(r, depth + 1));
    else if (a < 8) args.push(`${r.pick(KEYWORDS)}=${r.chance(0.5) ? r.pick(LITERALS) : expr(r, depth + 1)}`);
    else if (a < 9) args.push(`*${r.pick(NAMES)}`);
    else args.push(`**${r.chance(0.5) ? r.pick(NAMES) : `{"${r.pick(KEYWORDS)}": ${r.pick(LITERALS)}}`}`);
  }
  const sep = r.chance(0.2) ? ',\n    ' : ', ';
  return `${dotted(r)}(${args.join(sep)}${r.chance(0.1) ? ',' : ''})`;
}

/** One statement (possibly compound, over several lines) at `indent`. */
function statement(r: Rng, indent: string, depth: number): string {
  const k = depth > 2 ? r.int(10) : r.int(17);
  const body = () => {
    const lines: string[] = [];
    for (let i = 1 + r.int(3); i > 0; i--) lines.push(statement(r, indent + '    ', depth + 1));
    return lines.join('');
  };
  switch (k) {
    case 0:
      return `${indent}import ${r.pick(MODULES)}${r.chance(0.3) ? ` as ${r.pick(NAMES)}` : ''}\n`;
    case 1:
      return `${indent}from ${r.pick(MODULES)} import ${r.pick(RULE_WORDS)}${r.chance(0.3) ? ` as ${r.pick(NAMES)}` : ''}\n`;
    case 2:
    case 3:
      return `${indent}${r.pick(NAMES)} = ${expr(r)}\n`;
    case 4:
    case 5:
      return `${indent}${call(r, 0)}\n`;
    case 6:
      return `${indent}# ${r.chance(0.5) ? `secure-ai: ignore[${r.pick(RULES).id}] ${r.pick(NAMES)}` : r.pick(RULE_WORDS)}\n`;
    case 7:
      return `${indent}${call(r, 0)}  # secure-ai: ignore${r.chance(0.5) ? `[${r.pick(RULES).id}]` : ''}\n`;
    case 8:
      return `${indent}return ${expr(r)}\n`;
    case 9:
      // Legal at module level too, where it changes nothing.
      return `${indent}${r.pick(['global', 'nonlocal'])} ${word(r)}${r.chance(0.3) ? `, ${word(r)}` : ''}\n`;
    case 10:
      return `${indent}${r.chance(0.3) ? '@' + dotted(r) + '\n' + indent : ''}def ${word(r)}(${r.pick(NAMES)}, ${r.pick(KEYWORDS)}=${r.pick(LITERALS)}):\n${body()}`;
    case 11:
      return `${indent}class ${word(r)}(${dotted(r)}):\n${body()}`;
    case 12:
      return `${indent}if ${expr(r)}:\n${body()}${r.chance(0.5) ? `${indent}else:\n${body()}` : ''}`;
    case 13:
      return `${indent}try:\n${body()}${indent}except ${r.pick(['ImportError', 'Exception', ''])}:\n${body()}`;
    case 14:
      return `${indent}with ${call(r, 0)} as ${r.pick(NAMES)}:\n${body()}`;
    case 15:
      return `${indent}for ${r.pick(NAMES)} in ${expr(r)}:\n${body()}`;
    default:
      return `${indent}${r.pick(NAMES)} = """${r.pick(RULE_WORDS)}\n${r.pick(LITERALS)}"""\n`;
  }
}

/** Python-like source: mostly well-formed statements built from the rules' vocabulary. */
export function pythonish(r: Rng, statements = 1 + r.int(40)): string {
  let out = '';
  for (let i = 0; i < statements; i++) out += statement(r, '', 0);
  return out;
}

/** Random tokens with random spacing: mostly not Python at all. */
export function tokenSoup(r: Rng, n = r.int(300)): string {
  const pools: ReadonlyArray<readonly string[]> = [RULE_WORDS, NAMES, MODULES, KEYWORDS, LITERALS, OPS, PUNCT, PY_KEYWORDS, ODD];
  const seps = [' ', ' ', '', '\n', '\n    ', '\t', '.', ', '];
  let out = '';
  for (let i = 0; i < n; i++) out += r.pick(r.pick(pools)) + r.pick(seps);
  return out;
}

/** Random bytes, sometimes behind a byte-order mark or a line of Python. */
export function randomBytes(r: Rng): Uint8Array {
  const body = r.bytes(r.int(r.chance(0.1) ? 65536 : 2048));
  const prefix = r.pick([[], [], [0xef, 0xbb, 0xbf], [0xff, 0xfe], [0xfe, 0xff], [...Buffer.from('import torch\ntorch.load(p)\n')]]);
  return Uint8Array.from([...prefix, ...body]);
}

const INVALID_UTF8: ReadonlyArray<readonly number[]> = [
  [0x80], // a lone continuation byte
  [0xbf],
  [0xc0, 0x80], // overlong NUL
  [0xc1, 0xbf],
  [0xe0, 0x80, 0x80], // overlong
  [0xed, 0xa0, 0x80], // an encoded surrogate
  [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
  [0xf5],
  [0xff],
  [0xfe],
  [0xe2, 0x82], // truncated
  [0xf0, 0x9f, 0x98], // truncated emoji
  [0xc3], // truncated
];

/** Python-like UTF-8 with invalid sequences spliced in (or, sometimes, only at the very end). */
export function invalidUtf8(r: Rng): Uint8Array {
  const bytes = [...Buffer.from(pythonish(r, 1 + r.int(15)))];
  const n = 1 + r.int(4);
  for (let i = 0; i < n; i++) {
    const at = r.chance(0.2) ? bytes.length : r.int(bytes.length + 1);
    bytes.splice(at, 0, ...r.pick(INVALID_UTF8));
  }
  if (r.chance(0.3)) bytes.unshift(0xef, 0xbb, 0xbf);
  return Uint8Array.from(bytes);
}

/** Python-like code in UTF-16 with a byte-order mark; sometimes broken (odd length, lone surrogates, the wrong mark). */
export function utf16(r: Rng): Uint8Array {
  let text = pythonish(r, 1 + r.int(15));
  if (r.chance(0.3)) {
    const at = r.int(text.length + 1);
    text = text.slice(0, at) + r.pick(['\ud800', '\udfff', '\ud83d', 'é😀', '\0']) + text.slice(at);
  }
  const le = r.chance(0.5);
  const body = Buffer.from(text, 'utf16le');
  if (!le) body.swap16();
  const bom = le ? [0xff, 0xfe] : [0xfe, 0xff];
  const mark = r.chance(0.1) ? [bom[1], bom[0]] : bom; // sometimes the mark of the other byte order
  const bytes = [...mark, ...body];
  if (r.chance(0.15)) bytes.push(r.int(256)); // an odd number of bytes
  if (r.chance(0.05)) return Uint8Array.from(mark); // only the mark
  return Uint8Array.from(bytes);
}

/** Python-like code with NUL bytes in identifiers, strings, comments and between statements. */
export function nulBytes(r: Rng): Uint8Array {
  const bytes = [...Buffer.from(pythonish(r, 1 + r.int(20)))];
  for (let i = 1 + r.int(8); i > 0; i--) {
    const run = Array.from({ length: 1 + (r.chance(0.1) ? r.int(5000) : r.int(3)) }, () => 0);
    bytes.splice(r.int(bytes.length + 1), 0, ...run);
  }
  return Uint8Array.from(bytes);
}

// ------------------------------------------------------------------ rule fixtures

/** The annotated rule fixtures (not the `.fixed.py` files), read at run time: they grow as rules are added. */
export function ruleFixtures(): Array<{ name: string; text: string }> {
  const dir = path.join(FIXTURES, 'rules');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.py') && !f.endsWith('.fixed.py'))
    .sort()
    .map((name) => ({ name, text: fs.readFileSync(path.join(dir, name), 'utf8') }));
}

const TOKEN = /[^\S\n]+|\n|#[^\n]*|[A-Za-z_]\w*|\d[\w.]*|"""[\s\S]*?"""|'''[\s\S]*?'''|[rbfRBF]{0,2}"(?:[^"\\\n]|\\.)*"|[rbfRBF]{0,2}'(?:[^'\\\n]|\\.)*'|\*\*|\/\/|->|:=|[=!<>]=|[^\s]/gu;

/** A rough Python tokenisation that keeps every character: joining the tokens gives the text back. */
export function tokens(text: string): string[] {
  const out = text.match(TOKEN) ?? [];
  if (out.join('') !== text) throw new Error('the fuzz tokeniser lost characters');
  return out;
}

export type Mutation = 'delete' | 'duplicate' | 'swap' | 'replace';

/** 1 to 4 token mutations of `text`: delete one, duplicate one, swap two (neighbours or far apart), replace one. */
export function mutateTokens(r: Rng, text: string): { text: string; applied: string[] } {
  const toks = tokens(text);
  const applied: string[] = [];
  for (let n = 1 + r.int(4); n > 0 && toks.length > 1; n--) {
    const i = r.int(toks.length);
    const kind: Mutation = r.pick(['delete', 'duplicate', 'swap', 'replace']);
    if (kind === 'delete') {
      toks.splice(i, 1);
    } else if (kind === 'duplicate') {
      toks.splice(i, 0, toks[i]);
    } else if (kind === 'swap') {
      const j = r.chance(0.5) ? Math.min(toks.length - 1, i + 1 + r.int(2)) : r.int(toks.length);
      [toks[i], toks[j]] = [toks[j], toks[i]];
    } else {
      toks[i] = r.chance(0.5) ? toks[r.int(toks.length)] : r.pick([...PUNCT, ...PY_KEYWORDS, ...RULE_WORDS]);
    }
    applied.push(`${kind}@${i}`);
  }
  return { text: toks.join(''), applied };
}

/** What "a syntax error at position i" inserts (or, for `''`, the character at i is deleted). */
export const BREAKERS: readonly string[] = ['(', ')', '[', ']', '{', '"', "'", '"""', ':', '\\', '\n    ', 'def ', '=', ',', '@', '\t', ''];

/** `text` with a syntax error made at UTF-16 offset `at`, chosen from `BREAKERS` by `r`. */
export function breakAt(r: Rng, text: string, at: number): string {
  const b = r.pick(BREAKERS);
  return b === '' ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + b + text.slice(at);
}

// ------------------------------------------------------------------ large and deep inputs

/** `count` statements of ordinary code, one flagged call in every `every` (a file of that many lines or more). */
export function manyStatements(r: Rng, count: number, every = 50): string {
  const heads = ['import os', 'import torch', 'import pickle', 'import yaml', 'import numpy as np', 'from transformers import AutoModel', ''];
  const plain = [
    (i: number) => `x = y + ${i}`,
    (i: number) => `f(x${i % 97}, k=1)`,
    () => `y = [v for v in z]`,
    (i: number) => `p = d / "${i}"`,
    () => `log.info(x)`,
    () => `n = torch.load(q, weights_only=True)`,
  ];
  const flagged = [
    (i: number) => `m${i} = torch.load("ckpt-${i}.pt")`,
    (i: number) => `d${i} = pickle.loads(blob${i})`,
    (i: number) => `c${i} = yaml.load(open("c${i}.yaml"))`,
    (i: number) => `a${i} = np.load("a${i}.npy", allow_pickle=True)`,
    (i: number) => `t${i} = AutoModel.from_pretrained("org/model-${i}", trust_remote_code=True)`,
  ];
  const lines = [...heads, 'import logging'];
  for (let i = 0; lines.length < count + heads.length + 1; i++) {
    lines.push(i % every === 0 ? r.pick(flagged)(i) : r.pick(plain)(i));
  }
  return `${lines.join('\n')}\n`;
}

/** `depth` nested openers around a flagged call, closed (or not), on one line. */
export function nested(open: string, close: string, depth: number, closed = true): string {
  return `import torch\nx = ${open.repeat(depth)}torch.load(p)${closed ? close.repeat(depth) : ''}\n`;
}
