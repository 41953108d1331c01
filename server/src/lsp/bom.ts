/**
 * `secureAi/exportBom`: the AI bill of materials behind "Secure AI: Export AI Bill of Materials". The target comes
 * from the folder's `secureAi.bom.path` setting and must stay inside the folder (never through a symbolic link); the
 * scan uses the folder's settings (exclude, size limit, rule overrides), and the threat model it references is the
 * one `secureAi.threatModel.path` names. Only one export runs per folder at a time. Like the threat model, it works
 * in restricted mode: it reads files and writes one, and runs nothing from the workspace.
 */
import { pathToFileURL } from 'node:url';
import { LSPErrorCodes, ResponseError } from 'vscode-languageserver';
import { GatherError, OutputError, generateBom, planBom, summaryLine } from '../bom';
import type { ExportBomParams, ExportBomResult } from '../shared/protocol';
import type { Settings } from '../shared/settings';
import { oneAtATime, requestedFolder } from './threat-model';

export { exportBomRequest } from '../shared/protocol';

/** The exports running, by folder. */
const running = new Map<string, Promise<unknown>>();

export interface BomDeps {
  /** The server's workspace folders. */
  folders(): Array<{ uri: string; path: string }>;
  settings(uri: string): Promise<Settings>;
}

export async function handleExportBom(params: ExportBomParams, deps: BomDeps): Promise<ExportBomResult> {
  const folder = requestedFolder(params, deps.folders(), 'exportBom');
  const settings = await deps.settings(folder.uri);
  const where = { output: settings['bom.path'], base: folder.path, allowedRoots: [folder.path] };
  const planned = (): ExportBomResult => {
    const plan = planBom(folder.path, where);
    return { uri: pathToFileURL(plan.target).href, exists: plan.exists, ours: plan.ours, written: false };
  };
  try {
    if (params.mode === 'plan') return planned();
    return await oneAtATime(running, folder.path, async (): Promise<ExportBomResult> => {
      const r = await generateBom(folder.path, {
        ...where,
        force: params.force === true,
        threatModelPath: settings['threatModel.path'],
        settings: { exclude: settings.exclude, maxFileSizeKb: settings.maxFileSizeKb, rules: settings.rules, minConfidence: settings.minConfidence },
      });
      return { uri: pathToFileURL(r.target!).href, exists: true, ours: true, written: true, summary: summaryLine(r.summary) };
    });
  } catch (err) {
    if (err instanceof OutputError && err.problem === 'needs-force') return planned();
    if (err instanceof OutputError || err instanceof GatherError) throw new ResponseError(LSPErrorCodes.RequestFailed, err.message);
    throw err;
  }
}
