/**
 * The threat model as Markdown: a header, the four threat-modelling questions, and one generated block per section
 * (between `secure-ai` markers), with human sections (system description, assumptions, residual risk, sign-off)
 * around them that the generator writes once and never touches again.
 */
import * as path from 'node:path';
import { guidelineUrl } from '../guidelines/guidelines';
import { uniqueEvidence } from './build';
import { BLOCK_END, blockBegin, stateComment } from './document';
import { flowchart } from './mermaid';
import type { Evidence, FindingRef, Pinned, ThreatModel, ThreatStatus } from './types';

export interface RenderOptions {
  /** The folder of the Markdown file, relative to the workspace root (POSIX, `''` for the root): links start there. */
  dir: string;
  /** Rows of the existing threats table that the generator does not produce (a person's own threats), verbatim. */
  extraThreatRows?: string[];
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (s: string) => (s.includes('`') ? s : `\`${s}\``);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function href(target: string, dir: string): string {
  const rel = path.posix.relative(dir || '.', target) || path.posix.basename(target);
  return rel.split('/').map(encodeURIComponent).join('/');
}

function link(e: Evidence, dir: string): string {
  // Line 0 stands for the whole file.
  return e.line > 0 ? `[${e.path}:${e.line}](${href(e.path, dir)}#L${e.line})` : `[${e.path}](${href(e.path, dir)})`;
}

function links(list: Evidence[], dir: string, max = 4): string {
  if (list.length === 0) return '';
  const shown = list.slice(0, max).map((e) => link(e, dir));
  return list.length > max ? `${shown.join(', ')} +${list.length - max} more` : shown.join(', ');
}

function ids(list: string[]): string {
  return list.map((id) => {
    const url = guidelineUrl(id);
    return url && !id.startsWith('NCSC-') ? `[${id}](${url})` : id;
  }).join(', ');
}

const PINNED: Record<Pinned, string> = { yes: 'yes', no: '**no**', 'n/a': 'n/a', unknown: 'unknown' };

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function block(name: string, body: string[]): string[] {
  return [blockBegin(name), ...body, BLOCK_END];
}

// ------------------------------------------------------------------ sections

function header(m: ThreatModel): string[] {
  const p = m.project;
  const git = p.git ? `\`${p.git.commit.slice(0, 12)}\`${p.git.branch ? ` on \`${p.git.branch}\`` : ''}` : 'not a git repository';
  const f = m.findings;
  return [
    '> [!WARNING]',
    `> **DRAFT.** The sections between \`secure-ai\` markers were derived from the code by secure-ai ${p.generator.version} on ${p.generatedAt} ` +
      'and are replaced when the model is regenerated (`npx secure-ai threat-model`, or "Secure AI: Generate Threat Model" in VS Code). ' +
      'Everything outside them is yours and is kept, and so are the statuses and notes you set in the threats table. ' +
      'A person must review every section before this document is signed off.',
    '',
    ...table(['', ''], [
      ['Project', cell(p.name)],
      ['Generated', `${p.generatedAt} by secure-ai ${p.generator.version}`],
      ['Commit', git],
      [
        'Scanned',
        `${plural(m.inventory.files.length, 'Python file')}: ${plural(f.open, 'open finding')}, ${f.suppressed} suppressed` +
          (f.notAnalysed ? `, ${plural(f.notAnalysed, 'file')} not analysed` : ''),
      ],
    ]),
  ];
}

function inventory(m: ThreatModel, dir: string): string[] {
  const inv = m.inventory;
  const out: string[] = [];
  const none = (what: string) => out.push(`_${what}_`, '');

  out.push('### Models and artefacts loaded', '');
  if (inv.models.length) {
    out.push(
      ...table(
        ['Model', 'Source', 'Loader', 'Revision', 'Pinned', 'Remote code', 'Format', 'Where'],
        inv.models.map((x) => [
          cell(code(x.name)) + (x.computed ? ' _(computed)_' : ''),
          x.source,
          cell(code(x.loader)),
          x.revision ? cell(code(x.revision)) : x.pinned === 'yes' ? 'commit' : '',
          PINNED[x.pinned],
          x.trustRemoteCode ? '**yes**' : 'no',
          x.format,
          link(x.evidence, dir),
        ]),
      ),
      '',
    );
  } else none('No model loads found.');

  out.push('### Datasets', '');
  if (inv.datasets.length) {
    const prov = { recorded: 'recorded or pinned', no: '**no** (SAI301)', accepted: 'accepted risk', unknown: 'unknown' };
    out.push(
      ...table(
        ['Dataset', 'Source', 'Loader', 'Pinned', 'Provenance recorded', 'Where'],
        inv.datasets.map((d) => [cell(code(d.name)) + (d.computed ? ' _(computed)_' : ''), d.source, cell(code(d.loader)), PINNED[d.pinned], prov[d.provenance], link(d.evidence, dir)]),
      ),
      '',
    );
  } else none('No data loads found.');

  out.push('### Model files in the workspace', '');
  if (inv.modelFiles.length) {
    out.push(
      ...table(
        ['File', 'Format', 'Size', 'In git'],
        inv.modelFiles.map((f) => [link({ path: f.path, line: 0 }, dir), f.format, formatBytes(f.bytes), f.gitignored ? 'no (ignored by .gitignore)' : 'not ignored']),
      ),
      '',
    );
  } else none('No model files (.safetensors, .pt, .pkl, .onnx, .h5, .keras, .gguf, ...) in the workspace.');

  out.push('### Serving endpoints', '');
  if (inv.endpoints.length || inv.binds.length) {
    const rows = inv.endpoints.map((e) => [cell(code(e.name)), e.framework, '', link(e.evidence, dir)]);
    for (const b of inv.binds) {
      const where = b.share ? 'public share link' : b.host !== undefined ? code(b.host) : `${b.framework} default (${b.framework === 'streamlit' ? 'all interfaces' : 'localhost'})`;
      const flags = [b.port !== undefined ? `port ${b.port}` : '', b.public ? '**public**' : '', b.debug ? '**debug on**' : ''].filter(Boolean).join(', ');
      rows.push([`binds ${cell(where)}`, b.framework, flags, link(b.evidence, dir)]);
    }
    out.push(...table(['Endpoint', 'Framework', 'Notes', 'Where'], rows), '');
  } else none('No Flask, FastAPI, gradio or streamlit serving code found.');

  out.push('### External AI APIs', '');
  if (inv.externalApis.length) {
    const providers = [...new Set(inv.externalApis.map((a) => a.provider))];
    out.push(
      ...table(
        ['Provider', 'Via', 'Where'],
        providers.map((p) => {
          const uses = inv.externalApis.filter((a) => a.provider === p);
          return [p, cell([...new Set(uses.map((u) => code(u.via)))].slice(0, 3).join(', ')), links(uses.map((u) => u.evidence), dir)];
        }),
      ),
      '',
    );
  } else none('No calls to hosted model APIs found.');

  out.push('### Secrets (by name; values are never read or shown)', '');
  if (inv.secrets.length) {
    const kind = { env: 'environment variable', implicit: 'read by the SDK from the environment', literal: '**written in the code** (value not shown)' };
    out.push(...table(['Name', 'How', 'Where'], inv.secrets.map((s) => [code(s.name), kind[s.kind], links(s.evidence, dir)])), '');
  } else none('No credentials referenced.');

  out.push('### ML dependencies', '');
  const ml = inv.dependencies.filter((d) => d.ml);
  const lock = inv.workspaceFiles.filter((f) => f.kind === 'lockfile');
  if (ml.length) {
    out.push(...table(['Package', 'Specifier', 'Pinned', 'Where'], ml.map((d) => [code(d.name), d.spec ? cell(code(d.spec)) : '_none_', d.pinned ? 'yes' : '**no**', link(d.evidence, dir)])), '');
  } else none(inv.dependencies.length ? 'No ML libraries among the declared dependencies.' : 'No requirements*.txt or pyproject.toml found.');
  const other = inv.dependencies.filter((d) => !d.ml);
  if (other.length || lock.length) {
    out.push(
      [
        other.length ? `${plural(other.length, 'other dependency', 'other dependencies')} (${other.filter((d) => !d.pinned).length} unpinned).` : '',
        lock.length ? `Lock file${lock.length === 1 ? '' : 's'}: ${lock.map((l) => link({ path: l.path, line: 0 }, dir)).join(', ')}.` : '',
      ]
        .filter(Boolean)
        .join(' '),
      '',
    );
  }

  out.push('### Python files', '');
  // Every file that serves, trains, loads something or has a finding; the rest are counted.
  const touched = new Set([...inv.models, ...inv.datasets, ...inv.endpoints, ...inv.externalApis].map((x) => x.evidence.path));
  const listed = inv.files.filter((f) => f.role !== 'other' || f.findings || touched.has(f.path));
  if (listed.length) {
    out.push(
      ...table(
        ['File', 'Role', 'Why', 'Logs', 'Open findings'],
        listed.map((f) => [link({ path: f.path, line: 0 }, dir), f.role, cell(f.why), f.logs ? 'yes' : 'no', String(f.findings ?? 0)]),
      ),
      '',
    );
  }
  const others = inv.files.length - listed.length;
  out.push(inv.files.length ? `${plural(inv.files.length, 'Python file')} scanned${others ? `; ${others} more with nothing to list` : ''}.` : '_No Python files found._');
  return out;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

function diagram(m: ThreatModel): string[] {
  return [
    '```mermaid',
    ...flowchart(m).replace(/\n$/, '').split('\n'),
    '```',
    '',
    'Dashed red boxes are trust boundaries; dotted arrows cross a network that is not yours. Built from the inventory above: ' +
      'add what the code cannot show (gateways, queues, storage buckets, people) in your own diagram outside the markers.',
  ];
}

const STATUS_TEXT: Record<ThreatStatus, string> = { Open: '**Open**', Mitigated: 'Mitigated', Accepted: 'Accepted', 'Not applicable': 'Not applicable' };

function findingLinks(list: FindingRef[], dir: string): string {
  // One entry per rule and line: a rule can report two things on one line (a public bind with debug on).
  const seen = new Map<string, { f: FindingRef; n: number }>();
  for (const f of list) {
    const key = `${f.ruleId}@${f.evidence.path}:${f.evidence.line}:${f.suppressed ? 's' : ''}`;
    const have = seen.get(key);
    if (have) have.n++;
    else seen.set(key, { f, n: 1 });
  }
  const entries = [...seen.values()];
  const shown = entries.slice(0, 4).map(({ f, n }) => `${f.ruleId} ${link(f.evidence, dir)}${n > 1 ? ` (×${n})` : ''}${f.suppressed ? ' (suppressed)' : ''}`);
  return entries.length > 4 ? `${shown.join(', ')} +${entries.length - 4} more` : shown.join(', ');
}

function threats(m: ThreatModel, dir: string, extra: string[]): string[] {
  const rows = m.threats.map((t) => {
    const why = t.generatedStatus && t.generatedStatus !== t.status ? `your status is kept (generated: ${t.generatedStatus}, ${t.basis})` : t.basis;
    const evidence = [findingLinks(t.findings, dir), links(t.evidence, dir, 3)].filter(Boolean).join('; ');
    return [
      t.id,
      cell(t.component),
      t.category,
      cell(t.title),
      STATUS_TEXT[t.status],
      cell(why),
      evidence,
      ids(t.ncsc),
      ids(t.owasp),
      ids(t.atlas),
      ids(t.cwe),
      t.notes ?? '',
    ];
  });
  const generated: Record<string, ThreatStatus> = {};
  for (const t of m.threats) generated[t.id] = t.generatedStatus ?? t.status;
  const out = [
    ...table(['ID', 'Component', 'Category', 'Threat', 'Status', 'Why', 'Evidence', 'NCSC', 'OWASP', 'ATLAS', 'CWE', 'Notes'], rows),
    ...extra,
    '',
    stateComment(generated),
    '',
    '#### What each threat means and what mitigates it',
    '',
  ];
  const seen = new Set<string>();
  for (const t of m.threats) {
    const key = t.id.startsWith('ML-') ? t.id : t.title;
    if (seen.has(key) || t.status === 'Not applicable') continue;
    seen.add(key);
    const label = t.id.startsWith('ML-') ? t.id : t.id.split('-').slice(0, 2).join('-') + '-*';
    out.push(`- **${label}** ${t.title}. ${t.description} _Mitigation:_ ${t.mitigation}`);
  }
  return out;
}

function coverage(m: ThreatModel, dir: string): string[] {
  return table(
    ['NCSC item', 'Status', 'What the code shows', 'Findings', 'Unknown (TODO)'],
    m.coverage.map((c) => {
      const open = c.findings.filter((f) => !f.suppressed);
      const rules = [...new Set(open.map((f) => f.ruleId))];
      const findings = open.length ? `${open.length} (${rules.join(', ')}): ${links(uniqueEvidence(open.map((f) => f.evidence)), dir, 3)}` : c.findings.length ? `${c.findings.length} suppressed` : 'none';
      const status = c.status === 'Gaps found' ? '**Gaps found**' : c.status;
      return [`${c.id} ${cell(c.title)}`, status, cell(c.shows.join('; ')) || '_nothing visible in code_', findings, `TODO: ${cell(c.todo)}`];
    }),
  );
}

function backlog(m: ThreatModel, dir: string): string[] {
  if (m.backlog.length === 0) return ['_Nothing to do from the code\'s side: no open findings. The TODOs in the threats table and the coverage matrix remain._'];
  return m.backlog.map((b, i) => {
    const what = b.ruleId ? `${b.docsUrl ? `[${b.ruleId}](${b.docsUrl})` : b.ruleId} ${b.title}` : b.title;
    const atlas = b.atlasMitigations.length ? ` ATLAS: ${ids(b.atlasMitigations)}.` : '';
    const threatsText = b.threatIds.length ? ` Threats: ${b.threatIds.slice(0, 4).join(', ')}${b.threatIds.length > 4 ? ' …' : ''}.` : '';
    return `${i + 1}. **${b.severity}** ${what}: ${plural(b.count, b.ruleId ? 'finding' : 'place')} (${links(b.evidence, dir, 3)}). ${b.action}${atlas}${threatsText}`;
  });
}

function questions(m: ThreatModel, dir: string): string[] {
  return m.questions.map((q) => `- [ ] ${q.text}${q.evidence ? ` (${link(q.evidence, dir)})` : ''}`);
}

/** The whole document as first written. Regeneration merges its blocks into the existing file instead. */
export function renderMarkdown(m: ThreatModel, options: RenderOptions): string {
  const dir = options.dir;
  const lines = [
    `# Threat model: ${m.project.name}`,
    '',
    ...block('header', header(m)),
    '',
    '## The four questions',
    '',
    '1. **What are we working on?** The [inventory](#inventory) and the [data flow](#data-flow), plus your description below.',
    '2. **What can go wrong?** The [threats](#threats), STRIDE per component and the machine-learning threats.',
    '3. **What are we going to do about it?** The [mitigation backlog](#mitigation-backlog) and the statuses in the threats table.',
    '4. **Did we do a good job?** The [NCSC coverage](#ncsc-coverage), the [open questions](#open-questions) and the [sign-off](#sign-off).',
    '',
    '### The system in a few sentences',
    '',
    'TODO: what the system does, for whom, which decisions it makes or supports, and what would hurt most if it went wrong.',
    '',
    '## Inventory',
    '',
    ...block('inventory', inventory(m, dir)),
    '',
    '## Data flow',
    '',
    ...block('diagram', diagram(m)),
    '',
    '## Threats',
    '',
    'Set a status (Open, Mitigated, Accepted, Not applicable) and write in Notes: both are kept when the model is regenerated, ' +
      'matched by ID. Rows you add to the table with an ID of your own are kept too. A finding silenced with ' +
      '`# secure-ai: ignore[RULE] reason` counts as an accepted risk and its reason is quoted.',
    '',
    ...block('threats', threats(m, dir, options.extraThreatRows ?? [])),
    '',
    '## NCSC coverage',
    '',
    'The 17 items of the Guidelines for Secure AI System Development (NCSC, CISA and partners, 2023), numbered by their order in its four sections.',
    '',
    ...block('coverage', coverage(m, dir)),
    '',
    '## Mitigation backlog',
    '',
    'Ordered by severity; each entry links to the rule\'s page (why, example, what to use instead) and names the MITRE ATLAS mitigation.',
    '',
    ...block('backlog', backlog(m, dir)),
    '',
    '## Open questions',
    '',
    ...block('questions', questions(m, dir)),
    '',
    '## Assumptions',
    '',
    '- TODO: the training environment is not reachable from the internet.',
    '- TODO: secrets reach the code through the environment, set by the deployment, and are not logged.',
    '- TODO: only the team can push to the repository and to the model and data stores.',
    '',
    '## Residual risk',
    '',
    'TODO: the risks accepted after the mitigations above, who accepted them, and until when.',
    '',
    '## Sign-off',
    '',
    '| Role | Name | Date | Decision |',
    '|---|---|---|---|',
    '| System owner | | | |',
    '| Security reviewer | | | |',
    '',
  ];
  return lines.join('\n');
}

