/**
 * SARIF 2.1.0, in the shape GitHub code scanning reads.
 *
 * - Paths are relative to `%SRCROOT%`, the folder the scan ran from; a file outside it gets an absolute file URI.
 * - Regions are 1-based; columns count UTF-16 code units (SARIF's default `columnKind`, stated explicitly).
 * - Every rule that ran is listed under `tool.driver.rules`, with or without results.
 * - `security-severity` (GitHub ranks alerts with it: >= 9 critical, >= 7 high, >= 4 medium, else low) follows the
 *   rule's default severity: error 8.0 (high), warning 5.5 (medium), info 3.0 and hint 2.0 (low).
 * - `precision` is the rule's default confidence.
 * - Findings silenced by an ignore comment appear only with --show-suppressed, as results with an in-source
 *   suppression, so code scanning shows them as dismissed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as sarif from 'sarif';
import { GUIDELINES } from '../guidelines/guidelines';
import type { Rule } from '../engine/rule';
import type { Finding, Range, Severity } from '../engine/types';
import { cellLinesInJson } from '../notebook/json-lines';
import { REPOSITORY_URL, ruleDocsUrl } from './links';
import { folderUri, isInside, toPosix } from './paths';
import { shownFindings, type ReportInput } from './summary';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const SRCROOT = '%SRCROOT%';

const LEVEL: Record<Severity, sarif.ReportingConfiguration.level> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

const SECURITY_SEVERITY: Record<Severity, string> = { error: '8.0', warning: '5.5', info: '3.0', hint: '2.0' };

/** "torch-load-without-weights-only" -> "TorchLoadWithoutWeightsOnly" */
export function pascalName(kebab: string): string {
  return kebab
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/** GitHub's tag form for CWE ids, the other guideline ids as they are. */
export function ruleTags(rule: Rule): string[] {
  const tags = ['security'];
  for (const id of rule.guidelines) {
    tags.push(id.startsWith('CWE-') ? `external/cwe/cwe-${id.slice(4)}` : id);
  }
  return [...new Set(tags)];
}

function guidelineLine(id: string): string {
  const g = GUIDELINES.get(id);
  return g ? `${id} ${g.title}` : id;
}

function helpText(rule: Rule): string {
  const d = rule.docs;
  return [
    d.why,
    '',
    'Flagged:',
    indent(d.example),
    '',
    'Use instead:',
    indent(d.useInstead),
    '',
    'Guidelines:',
    ...rule.guidelines.map((id) => `  ${guidelineLine(id)}`),
    ...(d.references.length ? ['', 'References:', ...d.references.map((r) => `  ${r}`)] : []),
  ].join('\n');
}

function indent(code: string): string {
  return code
    .split('\n')
    .map((l) => (l ? `    ${l}` : l))
    .join('\n');
}

function helpMarkdown(rule: Rule): string {
  const d = rule.docs;
  return [
    d.why,
    '',
    '**Flagged:**',
    '',
    '```python',
    d.example,
    '```',
    '',
    '**Use instead:**',
    '',
    '```python',
    d.useInstead,
    '```',
    '',
    '**Guidelines:** ' + rule.guidelines.map(guidelineLine).join('; '),
    ...(d.references.length ? ['', '**References:**', '', ...d.references.map((r) => `- <${r}>`)] : []),
    '',
    `[Rule documentation](${ruleDocsUrl(rule.id)})`,
  ].join('\n');
}

export function sarifRule(rule: Rule): sarif.ReportingDescriptor {
  return {
    id: rule.id,
    name: pascalName(rule.name),
    shortDescription: { text: rule.hazard },
    fullDescription: { text: rule.message },
    help: { text: helpText(rule), markdown: helpMarkdown(rule) },
    helpUri: ruleDocsUrl(rule.id),
    defaultConfiguration: { level: LEVEL[rule.severity] },
    properties: {
      tags: ruleTags(rule),
      'security-severity': SECURITY_SEVERITY[rule.severity],
      precision: rule.confidence,
      guidelines: [...rule.guidelines],
    },
  };
}

function artifactLocation(file: string, cwd: string): sarif.ArtifactLocation {
  if (isInside(file, cwd)) {
    const rel = toPosix(path.relative(cwd, file));
    return { uri: rel.split('/').map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
  }
  return { uri: pathToFileURL(file).href };
}

function region(r: Range): sarif.Region {
  return { startLine: r.start.line + 1, startColumn: r.start.character + 1, endLine: r.end.line + 1, endColumn: r.end.character + 1 };
}

/** The JSON line of each notebook cell line, read from the file when one of its findings is reported. */
function notebookLines(file: string): number[][] | undefined {
  try {
    return cellLinesInJson(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The region of a notebook finding: the line of the `.ipynb` JSON where the cell's line sits (what a SARIF viewer
 * shows), with the cell, line and column within the cell in its properties. No columns: inside a JSON string they
 * would be off by the quoting.
 */
function notebookRegion(f: Finding, jsonLines: number[][] | undefined): sarif.Region {
  const cell = f.cell!;
  const lines = jsonLines?.[cell - 1];
  const properties = { cell, cellLine: f.range.start.line + 1, cellColumn: f.range.start.character + 1 };
  const start = lines?.[f.range.start.line];
  if (start === undefined) return { startLine: 1, properties };
  const end = lines![f.range.end.line] ?? start;
  return { startLine: start + 1, endLine: end + 1, properties };
}

function sarifResult(f: Finding, location: sarif.ArtifactLocation, ruleIndex: Map<string, number>, jsonLines?: number[][]): sarif.Result {
  const index = ruleIndex.get(f.ruleId);
  const result: sarif.Result = {
    ruleId: f.ruleId,
    ...(index !== undefined ? { ruleIndex: index } : {}),
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [{ physicalLocation: { artifactLocation: location, region: f.cell !== undefined ? notebookRegion(f, jsonLines) : region(f.range) } }],
    properties: { confidence: f.confidence, guidelines: [...f.guidelines] },
  };
  // A notebook fix edits a cell's text, which a SARIF replacement (over the JSON file) cannot express.
  if (f.fix && f.fix.edits.length && f.cell === undefined) {
    result.fixes = [
      {
        description: { text: `${f.fix.title}${f.fix.safety === 'unsafe' ? ' (may change behaviour)' : ''}` },
        artifactChanges: [
          {
            artifactLocation: location,
            replacements: f.fix.edits.map((e) => ({ deletedRegion: region(e.range), insertedContent: { text: e.newText } })),
          },
        ],
      },
    ];
  }
  if (f.suppressed) {
    const suppression: sarif.Suppression = { kind: 'inSource' };
    if (f.suppressed.reason) suppression.justification = f.suppressed.reason;
    result.suppressions = [suppression];
  }
  return result;
}

export function buildSarif(input: ReportInput): sarif.Log {
  const ruleIndex = new Map(input.rules.map((r, i) => [r.id, i]));
  const results: sarif.Result[] = [];
  const notifications: sarif.Notification[] = [];
  for (const report of input.reports) {
    const location = artifactLocation(path.resolve(input.cwd, report.path), input.cwd);
    const shown = shownFindings(report, input.showSuppressed);
    const jsonLines = shown.some((f) => f.cell !== undefined) ? notebookLines(path.resolve(input.cwd, report.path)) : undefined;
    for (const f of shown) results.push(sarifResult(f, location, ruleIndex, jsonLines));
    for (const n of report.notices) {
      notifications.push({
        level: 'warning',
        message: { text: n.message },
        descriptor: { id: n.kind },
        locations: [{ physicalLocation: { artifactLocation: location } }],
      });
    }
  }
  const run: sarif.Run = {
    tool: {
      driver: {
        name: 'secure-ai',
        version: input.version,
        semanticVersion: input.version,
        informationUri: REPOSITORY_URL,
        rules: input.rules.map(sarifRule),
      },
    },
    originalUriBaseIds: { [SRCROOT]: { uri: folderUri(input.cwd) } },
    invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }],
    columnKind: 'utf16CodeUnits',
    results,
  };
  return { $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] };
}

export function formatSarif(input: ReportInput): string {
  return `${JSON.stringify(buildSarif(input), null, 2)}\n`;
}
