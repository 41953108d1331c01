/**
 * conda environment files (environment.yml), parsed with `yaml`'s `parseDocument` for node ranges:
 * - `channels`: channel names or URLs (index options `channel`; `http://` ones are insecure);
 * - `dependencies`: conda match specs (see `conda.ts`; a `channel::` prefix is recorded as a channel too), and the
 *   `- pip:` sub-list, whose strings conda writes to a requirements file for pip: each is read as a requirements-file
 *   line (PEP 508 requirements, URLs, and pip options such as `--extra-index-url`), group `pip`.
 * Duplicate keys are allowed, as PyYAML (which conda uses) allows them; the last one wins. Invalid YAML gives one
 * error at the parser's position.
 */
import { parseDocument, isAlias, isMap, isScalar, isSeq, type Node, type Scalar } from 'yaml';
import type { Collector } from './collect';
import { parseCondaSpec } from './conda';
import { condaNormalizedName } from './packages';
import { handleRequirementsLine } from './requirements';
import { Mapped } from './text';

/** A scalar's text mapped to the source: verbatim when the source holds it as written, else whole-node. */
export function scalarText(text: string, node: Scalar): Mapped | undefined {
  const range = node.range;
  if (!range) return undefined;
  const [start, valueEnd] = range;
  const raw = text.slice(start, valueEnd);
  const value = typeof node.value === 'string' ? node.value : raw;
  if (node.type === 'PLAIN' || typeof node.value !== 'string') {
    if (raw === value) return Mapped.identity(value, start);
  } else if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') {
    if (raw.slice(1, -1) === value) return Mapped.identity(value, start + 1);
  }
  return Mapped.atomic(value, start, valueEnd);
}

function lastValue(node: unknown, key: string): Node | null | undefined {
  if (!isMap(node)) return undefined;
  let found: Node | null | undefined;
  for (const pair of node.items) {
    const k = pair.key;
    if ((isScalar(k) ? k.value : k) === key) found = (pair.value as Node | null) ?? null;
  }
  return found;
}

function rangeOf(node: unknown): [number, number] {
  const r = (node as { range?: [number, number, number] } | null)?.range;
  return r ? [r[0], r[1]] : [0, 0];
}

export function parseEnvironmentInto(col: Collector, text: string): void {
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    col.error(e.message.split('\n')[0], e.pos[0], Math.max(e.pos[0], e.pos[1]));
    return;
  }
  const root = doc.contents;
  if (root === null || root === undefined) return;
  if (!isMap(root)) {
    const [a, b] = rangeOf(root);
    col.error('an environment file must be a mapping with `channels` and `dependencies`', a, b);
    return;
  }
  const channels = lastValue(root, 'channels');
  if (channels) {
    if (!isSeq(channels)) col.error('`channels` must be a list', ...rangeOf(channels));
    else
      for (const item of channels.items) {
        if (!isScalar(item) || item.value === null) continue;
        const m = scalarText(text, item);
        if (m) col.index('channel', m.text, m.start(0), m.end(m.length));
      }
  }
  const deps = lastValue(root, 'dependencies');
  if (!deps) return;
  if (!isSeq(deps)) {
    col.error('`dependencies` must be a list', ...rangeOf(deps));
    return;
  }
  for (const item of deps.items) {
    // an alias (`- *torch`) repeats an entry written elsewhere, which is read there
    if (isAlias(item)) continue;
    if (isScalar(item)) {
      if (item.value === null) continue;
      const m = scalarText(text, item);
      if (m) addCondaSpec(col, m);
    } else if (isMap(item)) {
      const pip = lastValue(item, 'pip');
      if (pip === undefined || pip === null) continue;
      if (!isSeq(pip)) {
        col.error('`pip` must be a list of requirements', ...rangeOf(pip));
        continue;
      }
      for (const p of pip.items) {
        if (!isScalar(p)) {
          col.error('a pip entry must be a string', ...rangeOf(p));
          continue;
        }
        if (p.value === null) continue;
        const m = scalarText(text, p);
        if (m) handleRequirementsLine(col, m, 'pip');
      }
    } else if (item) col.error('a dependency must be a match spec string or a `pip:` list', ...rangeOf(item));
  }
}

/** One conda match spec at mapped text `m` (environment files and `conda install`). */
export function addCondaSpec(col: Collector, m: Mapped, group?: string): void {
  const r = parseCondaSpec(m.text);
  if (!r.ok) {
    col.errorIn(m, r.error.message, r.error.start, r.error.end);
    return;
  }
  const c = r.spec;
  if (c.channel !== undefined && c.channelStart !== undefined && c.channelEnd !== undefined) col.index('channel', c.channel, m.start(c.channelStart), m.end(c.channelEnd));
  col.dependency({
    name: c.name,
    normalized: condaNormalizedName(c.name),
    specifier: c.specifier,
    pin: c.pin,
    ...(c.minimum !== undefined ? { minimum: c.minimum } : {}),
    ...(group !== undefined ? { group } : {}),
    ...(c.channel !== undefined ? { channel: c.channel } : {}),
    start: m.start(c.start),
    end: m.end(c.end),
    nameStart: m.start(c.nameStart),
    nameEnd: m.end(c.nameEnd),
  });
}
