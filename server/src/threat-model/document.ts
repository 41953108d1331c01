/**
 * The Markdown file as generated blocks and human text. A block runs from `<!-- secure-ai:begin NAME -->` to the
 * next `<!-- secure-ai:end -->`; regeneration replaces block bodies and leaves every line outside them as it was.
 *
 * The threats block also carries the state regeneration needs: `<!-- secure-ai:state {...} -->` records the status
 * the generator derived for each threat, so that a status that differs from it is known to be a person's and kept.
 */
import { THREAT_STATUSES, type ThreatStatus } from './types';

export const BLOCK_END = '<!-- secure-ai:end -->';
export const blockBegin = (name: string) => `<!-- secure-ai:begin ${name} -->`;
const BEGIN = /^<!-- secure-ai:begin ([\w-]+) -->[ \t]*$/;
const END = /^<!-- secure-ai:end -->[ \t]*$/;
const STATE = /^<!-- secure-ai:state (\{.*\}) -->$/m;

export type Segment = { kind: 'text'; lines: string[] } | { kind: 'block'; name: string; body: string[] };

export interface ParsedDocument {
  segments: Segment[];
  eol: '\n' | '\r\n';
  /** A begin marker with no end: the rest of the file is kept as text and nothing after it is replaced. */
  unterminated?: string;
}

export function parseDocument(text: string): ParsedDocument {
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const segments: Segment[] = [];
  let textLines: string[] = [];
  let unterminated: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const m = BEGIN.exec(lines[i]);
    if (m) {
      let j = i + 1;
      while (j < lines.length && !END.test(lines[j]) && !BEGIN.test(lines[j])) j++;
      if (j < lines.length && END.test(lines[j])) {
        textLines.push(lines[i]);
        segments.push({ kind: 'text', lines: textLines });
        segments.push({ kind: 'block', name: m[1], body: lines.slice(i + 1, j) });
        textLines = [lines[j]];
        i = j;
        continue;
      }
      unterminated ??= m[1];
    }
    textLines.push(lines[i]);
  }
  segments.push({ kind: 'text', lines: textLines });
  return { segments, eol, unterminated };
}

export function hasMarkers(text: string): boolean {
  return parseDocument(text).segments.some((s) => s.kind === 'block');
}

export function blockNames(text: string): string[] {
  return parseDocument(text).segments.flatMap((s) => (s.kind === 'block' ? [s.name] : []));
}

export function blockBody(text: string, name: string): string | undefined {
  const s = parseDocument(text).segments.find((x) => x.kind === 'block' && x.name === name);
  return s && s.kind === 'block' ? s.body.join('\n') : undefined;
}

/**
 * `existing` with each block's body replaced by `fresh`'s body of the same name. Blocks of `fresh` that `existing`
 * lacks are appended, each under its section from `fresh` (the heading line before the block).
 */
export function mergeDocument(existing: string, fresh: string): { text: string; added: string[] } {
  const old = parseDocument(existing);
  const neu = parseDocument(fresh);
  const bodies = new Map<string, string[]>();
  const headings = new Map<string, string[]>();
  neu.segments.forEach((s, i) => {
    if (s.kind !== 'block') return;
    bodies.set(s.name, s.body);
    const before = neu.segments[i - 1];
    const heading = before && before.kind === 'text' ? [...before.lines].reverse().find((l) => /^#{1,6} /.test(l)) : undefined;
    headings.set(s.name, heading ? [heading, ''] : []);
  });
  const seen = new Set<string>();
  const out: string[] = [];
  for (const s of old.segments) {
    if (s.kind === 'text') {
      out.push(...s.lines);
      continue;
    }
    seen.add(s.name);
    const body = bodies.get(s.name);
    // A block this version does not write (an older or newer generator's) is left alone.
    out.push(...(body ?? s.body));
  }
  const added: string[] = [];
  for (const [name, body] of bodies) {
    if (seen.has(name)) continue;
    added.push(name);
    while (out.length && out[out.length - 1] === '') out.pop();
    out.push('', ...(headings.get(name) ?? []), blockBegin(name), ...body, BLOCK_END, '');
  }
  return { text: out.join(old.eol), added };
}

// ------------------------------------------------------------------ the threats table

export interface KeptRow {
  status?: ThreatStatus;
  notes: string;
  /** The row as written, for rows the generator does not produce (a person's own threats). */
  line: string;
}

export interface ThreatTableState {
  rows: Map<string, KeptRow>;
  /** The statuses the generator derived last time, by threat id. */
  generated: Record<string, ThreatStatus>;
  /** Row ids in table order. */
  order: string[];
}

/** Split a Markdown table row into cells, honouring `\|`. */
export function cells(line: string): string[] {
  const t = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '\\' && t[i + 1] === '|') {
      cur += '\\|';
      i++;
    } else if (t[i] === '|') {
      out.push(cur.trim());
      cur = '';
    } else cur += t[i];
  }
  out.push(cur.trim());
  return out;
}

function statusOf(cell: string): ThreatStatus | undefined {
  const plain = cell.replace(/[*_`]/g, '').trim().toLowerCase();
  return THREAT_STATUSES.find((s) => s.toLowerCase() === plain || (s === 'Not applicable' && (plain === 'n/a' || plain === 'na')));
}

/** The rows of the threats table in a threats block body, by the ID column; the columns are found by header. */
export function readThreatTable(body: string): ThreatTableState {
  const rows = new Map<string, KeptRow>();
  const order: string[] = [];
  let generated: Record<string, ThreatStatus> = {};
  const state = STATE.exec(body);
  if (state) {
    try {
      const parsed = JSON.parse(state[1]) as unknown;
      if (parsed && typeof parsed === 'object') {
        for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
          const st = typeof v === 'string' ? statusOf(v) : undefined;
          if (st) generated[k] = st;
        }
      }
    } catch {
      generated = {};
    }
  }
  let header: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    if (!line.trim().startsWith('|')) {
      header = undefined;
      continue;
    }
    const c = cells(line);
    if (!header) {
      header = c.map((h) => h.toLowerCase());
      continue;
    }
    if (c.every((x) => /^:?-+:?$/.test(x))) continue;
    const idCol = header.indexOf('id');
    if (idCol < 0) continue;
    const id = c[idCol]?.replace(/[`*]/g, '').trim();
    if (!id) continue;
    const statusCol = header.indexOf('status');
    const notesCol = header.indexOf('notes');
    rows.set(id, { status: statusCol >= 0 ? statusOf(c[statusCol] ?? '') : undefined, notes: notesCol >= 0 ? (c[notesCol] ?? '') : '', line });
    order.push(id);
  }
  return { rows, generated, order };
}

export function stateComment(generated: Record<string, ThreatStatus>): string {
  return `<!-- secure-ai:state ${JSON.stringify(generated)} -->`;
}
