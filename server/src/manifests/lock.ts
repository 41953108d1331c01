/** Lock files: their presence means a declared range resolves to one recorded version per install. */

/**
 * Lock files by name: Poetry, uv, PDM, Pipenv, Rye (`requirements.lock`), conda-lock, and pixi. A pip-compile
 * output is recognised by its content instead (see `lockFileIn`).
 */
export const LOCK_FILE_NAMES: readonly string[] = ['poetry.lock', 'uv.lock', 'pdm.lock', 'Pipfile.lock', 'requirements.lock', 'conda-lock.yml', 'conda-lock.yaml', 'pixi.lock'];

const baseName = (p: string) => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);

/** conda-lock's rendered explicit files: `conda-linux-64.lock`. */
const CONDA_EXPLICIT_LOCK = /^conda-[\w-]+\.lock$/;

/**
 * The lock file among a folder's entries: the first of `LOCK_FILE_NAMES` present (in that order), else a conda-lock
 * explicit file, else the first requirements-like file (`manifestKindOf` says `requirements`) whose every requirement
 * carries `--hash` (pip-compile `--generate-hashes` output). `readText` is asked only for those candidates; it may
 * return undefined for an unreadable file. Returns the entry as given, or undefined.
 */
export function lockFileIn(
  dirEntries: readonly string[],
  readText: (name: string) => string | undefined,
  isRequirements: (name: string) => boolean,
  fullyHashed: (name: string, text: string) => boolean,
): string | undefined {
  for (const name of LOCK_FILE_NAMES) {
    const hit = dirEntries.find((e) => baseName(e) === name);
    if (hit !== undefined) return hit;
  }
  const explicit = dirEntries.find((e) => CONDA_EXPLICIT_LOCK.test(baseName(e)));
  if (explicit !== undefined) return explicit;
  for (const e of dirEntries) {
    if (!isRequirements(e)) continue;
    let text: string | undefined;
    try {
      text = readText(e);
    } catch {
      text = undefined;
    }
    if (text !== undefined && fullyHashed(e, text)) return e;
  }
  return undefined;
}
