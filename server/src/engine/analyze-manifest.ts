/**
 * `analyzeManifest(text, path, settings)`: the rules that read dependency manifests (requirements files,
 * `pyproject.toml`, `setup.cfg`, conda `environment.yml`). Pure like `analyze`: the caller reads the file and says,
 * through `ProjectFacts.lockFiles`, which lock files exist, and through `ProjectFacts.constrained`, what the files a
 * requirements file names with `-c`/`-r` pin.
 */
import * as path from 'node:path';
import { manifestKindOf, parseManifest, type ManifestKind, type ParsedManifest, type Span } from '../manifests';
import { RULES } from '../rules';
import { DEFAULT_SETTINGS, type Settings } from '../shared/settings';
import { guidelineLabel, ruleSetting, type AnalyzeOptions } from './analyze';
import { isWithin, type FollowedReference, type ProjectFacts } from './project';
import type { Rule } from './rule';
import { findLineSuppression, lineDirectives } from './suppress';
import { confidenceRank, type AnalysisResult, type Confidence, type Finding, type Fix, type Notice, type Range, type Severity } from './types';

export interface ManifestReport {
  span: Span;
  message?: string;
  severity?: Severity;
  confidence?: Confidence;
  fix?: Fix;
}

export class ManifestRuleContext {
  readonly findings: Array<Omit<Finding, 'message' | 'guidelines'> & { message: string }> = [];

  constructor(
    readonly rule: Rule,
    readonly manifest: ParsedManifest,
    /** The manifest's text (for a notebook, the `pip install` command's), which the spans index. */
    readonly text: string,
    readonly path: string,
    /** The lock file (a path) that pins this manifest's dependencies, if there is one. */
    readonly lockFile: string | undefined,
    /** Names (PEP 503) that the manifest's `-c`/`-r` files pin, with where (see `referencedPins`). */
    private readonly pinnedByReferences: ReadonlyMap<string, string> = new Map(),
  ) {}

  /**
   * Where a `-c` constraints file or a `-r` included file of this manifest pins `normalized` (`constraints.txt:1`),
   * or undefined. Known only when the caller passed the project's facts (the CLI and the language server do).
   */
  pinnedElsewhere(normalized: string): string | undefined {
    return this.pinnedByReferences.get(normalized);
  }

  report(r: ManifestReport): void {
    this.findings.push({
      ruleId: this.rule.id,
      range: rangeOfSpan(r.span),
      message: r.message ?? this.rule.message,
      severity: r.severity ?? this.rule.severity,
      confidence: r.confidence ?? this.rule.confidence,
      fix: r.fix,
    });
  }
}

export function rangeOfSpan(s: Span): Range {
  return { start: { line: s.line, character: s.character }, end: { line: s.endLine, character: s.endCharacter } };
}

/** A file name of each kind, for parsing text whose own name does not say its kind (fixtures, unsaved buffers). */
const CANONICAL_NAME: Record<ManifestKind, string> = {
  requirements: 'requirements.txt',
  pyproject: 'pyproject.toml',
  'setup-cfg': 'setup.cfg',
  'conda-environment': 'environment.yml',
};

/**
 * Which manifests a lock file pins, by its name: a Poetry, uv, PDM, rye or pixi lock pins the `pyproject.toml` in its
 * folder or below (a uv or pixi workspace's members); a conda-lock file pins the conda environments there. A lock
 * never covers a requirements file, which pip installs without reading it.
 */
function lockCovers(lock: string, kind: ParsedManifest['kind']): boolean {
  const name = path.basename(lock).toLowerCase();
  if (kind === 'pyproject') return ['poetry.lock', 'uv.lock', 'pdm.lock', 'requirements.lock', 'pixi.lock'].includes(name);
  if (kind === 'conda-environment') return name.startsWith('conda-lock.') || /^conda-.*\.lock$/.test(name) || name === 'pixi.lock';
  return false;
}

/**
 * The lock file that covers `file`, if any: the file itself when every requirement carries a hash, the hashed
 * requirements file pip-compile wrote from it (`requirements.in` → `requirements.txt`), or a lock of the right kind
 * in its folder or above (`lockCovers`).
 */
export function lockFileFor(file: string, manifest: ParsedManifest, project: ProjectFacts | undefined): string | undefined {
  if (manifest.fullyHashed) return file;
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  let best: string | undefined;
  for (const lock of project?.lockFiles ?? []) {
    const lockAbs = path.resolve(lock);
    const lockDir = path.dirname(lockAbs);
    if (manifest.kind === 'requirements') {
      // pip-compile: `requirements.in` is pinned by the hashed `requirements.txt` beside it.
      const stem = (p: string) => path.basename(p).replace(/\.[^.]*$/, '');
      if (lockDir === dir && abs.endsWith('.in') && lockAbs.endsWith('.txt') && stem(lockAbs) === stem(abs)) return lockAbs;
      continue;
    }
    if (!isWithin(lockDir, dir) || !lockCovers(lockAbs, manifest.kind)) continue;
    if (!best || lockDir.length > path.dirname(best).length) best = lockAbs;
  }
  return best;
}

/**
 * What the `-c`/`-r` options of a requirements file bring, by the facts the CLI or the language server gathered
 * (`ProjectFacts.constrained`, from the files on disk): the names their files pin, and one notice per file that
 * could not be read. Only the options the manifest's text holds now count (an editor's unsaved text may have
 * dropped one). Undefined without facts for the file: `analyzeManifest` alone never reads other files.
 */
export function referencedPins(file: string, manifest: ParsedManifest, project: ProjectFacts | undefined): { pinned: Map<string, string>; notices: string[] } | undefined {
  const followed = project?.constrained?.[path.resolve(file)];
  if (!followed || !manifest.references?.length) return undefined;
  const byOption = new Map<string, FollowedReference>();
  for (const f of followed) byOption.set(`${f.option}\0${f.path}`, f);
  const pinned = new Map<string, string>();
  const notices = new Set<string>();
  const applied = new Set<FollowedReference>();
  for (const ref of manifest.references) {
    const f = byOption.get(`${ref.option}\0${ref.path}`);
    if (!f || applied.has(f)) continue;
    applied.add(f);
    for (const [name, where] of Object.entries(f.pinned)) if (!pinned.has(name)) pinned.set(name, where);
    for (const p of f.problems ?? []) notices.add(p);
  }
  return { pinned, notices: [...notices] };
}

/** Run the manifest rules over a parsed manifest. Exported for notebooks' `pip install` lines. */
export function checkManifest(
  manifest: ParsedManifest,
  text: string,
  filePath: string,
  settings: Settings,
  options: AnalyzeOptions,
  lockFile: string | undefined,
  /** Names pinned by the manifest's `-c`/`-r` files (`referencedPins`). */
  pinnedElsewhere?: ReadonlyMap<string, string>,
): Finding[] {
  const minRank = confidenceRank(settings.minConfidence);
  const findings: Finding[] = [];
  for (const rule of RULES) {
    if (!rule.checkManifest) continue;
    const { on, severity } = ruleSetting(rule.id, settings, options);
    if (!on) continue;
    const ctx = new ManifestRuleContext(rule, manifest, text, filePath, lockFile, pinnedElsewhere);
    rule.checkManifest(ctx);
    const label = guidelineLabel(rule);
    for (const f of ctx.findings) {
      if (confidenceRank(f.confidence) < minRank) continue;
      const finding: Finding = { ...f, severity: severity ?? f.severity, message: `${f.message} [${label}]`, guidelines: rule.guidelines };
      if (!finding.fix) delete finding.fix;
      findings.push(finding);
    }
  }
  return findings;
}

/**
 * Analyse one manifest. `kind` overrides what the file name says (a fixture, an untitled buffer). Invalid TOML or
 * YAML, and requirement lines that cannot be read, come back as notices; the rest of the file is still checked.
 */
export function analyzeManifest(
  text: string,
  filePath: string,
  settings: Settings = DEFAULT_SETTINGS,
  options: AnalyzeOptions & { kind?: ManifestKind } = {},
): AnalysisResult {
  if (text.length > settings.maxFileSizeKb * 1024) {
    const kb = Math.ceil(text.length / 1024);
    return {
      findings: [],
      parsed: false,
      notices: [{ kind: 'too-large', message: `the file is ${kb} KB, over the ${settings.maxFileSizeKb} KB limit (setting maxFileSizeKb), so it was not analysed` }],
    };
  }
  const kind = options.kind ?? manifestKindOf(filePath);
  if (!kind) return { findings: [], notices: [], parsed: false };
  const manifest = parseManifest(options.kind ? CANONICAL_NAME[kind] : filePath, text);
  // Any `.txt` in a `requirements/` folder is read as one; a README there that holds no requirement is left alone.
  const named = /requirements|constraints/i.test(path.basename(filePath));
  if (!options.kind && kind === 'requirements' && !named && manifest.dependencies.length === 0 && manifest.indexOptions.length === 0) {
    return { findings: [], notices: [], parsed: false };
  }
  const referenced = kind === 'requirements' ? referencedPins(filePath, manifest, options.project) : undefined;
  const findings = checkManifest(manifest, text, filePath, settings, options, lockFileFor(filePath, manifest, options.project), referenced?.pinned);
  const directives = lineDirectives(text);
  if (directives.size) {
    for (const f of findings) {
      const suppressed = findLineSuppression(directives, f);
      if (suppressed) f.suppressed = suppressed;
    }
  }
  findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.ruleId.localeCompare(b.ruleId));
  const notices: Notice[] = manifest.errors.map((e) => ({ kind: 'invalid-format' as const, message: `line ${e.span.line + 1}: ${e.message}` }));
  for (const message of referenced?.notices ?? []) notices.push({ kind: 'not-scanned', message });
  return { findings, notices, parsed: true };
}
