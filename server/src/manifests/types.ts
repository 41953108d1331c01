/** The data the manifest parsers produce. Positions: 0-based lines, UTF-16 columns. */
import type { PinState } from './pep440';
import type { Span } from './text';

export type { PinState } from './pep440';
export type { Span } from './text';

export type ManifestKind = 'requirements' | 'pyproject' | 'setup-cfg' | 'conda-environment';

export interface ManifestDependency {
  /** As written (`Torch`, `pytorch`, `huggingface_hub`). */
  name: string;
  /** PEP 503 normalised (lower case, runs of `-_.` as `-`); conda names mapped to PyPI's (`pytorch` → `torch`). */
  normalized: string;
  /**
   * PEP 508: the clauses without whitespace (`>=4.40,<5`), "" when none; a direct reference: its URL or path;
   * Poetry: the constraint as written (`^2.1`); conda: the version and build after the name (`=2.1.0`, `>=2`).
   */
  specifier: string;
  pin: PinState;
  /**
   * Lowest version the specifier allows, when it bounds from below: "2.6" for ">=2.6", "2.6.0" for "==2.6.0",
   * "2.5.1" for "~=2.5.1", "1.2" for Poetry "^1.2"; undefined otherwise (no lower bound, only `<` or `!=`, a URL, a
   * version held in an environment variable). For `>X` it is X itself (excluded): every allowed version is above it.
   */
  minimum?: string;
  /** `--hash` options on the requirement's line. */
  hashes: number;
  extras: string[];
  /** The environment marker after `;` (or Poetry's `markers`), as written. */
  marker?: string;
  /**
   * Where it was declared, when not the main list: `optional: gpu` (PEP 621 / setup.cfg extras), `group: dev`
   * (PEP 735), `build-system`, `poetry group dev` (also the legacy `dev-dependencies`), `uv dev`, `pdm dev: lint`,
   * `setup_requires`, `tests_require`, `pip` (the pip sub-list of a conda environment).
   */
  group?: string;
  /** A direct reference instead of an index release: a URL (archive), a VCS URL, or a local path. */
  direct?: 'url' | 'vcs' | 'path';
  /** pip's `-e`/`--editable`. */
  editable?: boolean;
  /** conda: the channel named in the spec (`conda-forge::pytorch`). */
  channel?: string;
  /** The whole requirement (for the squiggle). */
  span: Span;
  nameSpan: Span;
}

export interface IndexOption {
  option: 'index-url' | 'extra-index-url' | 'trusted-host' | 'find-links' | 'channel' | 'source';
  /** The URL, host or channel as written (without quotes). */
  value: string;
  /** An `http://` URL (not https), or an option that turns TLS verification off (`--trusted-host`, `conda --insecure`). */
  insecure: boolean;
  span: Span;
}

/**
 * A `-r/--requirement` or `-c/--constraint` option of a requirements file or a `pip install` command: another file
 * pip reads. The parser only records it; `workspace/project-facts.ts` follows it.
 */
export interface ManifestReference {
  option: 'requirement' | 'constraint';
  /** The path (or URL) as written, without quotes; pip reads a relative one against the referencing file's folder. */
  path: string;
  /** The path's span. */
  span: Span;
}

export interface ManifestError {
  message: string;
  span: Span;
}

export interface ParsedManifest {
  kind: ManifestKind;
  dependencies: ManifestDependency[];
  indexOptions: IndexOption[];
  errors: ManifestError[];
  /** pip-compile style: the file has at least one requirement and every requirement carries `--hash`. */
  fullyHashed: boolean;
  /** pyproject.toml `[project] name` (or `[tool.poetry] name`), setup.cfg `[metadata] name`. */
  projectName?: string;
  /**
   * Requirements files: the `-r` and `-c` options, in the order of the text (`parseManifest` always sets it, empty for
   * the other kinds; optional so that a manifest built by hand, as for a notebook's command, need not).
   */
  references?: ManifestReference[];
}

/** What parsing a notebook's install command gives. */
export interface InstallCommand {
  dependencies: ManifestDependency[];
  indexOptions: IndexOption[];
  /** `-r`/`-c` (pip, `uv pip`: also `--requirements`/`--constraints`), in the order of the text. */
  references: ManifestReference[];
  errors: ManifestError[];
}
