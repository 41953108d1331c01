/**
 * The commit a pinned Hub load names. The inventory records *that* a load is pinned (`pinned: 'yes'`) but, for a full
 * commit hash, not the hash itself (`pinnedOf` in threat-model/inventory.ts keeps `revision` for movable refs only),
 * and a BOM needs it as the component's version. Until the inventory carries it, this reads it back: only the files
 * with pinned loads, only the calls at the inventory's lines, with the same helpers the inventory and the rules use
 * (`hubCall`, `revisionOf`). A use whose `revision` is already a full hash is taken as it is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initEngine } from '../engine/analyze';
import { decode } from '../engine/decode';
import { getParser } from '../engine/parser';
import { SemanticModel } from '../engine/semantic';
import { hubCall, isFullSha, revisionOf } from '../rules/hub';
import type { DatasetUse, ModelUse } from '../threat-model/types';

export const useKey = (u: { evidence: { path: string; line: number } }) => `${u.evidence.path}:${u.evidence.line}`;

/** Files larger than this are not parsed again (the scan's own default limit). */
const MAX_BYTES = 2048 * 1024;

/** The pinned commit of each Hub load (models and datasets) that names one, by `path:line`. */
export async function pinnedRevisions(root: string, uses: Array<ModelUse | DatasetUse>, maxBytes = MAX_BYTES): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const wanted = new Map<string, Set<number>>();
  for (const u of uses) {
    if (u.pinned !== 'yes' || u.source !== 'hub') continue;
    if (u.revision && isFullSha(u.revision)) {
      out.set(useKey(u), u.revision);
      continue;
    }
    const lines = wanted.get(u.evidence.path) ?? new Set<number>();
    lines.add(u.evidence.line);
    wanted.set(u.evidence.path, lines);
  }
  if (wanted.size === 0) return out;
  await initEngine();
  const parser = getParser();
  for (const [rel, lines] of [...wanted].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    let bytes: Buffer;
    try {
      const abs = path.join(path.resolve(root), ...rel.split('/'));
      if (fs.statSync(abs).size > maxBytes) continue;
      bytes = fs.readFileSync(abs);
    } catch {
      continue;
    }
    const decoded = decode(bytes);
    if (!decoded.ok) continue;
    const tree = parser.parse(decoded.text);
    if (!tree) continue;
    try {
      const model = new SemanticModel(tree, decoded.text);
      for (const call of model.calls) {
        const line = call.node.startPosition.row + 1;
        const key = `${rel}:${line}`;
        if (!lines.has(line) || out.has(key)) continue;
        const hub = hubCall(call);
        if (!hub) continue;
        const sha = embeddedSha(call, hub.idNode) ?? keywordSha(call);
        if (sha) out.set(key, sha);
      }
    } catch {
      // Too complex to walk again: the component simply has no version.
    } finally {
      tree.delete();
    }
  }
  return out;
}

type Call = SemanticModel['calls'][number];

function keywordSha(call: Call): string | undefined {
  const r = revisionOf(call);
  if (r.pin.kind !== 'pinned' || !r.node) return undefined;
  const v = call.model.evaluate(r.node, call.scope);
  return v.kind === 'str' && v.complete && isFullSha(v.value) ? v.value : undefined;
}

/** timm's `hf-hub:org/name@<sha>`. */
function embeddedSha(call: Call, idNode: Parameters<Call['model']['evaluate']>[0] | undefined): string | undefined {
  if (!idNode) return undefined;
  const v = call.model.evaluate(idNode, call.scope);
  if (v.kind !== 'str' || !v.complete) return undefined;
  const at = v.value.lastIndexOf('@');
  const sha = at === -1 ? undefined : v.value.slice(at + 1);
  return sha && isFullSha(sha) ? sha : undefined;
}
