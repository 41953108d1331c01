/**
 * The AI bill of materials' entry points, shared by `secure-ai bom` and the language server's `secureAi/exportBom`
 * request: gather the folder with the threat model's gatherer (the same scan, the same inventory), hash the model and
 * data files it names, read back pinned revisions, build the CycloneDX document (pure), and write it like the threat
 * model is written (inside the allowed folders, never through a symbolic link, atomically, never over a file this
 * tool did not write unless forced).
 */
import * as path from 'node:path';
import { DEFAULT_SETTINGS } from '../shared/settings';
import { buildThreatModel } from '../threat-model/build';
import { OutputError, readTarget, resolveTarget, writeAtomic } from '../threat-model/output';
import { gatherWorkspace, type GatherOptions } from '../threat-model/workspace';
import { bomText, buildBom, localKey, type BomSummary, type CycloneDxBom } from './build';
import { DEFAULT_MAX_HASH_BYTES, digestFile, digestFiles, fileInside, localCandidates, resolveLocalName } from './files';
import { pinnedRevisions } from './revisions';

export { bomText, buildBom, summaryLine, type BomInput, type BomSummary, type CycloneDxBom } from './build';
export { DEFAULT_MAX_HASH_BYTES } from './files';
export { GatherError } from '../threat-model/workspace';
export { OutputError } from '../threat-model/output';

/** Where the BOM goes when a file is asked for and none is named. */
export const DEFAULT_BOM_OUTPUT = DEFAULT_SETTINGS['bom.path'] ?? 'ai-bom.cdx.json';

export interface BomOptions extends GatherOptions {
  /** The file to write, relative to `base`; undefined: return the text only. */
  output?: string;
  /** What a relative `output` is read against (default: the folder). */
  base?: string;
  /** Folders the file may be written in (default: the folder). */
  allowedRoots?: string[];
  /** Replace a file that this tool did not write. */
  force?: boolean;
  /** The threat model to reference, relative to the folder (default: the `threatModel.path` setting's default). */
  threatModelPath?: string;
  /** Model and data files larger than this are listed without a hash (default 1 GB). */
  maxHashBytes?: number;
  /** Fix the serial number (tests); default: derived from the content. */
  serialNumber?: string;
}

export interface BomResult {
  bom: CycloneDxBom;
  text: string;
  /** The file written; undefined when the text was only returned. */
  target?: string;
  summary: BomSummary;
}

/** Whether `text` is a BOM this tool wrote: CycloneDX JSON naming secure-ai among its tools. */
export function writtenBySecureAi(text: string): boolean {
  try {
    const json = JSON.parse(text) as { bomFormat?: unknown; metadata?: { tools?: unknown } };
    if (json.bomFormat !== 'CycloneDX') return false;
    const tools = json.metadata?.tools;
    const list = Array.isArray(tools) ? tools : (tools as { components?: unknown } | undefined)?.components;
    return Array.isArray(list) && list.some((t) => (t as { name?: unknown } | null)?.name === 'secure-ai');
  } catch {
    return false;
  }
}

export interface BomPlan {
  target: string;
  exists: boolean;
  ours: boolean;
}

function inspect(target: string): { exists: boolean; ours: boolean } {
  const text = readTarget(target);
  return text === undefined ? { exists: false, ours: false } : { exists: true, ours: writtenBySecureAi(text) };
}

/** Where the file for `options` goes and what is there now, without generating anything. */
export function planBom(root: string, options: Pick<BomOptions, 'output' | 'base' | 'allowedRoots'>): BomPlan {
  const abs = path.resolve(root);
  const target = resolveTarget(options.output ?? DEFAULT_BOM_OUTPUT, options.base ?? abs, options.allowedRoots ?? [abs]);
  return { target, ...inspect(target) };
}

export async function generateBom(root: string, options: BomOptions = {}): Promise<BomResult> {
  const abs = path.resolve(root);
  const target = options.output !== undefined ? resolveTarget(options.output, options.base ?? abs, options.allowedRoots ?? [abs]) : undefined;
  const check = () => {
    if (!target) return;
    const state = inspect(target);
    if (state.exists && !state.ours && !options.force) {
      throw new OutputError(
        `'${path.relative(options.base ?? abs, target) || target}' exists and was not written by secure-ai (not a CycloneDX BOM from secure-ai); use --force to replace it`,
        'needs-force',
      );
    }
  };
  check(); // fail before the scan, not after it

  const facts = await gatherWorkspace(root, options); // as given: its errors name the folder as the user wrote it
  const inventory = buildThreatModel(facts).inventory;
  const cancelled = options.cancelled ?? (() => false);

  // A model file the walk found but that is not a regular file inside the folder (a symbolic link) is listed, with
  // its name, but never read.
  const unreadable = new Map(inventory.modelFiles.filter((m) => !fileInside(abs, m.path)).map((m) => [m.path, m]));
  const localFiles = new Map<string, string>();
  for (const u of [...inventory.models, ...inventory.datasets]) {
    if (u.source !== 'local' || u.computed) continue;
    const hit = resolveLocalName(abs, u.name, u.evidence.path) ?? localCandidates(abs, u.name, u.evidence.path).find((c) => unreadable.has(c));
    if (hit) localFiles.set(localKey(u), hit);
  }
  const usingFiles = new Set([...inventory.models, ...inventory.datasets, ...inventory.externalApis].map((u) => u.evidence.path));
  const toHash = [
    ...inventory.modelFiles.filter((m) => !unreadable.has(m.path)).map((m) => m.path),
    ...[...localFiles.values()].filter((p) => !unreadable.has(p)),
    ...[...usingFiles].filter((p) => fileInside(abs, p) !== undefined),
  ];
  const maxHashBytes = options.maxHashBytes ?? DEFAULT_MAX_HASH_BYTES;
  const digests = await digestFiles(abs, toHash, maxHashBytes, cancelled);
  for (const m of unreadable.values()) digests.set(m.path, { bytes: m.bytes, skipped: 'not a regular file inside the folder (a symbolic link?)' });
  const revisions = await pinnedRevisions(abs, [...inventory.models, ...inventory.datasets], (options.settings?.maxFileSizeKb ?? DEFAULT_SETTINGS.maxFileSizeKb) * 1024);

  const tmRel = fileInside(abs, options.threatModelPath ?? DEFAULT_SETTINGS['threatModel.path']);
  const threatModel = tmRel ? { path: tmRel, digest: await digestFile(path.join(abs, ...tmRel.split('/')), maxHashBytes) } : undefined;

  const { bom, summary } = buildBom({
    project: facts.project,
    inventory,
    localFiles,
    digests,
    revisions,
    threatModel,
    timestamp: options.now ?? new Date(),
    serialNumber: options.serialNumber,
  });
  const text = bomText(bom);
  if (target) {
    check(); // again: the file may have appeared while the folder was scanned
    writeAtomic(target, text);
  }
  return { bom, text, target, summary };
}
