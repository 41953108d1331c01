/**
 * The threat model as an OWASP Threat Dragon v2 file: one STRIDE diagram whose cells are the trust boundaries
 * (`trust-boundary-box`), actors, processes and stores of the model, and its flows; threats sit in
 * `cells[].data.threats[]` on the component they concern. Ids are derived from the model's stable ids, so exporting
 * the same model twice gives the same file.
 *
 * Threat Dragon knows three statuses (Open, Mitigated, NA). An accepted risk is still a risk, so it is exported as
 * Open with "accepted risk" in its title and the reason in its mitigation.
 */
import { createHash } from 'node:crypto';
import type { Component, Stride, Threat, ThreatModel } from './types';

export const TD_VERSION = '2.2.0';

type Json = Record<string, unknown>;

/** A UUID-shaped id derived from a stable key. */
function uuidOf(key: string): string {
  const h = createHash('sha1').update(`secure-ai:${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The STRIDE type Threat Dragon files each machine-learning threat under. */
const ML_STRIDE: Record<string, Stride> = {
  'ML-SUPPLY-MODEL': 'Tampering',
  'ML-SUPPLY-DATA': 'Tampering',
  'ML-POISON': 'Tampering',
  'ML-UNSAFE-ARTEFACT': 'Elevation of privilege',
  'ML-SUPPLY-DEPS': 'Tampering',
  'ML-TAMPER': 'Tampering',
  'ML-EXTRACTION': 'Information disclosure',
  'ML-EVASION': 'Tampering',
  'ML-PROMPT-INJECTION': 'Tampering',
  'ML-EXCESSIVE-AGENCY': 'Elevation of privilege',
  'ML-SECRETS': 'Information disclosure',
};

/** Threat Dragon's spelling of the STRIDE categories. */
const TD_TYPE: Record<Stride, string> = {
  Spoofing: 'Spoofing',
  Tampering: 'Tampering',
  Repudiation: 'Repudiation',
  'Information disclosure': 'Information disclosure',
  'Denial of service': 'Denial of service',
  'Elevation of privilege': 'Elevation of privilege',
};

const SHAPE = { actor: 'actor', process: 'process', store: 'store' } as const;
const TYPE = { actor: 'tm.Actor', process: 'tm.Process', store: 'tm.Store' } as const;

function severityOf(t: Threat): string {
  if (t.findings.some((f) => !f.suppressed && f.severity === 'error')) return 'High';
  if (t.findings.some((f) => !f.suppressed && f.severity === 'warning')) return 'Medium';
  if (t.findings.length) return 'Low';
  return t.status === 'Open' ? 'Medium' : 'Low';
}

function tdThreat(t: Threat, n: number): Json {
  const type = t.category === 'ML' ? (ML_STRIDE[t.id] ?? 'Tampering') : t.category;
  const refs = [...t.ncsc, ...t.owasp, ...t.atlas, ...t.cwe].join(', ');
  const where = [...t.findings.map((f) => `${f.ruleId} at ${f.evidence.path}:${f.evidence.line}${f.suppressed ? ' (suppressed)' : ''}`), ...t.evidence.map((e) => (e.line > 0 ? `${e.path}:${e.line}` : e.path))];
  const accepted = t.status === 'Accepted';
  return {
    id: uuidOf(`threat:${t.id}`),
    threatId: t.id,
    number: n,
    title: `[${t.id}] ${t.title}${accepted ? ' (accepted risk)' : ''}`,
    type: TD_TYPE[type],
    modelType: 'STRIDE',
    status: t.status === 'Mitigated' ? 'Mitigated' : t.status === 'Not applicable' ? 'NA' : 'Open',
    severity: severityOf(t),
    score: '',
    description: [t.description, `Status: ${t.status} (${t.basis}).`, where.length ? `Evidence: ${where.slice(0, 10).join('; ')}.` : '', refs ? `References: ${refs}.` : '', t.notes ? `Notes: ${t.notes}` : '']
      .filter(Boolean)
      .join('\n'),
    mitigation: accepted ? `Accepted risk: ${t.basis}. ${t.mitigation}` : t.mitigation,
  };
}

const COLUMNS = ['internet', 'serving', 'training', 'hub', 'ai-apis'];
const NODE = { width: 160, height: 80 };
const COLUMN_WIDTH = 300;
const ROW_HEIGHT = 140;

/** Which component carries each system-wide threat in the diagram. */
function ownerOf(t: Threat, m: ThreatModel, fallback: Component): Component {
  if (t.componentId) return m.components.find((c) => c.id === t.componentId) ?? fallback;
  const processes = m.components.filter((c) => c.kind === 'process');
  const serving = processes.find((c) => c.boundary === 'serving');
  const training = processes.find((c) => c.boundary === 'training');
  const llm = processes.find((c) => m.inventory.files.some((f) => f.usesLlm && c.evidence.some((e) => e.path === f.path)));
  switch (t.id) {
    case 'ML-EXTRACTION':
    case 'ML-EVASION':
      return serving ?? fallback;
    case 'ML-PROMPT-INJECTION':
    case 'ML-EXCESSIVE-AGENCY':
      return llm ?? serving ?? fallback;
    case 'ML-TAMPER':
      return m.components.find((c) => c.id === 'store:artefacts') ?? training ?? fallback;
    default:
      return training ?? serving ?? fallback;
  }
}

export function threatDragon(m: ThreatModel): Json {
  const cells: Json[] = [];
  const idOf = (c: Component) => uuidOf(`cell:${c.id}`);
  const used = COLUMNS.filter((b) => m.components.some((c) => c.boundary === b));
  const columnOf = new Map(used.map((b, i) => [b, i]));
  const rowOf = new Map<string, number>();
  for (const b of used) m.components.filter((c) => c.boundary === b).forEach((c, i) => rowOf.set(c.id, i));

  // A diagram with nothing in it still opens: one process for the folder.
  const placeholder: Component = { id: 'workspace', name: m.project.name, kind: 'process', boundary: 'training', description: 'no ML components found', evidence: [] };
  const components = m.components.length ? m.components : [placeholder];
  if (!m.components.length) {
    columnOf.set('training', 0);
    rowOf.set('workspace', 0);
  }

  const threatsByCell = new Map<string, Json[]>();
  m.threats.forEach((t, i) => {
    const owner = ownerOf(t, m, components.find((c) => c.kind === 'process') ?? components[0]);
    const list = threatsByCell.get(owner.id) ?? [];
    list.push(tdThreat(t, i + 1));
    threatsByCell.set(owner.id, list);
  });
  const hasOpen = (list: Json[] | undefined) => !!list?.some((t) => t.status === 'Open');

  let z = 1;
  for (const b of m.boundaries) {
    const col = columnOf.get(b.id) ?? 0;
    const rows = m.components.filter((c) => c.boundary === b.id).length;
    cells.push({
      id: uuidOf(`boundary:${b.id}`),
      shape: 'trust-boundary-box',
      position: { x: 20 + col * COLUMN_WIDTH, y: 20 },
      size: { width: COLUMN_WIDTH - 40, height: Math.max(1, rows) * ROW_HEIGHT + 60 },
      zIndex: -1,
      visible: true,
      attrs: { label: { text: b.title } },
      data: { type: 'tm.BoundaryBox', name: b.title, description: '', isTrustBoundary: true, hasOpenThreats: false },
    });
  }
  for (const c of components) {
    const threats = threatsByCell.get(c.id) ?? [];
    const col = columnOf.get(c.boundary) ?? 0;
    const row = rowOf.get(c.id) ?? 0;
    const data: Json = {
      type: TYPE[c.kind],
      name: c.name,
      description: c.description,
      outOfScope: false,
      reasonOutOfScope: '',
      isTrustBoundary: false,
      hasOpenThreats: hasOpen(threats),
      threats,
    };
    if (c.kind === 'actor') data.providesAuthentication = false;
    if (c.kind === 'process') Object.assign(data, { handlesCardPayment: false, handlesGoodsOrServices: false, isWebApplication: c.boundary === 'serving', privilegeLevel: '' });
    if (c.kind === 'store') Object.assign(data, { isALog: false, storesCredentials: false, isEncrypted: false, isSigned: false, storesInventory: false });
    cells.push({
      id: idOf(c),
      shape: SHAPE[c.kind],
      position: { x: 20 + col * COLUMN_WIDTH + (COLUMN_WIDTH - 40 - NODE.width) / 2, y: 70 + row * ROW_HEIGHT },
      size: c.kind === 'process' ? { width: 100, height: 100 } : { ...NODE },
      zIndex: z++,
      visible: true,
      attrs: { text: { text: c.name } },
      data,
    });
  }
  const byId = new Map(components.map((c) => [c.id, c]));
  for (const f of m.flows) {
    const from = byId.get(f.from);
    const to = byId.get(f.to);
    if (!from || !to) continue;
    cells.push({
      id: uuidOf(`flow:${f.id}`),
      shape: 'flow',
      zIndex: z++,
      connector: 'smooth',
      source: { cell: idOf(from) },
      target: { cell: idOf(to) },
      vertices: [],
      attrs: { line: { stroke: '#333333', strokeWidth: 1, targetMarker: { name: 'block' }, strokeDasharray: f.publicNetwork ? '4 3' : null } },
      labels: [{ position: 0.5, attrs: { label: { text: f.label } } }],
      data: {
        type: 'tm.Flow',
        name: f.label,
        description: '',
        outOfScope: false,
        reasonOutOfScope: '',
        isBidirectional: false,
        isEncrypted: false,
        isPublicNetwork: f.publicNetwork,
        protocol: '',
        isTrustBoundary: false,
        hasOpenThreats: false,
        threats: [],
      },
    });
  }
  const p = m.project;
  return {
    version: TD_VERSION,
    summary: {
      title: `${p.name} (generated by secure-ai)`,
      owner: '',
      description:
        `Draft generated by secure-ai ${p.generator.version} on ${p.generatedAt}${p.git ? ` from commit ${p.git.commit.slice(0, 12)}` : ''}. ` +
        'Review every element and threat before relying on it.',
      id: 0,
    },
    detail: {
      contributors: [],
      diagrams: [
        {
          id: 0,
          title: 'Data flow (generated)',
          diagramType: 'STRIDE',
          placeholder: 'New STRIDE diagram description',
          thumbnail: './public/content/images/thumbnail.stride.jpg',
          version: TD_VERSION,
          description: 'Trust boundaries, components and flows found in the code by secure-ai.',
          cells,
        },
      ],
      diagramTop: 1,
      reviewer: '',
      threatTop: m.threats.length,
    },
  };
}
