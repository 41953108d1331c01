/**
 * Declared Python dependencies, read from requirements files (`requirements*.txt`, `constraints*.txt`, pip-tools
 * `*.in`), pyproject.toml (PEP 621, PEP 735 groups, Poetry, uv and PDM dev dependencies), setup.cfg
 * (`install_requires`, `extras_require`, `setup_requires`, `tests_require`) and conda environment files
 * (`environment.yml`: conda specs and the `pip:` sub-list), never by running pip, conda or Python: which ML libraries
 * the project uses and whether each is pinned to one exact version.
 *
 * The parsing is `server/src/manifests` (PEP 508 with positions, smol-toml, yaml); this file adapts its results to
 * the threat model's rows. A requirement is pinned when it names one version: `==1.2.3` or `===1.2.3`, Poetry's
 * `1.2.3`, conda's `==1.2.3` or `=1.2.3`, a VCS URL at a full commit hash, an archive URL with a hash fragment, or a
 * local path; `==1.*`, ranges, `^`/`~` and no specifier are not. Build requirements (`[build-system] requires`) are
 * not listed: they are not what the project runs.
 */
import { directPin } from '../manifests/collect';
import {
  LOCK_FILE_NAMES,
  isModelEcosystemPackage,
  manifestKindOf,
  normalizeName,
  parseManifest,
  parseRequirement as parsePep508,
  specifierFacts,
  type ManifestDependency,
  type ParsedManifest,
} from '../manifests';
import type { Dependency } from './types';

/**
 * The threat model's inventory lists more libraries as "ML" than SAI701 watches (`isModelEcosystemPackage`): also the
 * data and experiment libraries an ML project's threat model should name, which are too common to flag as unpinned.
 */
const THREAT_MODEL_ML = new Set(['numpy', 'pandas', 'wandb', 'streamlit']);

export function normaliseName(name: string): string {
  return normalizeName(name);
}

export function isMlPackage(name: string): boolean {
  const n = normaliseName(name);
  return isModelEcosystemPackage(n) || THREAT_MODEL_ML.has(n);
}

export interface Requirement {
  name: string;
  spec: string;
  pinned: boolean;
}

/** One PEP 508 requirement string; undefined when it is not one. */
export function parseRequirement(text: string): Requirement | undefined {
  const r = parsePep508(text);
  if (!r.ok) return undefined;
  const req = r.requirement;
  if (req.url !== undefined) return { name: req.name, spec: `@ ${req.url}`, pinned: directPin(req.url) === 'pinned' };
  return { name: req.name, spec: req.specifier, pinned: specifierFacts(req.clauses).pin === 'pinned' };
}

export interface DeclaredDependency extends Requirement {
  /** 1-based. */
  line: number;
}

function declared(d: ManifestDependency): DeclaredDependency {
  const spec = d.direct && d.direct !== 'path' ? `@ ${d.specifier}` : d.specifier;
  return { name: d.name, spec, pinned: d.pin === 'pinned', line: d.span.line + 1 };
}

function declaredOf(m: ParsedManifest): DeclaredDependency[] {
  return m.dependencies.filter((d) => d.group !== 'build-system').map(declared);
}

/**
 * A requirements file: one requirement a line, `#` comments, `\` continuations, pip options. `--hash` pins an
 * archive URL; `-e`/VCS lines pin when they name a commit.
 */
export function parseRequirementsTxt(text: string): DeclaredDependency[] {
  return declaredOf(parseManifest('requirements.txt', text));
}

export interface PyProject {
  name?: string;
  dependencies: DeclaredDependency[];
}

/** `[project]` (PEP 621) dependencies and optional dependencies, `[dependency-groups]`, and Poetry's tables. */
export function parsePyproject(text: string): PyProject {
  const m = parseManifest('pyproject.toml', text);
  return { ...(m.projectName !== undefined ? { name: m.projectName } : {}), dependencies: declaredOf(m) };
}

/** setup.cfg: `[options] install_requires`, `setup_requires`, `tests_require`, `[options.extras_require]`. */
export function parseSetupCfg(text: string): PyProject {
  const m = parseManifest('setup.cfg', text);
  return { ...(m.projectName !== undefined ? { name: m.projectName } : {}), dependencies: declaredOf(m) };
}

/** A conda environment file: its conda specs and its `pip:` sub-list. */
export function parseEnvironmentYml(text: string): DeclaredDependency[] {
  return declaredOf(parseManifest('environment.yml', text));
}

/** Whether a file (by its path or name) declares dependencies this module reads. */
export function isDependencyManifest(file: string): boolean {
  return manifestKindOf(file) !== undefined;
}

/**
 * Any dependency manifest (`isDependencyManifest`), by its path: its dependencies and, for pyproject.toml and
 * setup.cfg, the project's name.
 */
export function readDependencyManifest(file: string, text: string): PyProject {
  const m = parseManifest(file, text);
  const withName = m.kind === 'pyproject' || m.kind === 'setup-cfg';
  return { ...(withName && m.projectName !== undefined ? { name: m.projectName } : {}), dependencies: declaredOf(m) };
}

/** Declared dependencies as inventory rows. */
export function toDependencies(path: string, declared: DeclaredDependency[]): Dependency[] {
  return declared.map((d) => ({ name: d.name, spec: d.spec, pinned: d.pinned, ml: isMlPackage(d.name), evidence: { path, line: d.line } }));
}

/** File names of requirements files (pip's format). */
export function isRequirementsFile(base: string): boolean {
  return manifestKindOf(base) === 'requirements';
}

/** Lock files that pin every dependency (a declared range is then resolved to one version per install). */
export const LOCK_FILES = new Set(LOCK_FILE_NAMES);
