/** What a rule is, and the context it checks a file in. */
import type { Node } from './parser';
import type { CallSite, SemanticModel, Value } from './semantic';
import { rangeOf } from './edits';
import type { ManifestRuleContext } from './analyze-manifest';
import type { ProjectFacts } from './project';
import type { Confidence, Finding, Fix, Range, Severity } from './types';

export interface RuleDocs {
  /** Why it is dangerous, in a paragraph. */
  why: string;
  /** Python code that the rule flags. */
  example: string;
  /** Python code that does the same job safely. */
  useInstead: string;
  /** Links: library docs, advisories, the guideline text. */
  references: string[];
}

export interface Rule {
  /** `SAInnn`: a contract. Never change or reuse an id. */
  id: string;
  /** kebab-case name of the hazard (not of the fix); the rule's file is `SAInnn-<name>.ts`. */
  name: string;
  /** The hazard in a few words, for tables and SARIF `shortDescription`. */
  hazard: string;
  severity: Severity;
  confidence: Confidence;
  /** Guideline ids from guidelines/guidelines.ts; the first NCSC id is the one the message names. */
  guidelines: string[];
  /** The default one-sentence message: the hazard and its consequence, identifiers in backticks. */
  message: string;
  docs: RuleDocs;
  /**
   * Identifiers of which at least one must occur (as a whole word) in a file's text for the rule to have anything
   * to find. A file that holds none of any active rule's triggers is never parsed. Empty for a rule without `check`.
   */
  triggers: string[];
  /**
   * A second, optional prefilter group: at least one of these must occur too (usually the module names a flagged
   * call must be imported from, e.g. `torch` beside the trigger `load`). Both groups are necessary conditions.
   */
  requires?: string[];
  /** The check on Python code (files and notebook programs). A rule that reads only other files has none. */
  check?(ctx: RuleContext): void;
  /** The check on a dependency manifest (`requirements.txt`, `pyproject.toml`, …) or a notebook's `pip install`. */
  checkManifest?(ctx: ManifestRuleContext): void;
  /**
   * Which other files the rule reads, so that docs and the registry can say so: `manifest` rules are run by
   * `analyzeManifest`; `artifact` findings come from the model-artifact scanner; `notebook-command` from the shell
   * commands and magics of notebooks.
   */
  reads?: Array<'manifest' | 'artifact' | 'notebook-command'>;
}

export interface Report {
  node: Node;
  /** Overrides the rule's message. */
  message?: string;
  severity?: Severity;
  confidence?: Confidence;
  fix?: Fix;
}

export class RuleContext {
  readonly findings: Array<Omit<Finding, 'message' | 'guidelines'> & { message: string }> = [];

  constructor(
    readonly rule: Rule,
    readonly model: SemanticModel,
    readonly path: string,
    /** What the project around the file is known to hold (manifests, flagged model files); empty when alone. */
    readonly project: ProjectFacts = {},
  ) {}

  get text(): string {
    return this.model.text;
  }

  /**
   * Calls whose callee is spelled with one of `names` as its last identifier, or is a bare name that resolves to
   * such a function (`from torch import load as tl; tl(...)`): the cheap filter before a rule checks `qname`.
   */
  *callsNamed(...names: string[]): Generator<CallSite> {
    const wanted = new Set(names);
    for (const c of this.model.calls) {
      if (wanted.has(c.name)) yield c;
      else if (c.functionNode?.type === 'identifier' && c.qname && wanted.has(c.qname.slice(c.qname.lastIndexOf('.') + 1))) yield c;
    }
  }

  evaluate(node: Node, call: CallSite): Value {
    return this.model.evaluate(node, call.scope);
  }

  report(r: Report): void {
    const range: Range = rangeOf(r.node);
    this.findings.push({
      ruleId: this.rule.id,
      range,
      message: r.message ?? this.rule.message,
      severity: r.severity ?? this.rule.severity,
      confidence: r.confidence ?? this.rule.confidence,
      fix: r.fix,
    });
  }
}
