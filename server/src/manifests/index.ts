/**
 * Dependency manifests with positions: requirements files, pyproject.toml, setup.cfg and conda environment files,
 * and notebook install commands. The base of SAI701 (ML dependency not pinned), SAI702 (insecure or confusable
 * package index) and the torch version SAI202 reads; also used by the threat model's dependency inventory.
 *
 * Everything here is pure (text in, data out) and never throws: a file that cannot be parsed gives errors with
 * positions. Positions are 0-based lines and UTF-16 columns.
 */
import { Collector } from './collect';
import { parseEnvironmentInto } from './environment';
import { lockFileIn as lockFileAmong } from './lock';
import { parsePyprojectInto } from './pyproject';
import { parseRequirementsText } from './requirements';
import { parseSetupCfgInto } from './setup-cfg';
import { LineIndex } from './text';
import type { ManifestKind, ParsedManifest } from './types';

export type { IndexOption, InstallCommand, ManifestDependency, ManifestError, ManifestKind, ManifestReference, ParsedManifest, PinState, Span } from './types';
export { compareVersions, parseVersion, isValidVersion, specifierFacts } from './pep440';
export { parseRequirement, type Requirement, type RequirementResult } from './pep508';
export { parseCondaSpec, type CondaSpec } from './conda';
export { poetryConstraint } from './poetry';
export { parsePipInstall } from './pip-command';
export { isModelEcosystemPackage, normalizeName, condaNormalizedName } from './packages';
export { LOCK_FILE_NAMES } from './lock';

const baseName = (p: string) => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
const parentName = (p: string) => {
  const parts = p.split(/[\\/]/);
  return parts.length >= 2 ? parts[parts.length - 2] : '';
};

/**
 * The kind of manifest a path is, by its file name:
 * - requirements: `*requirements*.txt` / `.in` (`requirements.txt`, `requirements-dev.txt`, `dev-requirements.in`),
 *   `constraints*.txt` / `.in`, and any `.txt` or `.in` directly in a folder named `requirements` (`requirements/
 *   base.in`). Other `*.in` files are not: `MANIFEST.in` is setuptools' file list, not a requirements file.
 *   `requirements.lock` is a lock file (see `LOCK_FILE_NAMES`), not a manifest;
 * - pyproject: `pyproject.toml`; setup-cfg: `setup.cfg`;
 * - conda-environment: `environment.yml`/`.yaml`, `environment-<anything>.yml` (`environment-gpu.yml`), and MLflow's
 *   `conda.yaml`/`conda.yml`. `conda-lock.yml` is a lock file, not an environment.
 */
export function manifestKindOf(path: string): ManifestKind | undefined {
  const base = baseName(path);
  const lower = base.toLowerCase();
  if (/^[\w.-]*requirements[\w.-]*\.(?:txt|in)$/.test(lower) || /^constraints[\w.-]*\.(?:txt|in)$/.test(lower)) return 'requirements';
  if (/\.(?:txt|in)$/.test(lower) && parentName(path).toLowerCase() === 'requirements' && lower !== 'manifest.in') return 'requirements';
  if (base === 'pyproject.toml') return 'pyproject';
  if (base === 'setup.cfg') return 'setup-cfg';
  if (/^environment(?:[-_.][\w.-]+)?\.ya?ml$/.test(lower) || /^conda\.ya?ml$/.test(lower)) return 'conda-environment';
  return undefined;
}

/** A kind for a path `manifestKindOf` does not know, by its extension (requirements when nothing else fits). */
function guessKind(path: string): ManifestKind {
  const lower = baseName(path).toLowerCase();
  if (lower.endsWith('.toml')) return 'pyproject';
  if (lower.endsWith('.cfg')) return 'setup-cfg';
  if (/\.ya?ml$/.test(lower)) return 'conda-environment';
  return 'requirements';
}

/**
 * Parses a manifest. The kind is `asKind` when given, else `manifestKindOf(path)`, else the extension's for other
 * names (`.toml`, `.cfg`, `.yml`; anything else as a requirements file): a `-r base.txt` is a requirements file
 * whatever its name. Never throws: invalid TOML or YAML gives one error at the parser's position and no
 * dependencies; an invalid requirement gives an error at its position and the rest of the file is still read.
 */
export function parseManifest(path: string, text: string, asKind?: ManifestKind): ParsedManifest {
  const kind = asKind ?? manifestKindOf(path) ?? guessKind(path);
  const col = new Collector(new LineIndex(text));
  let projectName: string | undefined;
  try {
    if (kind === 'requirements') parseRequirementsText(col, text);
    else if (kind === 'pyproject') projectName = parsePyprojectInto(col, text).projectName;
    else if (kind === 'setup-cfg') projectName = parseSetupCfgInto(col, text).projectName;
    else parseEnvironmentInto(col, text);
  } catch (e) {
    // a bug here must not take the analysis down: report it on the first line
    col.error(`the manifest could not be read: ${e instanceof Error ? e.message : String(e)}`, 0, 0);
  }
  // errors in the order of the text (the formats read some sections before others)
  col.errors.sort((a, b) => a.span.line - b.span.line || a.span.character - b.span.character);
  const fullyHashed = kind === 'requirements' && col.requirementLines > 0 && col.hashedLines === col.requirementLines;
  return {
    kind,
    dependencies: col.dependencies,
    indexOptions: col.indexOptions,
    errors: col.errors,
    fullyHashed,
    ...(projectName !== undefined ? { projectName } : {}),
    references: col.references,
  };
}

/**
 * The lock file in a folder, from its entries (names, or paths relative to the folder): a lock file by name (the
 * first of `LOCK_FILE_NAMES`, in that order), a conda-lock explicit file (`conda-linux-64.lock`), or a requirements
 * file that pip-compile wrote with `--generate-hashes` (every requirement carries `--hash`). `readText` is asked only
 * for requirements files and may return undefined. Returns the entry as given, or undefined.
 */
export function lockFileIn(dirEntries: readonly string[], readText: (name: string) => string | undefined): string | undefined {
  return lockFileAmong(
    dirEntries,
    readText,
    (name) => manifestKindOf(name) === 'requirements',
    (name, text) => parseManifest(name, text).fullyHashed,
  );
}
