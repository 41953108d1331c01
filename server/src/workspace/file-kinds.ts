/**
 * Which files Secure AI Dev reads, by name: Python sources, Jupyter notebooks, dependency manifests, model artifacts,
 * and the lock files that make a manifest's floating versions matter less. One place, shared by the CLI's walk and
 * the language server's workspace scan.
 */
import * as path from 'node:path';
import { isArtifactPath } from '../artifacts';
import { LOCK_FILE_NAMES, manifestKindOf } from '../manifests';

export type FileKind = 'python' | 'notebook' | 'manifest' | 'artifact';

export function fileKindOf(file: string): FileKind | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.py')) return 'python';
  if (lower.endsWith('.ipynb')) return 'notebook';
  if (manifestKindOf(file)) return 'manifest';
  if (isArtifactPath(file)) return 'artifact';
  return undefined;
}

const LOCKS = new Set(LOCK_FILE_NAMES.map((n) => n.toLowerCase()));

export function isLockFile(file: string): boolean {
  return LOCKS.has(path.basename(file).toLowerCase());
}

/**
 * A file with no extension may still be a model (`pytorch_model`, `weights`): the walk reads its first bytes. Only
 * extension-less names are sniffed, so a scan does not open every file of the tree.
 */
export function worthSniffing(file: string): boolean {
  const base = path.basename(file);
  return !base.includes('.') && !LOCKS.has(base.toLowerCase());
}
