/**
 * `secureAi/generateThreatModel`: the threat-model generator behind the VS Code command. The target comes from the
 * folder's `secureAi.threatModel.path` setting and must stay inside the folder; the scan uses the folder's settings
 * (exclude, size limit, rule overrides). Only one generation runs per folder at a time.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ErrorCodes, LSPErrorCodes, ResponseError } from 'vscode-languageserver';
import type { GenerateThreatModelParams, GenerateThreatModelResult } from '../shared/protocol';
import type { Settings } from '../shared/settings';
import { GatherError, OutputError, generateThreatModel, planThreatModel, summaryLine } from '../threat-model';

export interface ThreatModelDeps {
  /** The server's workspace folders. */
  folders(): Array<{ uri: string; path: string }>;
  settings(uri: string): Promise<Settings>;
}

const running = new Map<string, Promise<unknown>>();

/**
 * Run `job` for `folder` after the one of its kind already running there (`running` holds one kind's jobs): one
 * writer per folder at a time, and a failed earlier job does not stop the next.
 */
export async function oneAtATime<T>(running: Map<string, Promise<unknown>>, folder: string, job: () => Promise<T>): Promise<T> {
  const previous = running.get(folder);
  if (previous) await previous.catch(() => undefined);
  const current = job();
  running.set(folder, current);
  try {
    return await current;
  } finally {
    if (running.get(folder) === current) running.delete(folder);
  }
}

function folderPath(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? path.resolve(fileURLToPath(uri)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The workspace folder a `plan` / `write` request (threat model, bill of materials) names, after checking its params;
 * an `InvalidParams` error otherwise.
 */
export function requestedFolder(
  params: { folderUri?: unknown; mode?: unknown } | null | undefined,
  folders: Array<{ uri: string; path: string }>,
  method: string,
): { uri: string; path: string } {
  if (!params || typeof params.folderUri !== 'string' || (params.mode !== 'plan' && params.mode !== 'write')) {
    throw new ResponseError(ErrorCodes.InvalidParams, `${method}: folderUri and mode ("plan" or "write") are required`);
  }
  const abs = folderPath(params.folderUri);
  const folder = abs && folders.find((f) => path.resolve(f.path) === abs);
  if (!folder) throw new ResponseError(ErrorCodes.InvalidParams, `${method}: ${params.folderUri} is not a workspace folder`);
  return folder;
}

export async function handleGenerateThreatModel(params: GenerateThreatModelParams, deps: ThreatModelDeps): Promise<GenerateThreatModelResult> {
  const folder = requestedFolder(params, deps.folders(), 'generateThreatModel');
  const settings = await deps.settings(folder.uri);
  const output = settings['threatModel.path'];
  const where = { format: 'md' as const, output, base: folder.path, allowedRoots: [folder.path] };
  try {
    if (params.mode === 'plan') {
      const plan = planThreatModel(folder.path, where);
      return { uri: pathToFileURL(plan.target).href, exists: plan.exists, ours: plan.ours, written: false };
    }
    return await oneAtATime(running, folder.path, async (): Promise<GenerateThreatModelResult> => {
      const r = await generateThreatModel(folder.path, {
        ...where,
        force: params.force === true,
        settings: { exclude: settings.exclude, maxFileSizeKb: settings.maxFileSizeKb, rules: settings.rules, minConfidence: settings.minConfidence },
      });
      return {
        uri: pathToFileURL(r.target!).href,
        exists: true,
        ours: true,
        written: true,
        summary: summaryLine(r.summary),
        keptStatuses: r.keptStatuses.length,
      };
    });
  } catch (err) {
    if (err instanceof OutputError && err.problem === 'needs-force') {
      const plan = planThreatModel(folder.path, where);
      return { uri: pathToFileURL(plan.target).href, exists: plan.exists, ours: plan.ours, written: false };
    }
    if (err instanceof OutputError || err instanceof GatherError) throw new ResponseError(LSPErrorCodes.RequestFailed, err.message);
    throw err;
  }
}
