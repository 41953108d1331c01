/**
 * What "Secure AI: Generate Threat Model" does, written against a small interface rather than the vscode API, so the
 * steps can be tested without an editor: pick the folder (asked only in a multi-root workspace), ask the server where
 * the file goes, ask before replacing a file secure-ai did not write, save the open copy if it has unsaved edits (so
 * they are kept), generate, open the file and offer the Markdown preview.
 */
import type { GenerateThreatModelParams, GenerateThreatModelResult } from '../../server/src/shared/protocol';

export interface Folder {
  uri: string;
  name: string;
}

export interface ThreatModelUi {
  folders(): Folder[];
  /** Ask which folder; undefined when the user cancels. */
  pickFolder(folders: Folder[]): Promise<Folder | undefined>;
  request(params: GenerateThreatModelParams): Promise<GenerateThreatModelResult>;
  /** Ask before replacing a file that secure-ai did not write. */
  confirmReplace(uri: string): Promise<boolean>;
  /** Save the file if it is open with unsaved edits, so that regeneration keeps them. */
  saveIfDirty(uri: string): Promise<void>;
  withProgress<T>(title: string, task: () => Promise<T>): Promise<T>;
  open(uri: string): Promise<void>;
  /** Tell the user it is done and offer the Markdown preview. */
  done(uri: string, message: string): Promise<void>;
  error(message: string): void;
}

export type Outcome = 'written' | 'cancelled' | 'no-folder' | 'failed';

function basename(uri: string): string {
  return decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1));
}

export async function generateThreatModelFlow(ui: ThreatModelUi): Promise<Outcome> {
  const folders = ui.folders();
  if (folders.length === 0) {
    ui.error('Secure AI: open a folder first; the threat model describes a workspace folder.');
    return 'no-folder';
  }
  const folder = folders.length === 1 ? folders[0] : await ui.pickFolder(folders);
  if (!folder) return 'cancelled';
  try {
    const plan = await ui.request({ folderUri: folder.uri, mode: 'plan' });
    let force = false;
    if (plan.exists && !plan.ours) {
      if (!(await ui.confirmReplace(plan.uri))) return 'cancelled';
      force = true;
    }
    await ui.saveIfDirty(plan.uri);
    let result = await ui.withProgress(`Secure AI: generating the threat model of ${folder.name}`, () => ui.request({ folderUri: folder.uri, mode: 'write', force }));
    if (!result.written) {
      // The file changed between the two requests into one secure-ai did not write.
      if (!(await ui.confirmReplace(result.uri))) return 'cancelled';
      result = await ui.withProgress(`Secure AI: generating the threat model of ${folder.name}`, () => ui.request({ folderUri: folder.uri, mode: 'write', force: true }));
      if (!result.written) return 'cancelled';
    }
    await ui.open(result.uri);
    const kept = result.keptStatuses ? ` Kept ${result.keptStatuses} status${result.keptStatuses === 1 ? '' : 'es'} you set.` : '';
    await ui.done(result.uri, `Secure AI wrote ${basename(result.uri)} (${result.summary ?? 'done'}).${kept} It is a draft: review it before relying on it.`);
    return 'written';
  } catch (err) {
    ui.error(`Secure AI: the threat model was not written: ${err instanceof Error ? err.message : String(err)}`);
    return 'failed';
  }
}
