/**
 * The threat-model generator's entry points, shared by `secure-ai threat-model` and the language server's
 * `secureAi/generateThreatModel` request: gather the workspace, build the model (pure), render it, and write it
 * (inside the workspace, atomically, never over a file this tool did not write unless forced).
 */
import * as path from 'node:path';
import { buildThreatModel } from './build';
import { DEFAULT_OUTPUT, OutputError, inspectTarget, render, resolveTarget, writeAtomic, type Format } from './output';
import type { ThreatModel } from './types';
import { gatherWorkspace, type GatherOptions } from './workspace';

export { buildThreatModel, type WorkspaceFacts } from './build';
export { DEFAULT_OUTPUT, FORMATS, OutputError, type Format } from './output';
export { GatherError, gatherWorkspace, type GatherOptions } from './workspace';
export type { ThreatModel } from './types';

export interface GenerateOptions extends GatherOptions {
  format: Format;
  /**
   * The file to write, relative to `base`. Undefined: `THREAT_MODEL.md` in the folder for Markdown; for the JSON
   * formats nothing is written and the text is returned.
   */
  output?: string;
  /** What a relative `output` is read against (default: the folder). */
  base?: string;
  /** Folders the file may be written in (default: the folder). */
  allowedRoots?: string[];
  /** Replace a file that this tool did not write. */
  force?: boolean;
  /** False: return the text only (`--output -`). Default: write Markdown, and JSON when `output` is given. */
  write?: boolean;
}

export interface ThreatModelSummary {
  threats: number;
  open: number;
  accepted: number;
  mitigated: number;
  notApplicable: number;
  findings: number;
  components: number;
}

export interface GenerateResult {
  model: ThreatModel;
  text: string;
  /** The file written; undefined when the text was only returned. */
  target?: string;
  summary: ThreatModelSummary;
  addedBlocks: string[];
  keptStatuses: string[];
}

export function summarize(model: ThreatModel): ThreatModelSummary {
  const by = (s: string) => model.threats.filter((t) => t.status === s).length;
  return {
    threats: model.threats.length,
    open: by('Open'),
    accepted: by('Accepted'),
    mitigated: by('Mitigated'),
    notApplicable: by('Not applicable'),
    findings: model.findings.open,
    components: model.components.length,
  };
}

export function summaryLine(s: ThreatModelSummary): string {
  return `${s.threats} threats: ${s.open} open, ${s.mitigated} mitigated, ${s.accepted} accepted, ${s.notApplicable} not applicable; ${s.findings} open findings`;
}

/** Where the file for `options` goes and what is there now, without generating anything. */
export function planThreatModel(root: string, options: Pick<GenerateOptions, 'format' | 'output' | 'base' | 'allowedRoots'>): { target: string; exists: boolean; ours: boolean } {
  const abs = path.resolve(root);
  const target = resolveTarget(options.output ?? DEFAULT_OUTPUT, options.base ?? abs, options.allowedRoots ?? [abs]);
  const state = inspectTarget(target, options.format);
  return { target, exists: state.exists, ours: state.ours };
}

export async function generateThreatModel(root: string, options: GenerateOptions): Promise<GenerateResult> {
  const abs = path.resolve(root);
  const writes = options.write ?? (options.output !== undefined || options.format === 'md');
  const target = writes ? resolveTarget(options.output ?? DEFAULT_OUTPUT, options.base ?? abs, options.allowedRoots ?? [abs]) : undefined;
  /** The file's current text when this tool wrote it; a file it did not write needs `force`. */
  const current = (): string | undefined => {
    if (!target) return undefined;
    const state = inspectTarget(target, options.format);
    if (state.exists && !state.ours && !options.force) {
      throw new OutputError(
        `'${path.relative(options.base ?? abs, target) || target}' exists and was not written by secure-ai (no secure-ai markers); use --force to replace it`,
        'needs-force',
      );
    }
    return state.ours ? state.text : undefined;
  };
  current(); // fail before the scan, not after it
  const facts = await gatherWorkspace(abs, options);
  const model = buildThreatModel(facts);
  // Read again: the file may have been edited while the workspace was scanned.
  const existing = current();
  const rendered = render(model, options.format, { root: abs, target: target ?? path.join(abs, DEFAULT_OUTPUT), existing });
  if (target) writeAtomic(target, rendered.text);
  return {
    model: rendered.model,
    text: rendered.text,
    target,
    summary: summarize(rendered.model),
    addedBlocks: rendered.addedBlocks,
    keptStatuses: rendered.keptStatuses,
  };
}
