/**
 * `analyze(text, path, settings) -> findings`: the one entry point the CLI, the language server and the tests share.
 * Pure: no LSP or vscode types. Call `await initEngine()` once per thread first.
 */
import { ncscLabel } from '../guidelines/guidelines';
import { RULES } from '../rules';
import { DEFAULT_SETTINGS, ruleOverride, type Settings } from '../shared/settings';
import { decode } from './decode';
import { initParser, parseBefore, timeLimitMs, type Tree } from './parser';
import type { ProjectFacts } from './project';
import type { Rule } from './rule';
import { RuleContext } from './rule';
import { SemanticModel, TooComplexError } from './semantic';
import { findSuppression, parseDirectives } from './suppress';
import { confidenceRank, type AnalysisResult, type Finding, type Severity } from './types';

export async function initEngine(): Promise<void> {
  await initParser();
}

export interface AnalyzeOptions {
  /** Only rules whose id starts with one of these (CLI `--select`). */
  select?: string[];
  /** Drop rules whose id starts with one of these (CLI `--ignore`). */
  ignore?: string[];
  /** A tree already parsed from `text` (the language server re-parses incrementally). */
  tree?: Tree;
  /** What is known of the project around the file: the manifests' torch version, flagged model files. */
  project?: ProjectFacts;
}

interface ActiveRule {
  rule: Rule;
  /** The severity a setting imposes on every finding of the rule, if any. */
  severity?: Severity;
  /** The literal prefilter (Semgrep's idea): false means the rule cannot match this text, so nothing is parsed for it. */
  mayMatch(text: string): boolean;
}

const wordsRe = (words: string[]) => new RegExp(`\\b(?:${words.join('|')})\\b`);
const prefilterCache = new WeakMap<Rule, (text: string) => boolean>();
function prefilterOf(rule: Rule): (text: string) => boolean {
  let f = prefilterCache.get(rule);
  if (!f) {
    const trigger = wordsRe(rule.triggers);
    const requires = rule.requires?.length ? wordsRe(rule.requires) : undefined;
    f = requires ? (text) => trigger.test(text) && requires.test(text) : (text) => trigger.test(text);
    prefilterCache.set(rule, f);
  }
  return f;
}

/** Whether `--select`, `--ignore` and the severity settings leave the rule on, and the severity they impose. */
export function ruleSetting(ruleId: string, settings: Settings, options: Pick<AnalyzeOptions, 'select' | 'ignore'> = {}): { on: boolean; severity?: Severity } {
  const starts = (prefixes: string[]) => prefixes.some((p) => ruleId.startsWith(p.toUpperCase()));
  if (options.select?.length && !starts(options.select)) return { on: false };
  if (options.ignore?.length && starts(options.ignore)) return { on: false };
  const override = ruleOverride(settings.rules, ruleId);
  if (override === 'off') return { on: false };
  return { on: true, severity: override };
}

/** The rules with a check on Python code that the settings and options leave on. */
export function activeRules(settings: Settings, options: AnalyzeOptions = {}): ActiveRule[] {
  const out: ActiveRule[] = [];
  for (const rule of RULES) {
    if (!rule.check) continue;
    const { on, severity } = ruleSetting(rule.id, settings, options);
    if (on) out.push({ rule, severity, mayMatch: prefilterOf(rule) });
  }
  return out;
}

/** Every rule (of any kind) that the settings and options leave on: what a report lists as its rules. */
export function enabledRules(settings: Settings, options: Pick<AnalyzeOptions, 'select' | 'ignore'> = {}): Rule[] {
  return RULES.filter((r) => ruleSetting(r.id, settings, options).on);
}

/** The label a message ends with: the rule's first NCSC item. */
export function guidelineLabel(rule: Rule): string {
  return ncscLabel(rule.guidelines.find((g) => g.startsWith('NCSC-')) ?? rule.guidelines[0]);
}

function tooLarge(size: number, settings: Settings): AnalysisResult | undefined {
  if (size <= settings.maxFileSizeKb * 1024) return undefined;
  const kb = Math.ceil(size / 1024);
  return {
    findings: [],
    parsed: false,
    notices: [
      {
        kind: 'too-large',
        message: `the file is ${kb} KB, over the ${settings.maxFileSizeKb} KB limit (setting maxFileSizeKb), so it was not analysed`,
      },
    ],
  };
}

/** The result for a file whose parse did not finish within its time limit (`timeLimitMs`). */
export function parseTimeoutResult(length: number): AnalysisResult {
  const limit = Math.round(timeLimitMs(length));
  return {
    findings: [],
    parsed: false,
    notices: [{ kind: 'too-complex', message: `parsing the file took longer than the limit of ${limit} ms for its size, so it was not analysed` }],
  };
}

/** Analyse raw file bytes: the size limit and decoding come first, each with one clear notice. */
export function analyzeBytes(bytes: Uint8Array, path: string, settings: Settings = DEFAULT_SETTINGS, options: AnalyzeOptions = {}): AnalysisResult {
  const big = tooLarge(bytes.length, settings);
  if (big) return big;
  const decoded = decode(bytes);
  if (!decoded.ok) return { findings: [], parsed: false, notices: [{ kind: 'not-decodable', message: decoded.message }] };
  return analyze(decoded.text, path, settings, options);
}

/**
 * Analyse one Python file's text. Broken code still gets findings for the parts that parse (tree-sitter recovers).
 * Suppressed findings come back with `suppressed` set; callers decide whether to show them.
 */
export function analyze(text: string, path: string, settings: Settings = DEFAULT_SETTINGS, options: AnalyzeOptions = {}): AnalysisResult {
  // UTF-16 code units stand in for bytes here: the limit is about work, and the LSP hands us strings.
  const big = tooLarge(text.length, settings);
  if (big) return big;
  const rules = activeRules(settings, options).filter((r) => r.mayMatch(text));
  if (rules.length === 0) return { findings: [], notices: [], parsed: false };

  // Parsing and the model's walk share one deadline (a tree handed in was parsed under its own).
  const deadline = performance.now() + timeLimitMs(text.length);
  const tree = options.tree ?? parseBefore(text, deadline);
  if (!tree) return parseTimeoutResult(text.length);
  try {
    let model: SemanticModel;
    try {
      model = new SemanticModel(tree, text, options.tree ? performance.now() + timeLimitMs(text.length) : deadline);
    } catch (err) {
      if (!(err instanceof TooComplexError)) throw err;
      return { findings: [], parsed: true, notices: [{ kind: 'too-complex', message: `${err.message}, so the file was not analysed` }] };
    }
    const directives = parseDirectives(model.comments);
    const minRank = confidenceRank(settings.minConfidence);
    const findings: Finding[] = [];
    for (const { rule, severity } of rules) {
      const ctx = new RuleContext(rule, model, path, options.project);
      rule.check?.(ctx);
      const label = guidelineLabel(rule);
      for (const f of ctx.findings) {
        if (confidenceRank(f.confidence) < minRank) continue;
        const finding: Finding = { ...f, severity: severity ?? f.severity, message: `${f.message} [${label}]`, guidelines: rule.guidelines };
        const suppressed = directives.size ? findSuppression(directives, tree.rootNode, finding) : undefined;
        if (suppressed) finding.suppressed = suppressed;
        if (!finding.fix) delete finding.fix;
        findings.push(finding);
      }
    }
    findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.ruleId.localeCompare(b.ruleId));
    return { findings, notices: [], parsed: true };
  } finally {
    if (!options.tree) tree.delete();
  }
}
