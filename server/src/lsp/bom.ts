/**
 * `secureAi/exportBom`: the AI bill of materials behind "Secure AI: Export AI Bill of Materials". The target comes
 * from the folder's `secureAi.bom.path` setting and must stay inside the folder (never through a symbolic link); the
 * scan uses the folder's settings (exclude, size limit, rule overrides), and the threat model it references is the
 * one `secureAi.threatModel.path` names. Only one export runs per folder at a time. Like the threat model, it works
 * in restricted mode: it reads files and writes one, and runs nothing from the workspace.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ErrorCodes, LSPErrorCodes, ResponseError } from 'vscode-languageserver';
import { GatherError, OutputError, generateBom, planBom, summaryLine, DEFAULT_BOM_OUTPUT } from '../bom';
import type { ExportBomParams, ExportBomResult } from '../shared/protocol';

export { exportBomRequest } from '../shared/protocol';
import type { Settings } from '../shared/settings';

export interface BomDeps {
  /** The server's workspace folders. */
  folders(): Array<{ uri: string; path: string }>;
  settings(uri: string): Promise<Settings>;
  /**
   * The client's raw `secureAi` section for a scope, for `bom.path` while the settings normaliser does not carry it.
   * Absent, or failing: the default path.
   */
  configuration?(scopeUri: string): Promise<unknown>;
}

const running = new Map<string, Promise<ExportBomResult>>();

function folderPath(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? path.resolve(fileURLToPath(uri)) : undefined;
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `secureAi.bom.path` for the folder: nested as VS Code sends it (`{ bom: { path } }`) or flat. */
async function bomPath(settings: Settings, deps: BomDeps, scopeUri: string): Promise<string> {
  const normalised = settings['bom.path'];
  if (typeof normalised === 'string' && normalised.trim() !== '') return normalised.trim();
  let raw: unknown;
  try {
    raw = await deps.configuration?.(scopeUri);
  } catch {
    raw = undefined;
  }
  const v = isRecord(raw) ? (isRecord(raw.bom) ? raw.bom.path : raw['bom.path']) : undefined;
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : DEFAULT_BOM_OUTPUT;
}

export async function handleExportBom(params: ExportBomParams, deps: BomDeps): Promise<ExportBomResult> {
  if (!params || typeof params.folderUri !== 'string' || (params.mode !== 'plan' && params.mode !== 'write')) {
    throw new ResponseError(ErrorCodes.InvalidParams, 'exportBom: folderUri and mode ("plan" or "write") are required');
  }
  const abs = folderPath(params.folderUri);
  const folder = abs && deps.folders().find((f) => path.resolve(f.path) === abs);
  if (!folder) throw new ResponseError(ErrorCodes.InvalidParams, `exportBom: ${params.folderUri} is not a workspace folder`);
  const settings = await deps.settings(folder.uri);
  const where = { output: await bomPath(settings, deps, folder.uri), base: folder.path, allowedRoots: [folder.path] };
  const planned = (): ExportBomResult => {
    const plan = planBom(folder.path, where);
    return { uri: pathToFileURL(plan.target).href, exists: plan.exists, ours: plan.ours, written: false };
  };
  try {
    if (params.mode === 'plan') return planned();
    const previous = running.get(folder.path);
    if (previous) await previous.catch(() => undefined);
    const job = (async (): Promise<ExportBomResult> => {
      const r = await generateBom(folder.path, {
        ...where,
        force: params.force === true,
        threatModelPath: settings['threatModel.path'],
        settings: { exclude: settings.exclude, maxFileSizeKb: settings.maxFileSizeKb, rules: settings.rules, minConfidence: settings.minConfidence },
      });
      return { uri: pathToFileURL(r.target!).href, exists: true, ours: true, written: true, summary: summaryLine(r.summary) };
    })();
    running.set(folder.path, job);
    try {
      return await job;
    } finally {
      if (running.get(folder.path) === job) running.delete(folder.path);
    }
  } catch (err) {
    if (err instanceof OutputError && err.problem === 'needs-force') return planned();
    if (err instanceof OutputError || err instanceof GatherError) throw new ResponseError(LSPErrorCodes.RequestFailed, err.message);
    throw err;
  }
}
