/**
 * The data-flow diagram as a Mermaid `flowchart`: one subgraph per trust boundary, actors as rectangles, processes
 * as rounded boxes, stores as cylinders, flows as labelled arrows. Built from the model's components and flows.
 *
 * `checkFlowchart` is a structural check of exactly the subset written here (balanced subgraphs, declared nodes,
 * quoted and escaped labels); the tests also run Mermaid's own parser over the output.
 */
import type { Component, ThreatModel } from './types';

/** Label text Mermaid shows as written: entity codes for the characters its grammar reacts to. */
export function mermaidText(s: string): string {
  return s
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/`/g, '')
    .replace(/\r?\n/g, ' ')
    .trim();
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function idFactory(): (key: string) => string {
  const used = new Map<string, string>();
  const taken = new Set<string>();
  return (key: string) => {
    const have = used.get(key);
    if (have) return have;
    const base = `n_${key.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').toLowerCase()}`;
    let id = base;
    for (let i = 2; taken.has(id); i++) id = `${base}_${i}`;
    taken.add(id);
    used.set(key, id);
    return id;
  };
}

function shape(c: Component, label: string): string {
  const text = `"${label}"`;
  switch (c.kind) {
    case 'actor':
      return `[${text}]`;
    case 'process':
      return `(${text})`;
    case 'store':
      return `[(${text})]`;
  }
}

export function flowchart(model: ThreatModel): string {
  const lines = ['flowchart LR'];
  if (model.components.length === 0) {
    lines.push('  n_empty["No ML components found in this folder"]');
    return `${lines.join('\n')}\n`;
  }
  const id = idFactory();
  for (const b of model.boundaries) {
    lines.push(`  subgraph tb_${b.id.replace(/-/g, '_')}["${mermaidText(b.title)}"]`);
    lines.push('    direction TB');
    for (const c of model.components.filter((x) => x.boundary === b.id)) {
      const label = c.description && c.description !== c.name ? `${mermaidText(c.name)}<br/>${mermaidText(truncate(c.description, 60))}` : mermaidText(c.name);
      lines.push(`    ${id(c.id)}${shape(c, label)}`);
    }
    lines.push('  end');
  }
  for (const f of model.flows) {
    const arrow = f.publicNetwork ? '-.->' : '-->';
    lines.push(`  ${id(f.from)} ${arrow}|"${mermaidText(truncate(f.label, 60))}"| ${id(f.to)}`);
  }
  for (const b of model.boundaries) lines.push(`  style tb_${b.id.replace(/-/g, '_')} stroke:#c0392b,stroke-width:2px,stroke-dasharray:6 4`);
  return `${lines.join('\n')}\n`;
}

const NODE = /^\s*(n_[A-Za-z0-9_]+)(\[".*"\]|\(".*"\)|\[\(".*"\)\])$/;
const EDGE = /^\s*(n_[A-Za-z0-9_]+) (-->|-\.->)\|"(.*)"\| (n_[A-Za-z0-9_]+)$/;
const SUBGRAPH = /^\s*subgraph (tb_[A-Za-z0-9_]+)\["(.*)"\]$/;
const STYLE = /^\s*style (tb_[A-Za-z0-9_]+) [\w#:,.\- ]+$/;

/** Problems with a flowchart written by `flowchart()`; empty when it is well formed. */
export function checkFlowchart(text: string): string[] {
  const errors: string[] = [];
  const lines = text.replace(/\n$/, '').split('\n');
  if (lines[0] !== 'flowchart LR') errors.push('line 1: expected "flowchart LR"');
  const nodes = new Set<string>();
  const subgraphs = new Set<string>();
  const edges: Array<[number, string, string]> = [];
  let depth = 0;
  const label = (n: number, s: string) => {
    const inner = s.replace(/<br\/>/g, '');
    if (/["<>`]/.test(inner)) errors.push(`line ${n}: unescaped character in label ${JSON.stringify(s)}`);
    if (/#(?!\d+;|quot;|lt;|gt;)/.test(inner)) errors.push(`line ${n}: bare # in label ${JSON.stringify(s)}`);
  };
  lines.slice(1).forEach((l, i) => {
    const n = i + 2;
    let m: RegExpExecArray | null;
    if ((m = SUBGRAPH.exec(l))) {
      if (depth > 0) errors.push(`line ${n}: nested subgraph`);
      if (subgraphs.has(m[1]) || nodes.has(m[1])) errors.push(`line ${n}: duplicate id ${m[1]}`);
      subgraphs.add(m[1]);
      label(n, m[2]);
      depth++;
    } else if (/^\s*end$/.test(l)) {
      if (depth === 0) errors.push(`line ${n}: "end" without subgraph`);
      depth--;
    } else if (/^\s*direction (?:TB|LR)$/.test(l)) {
      if (depth === 0) errors.push(`line ${n}: direction outside a subgraph`);
    } else if ((m = NODE.exec(l))) {
      if (nodes.has(m[1]) || subgraphs.has(m[1])) errors.push(`line ${n}: duplicate id ${m[1]}`);
      nodes.add(m[1]);
      const body = m[2].replace(/^\[\("|^\["|^\("/, '').replace(/"\)\]$|"\]$|"\)$/, '');
      label(n, body);
    } else if ((m = EDGE.exec(l))) {
      label(n, m[3]);
      edges.push([n, m[1], m[4]]);
    } else if ((m = STYLE.exec(l))) {
      if (!subgraphs.has(m[1])) errors.push(`line ${n}: style for unknown subgraph ${m[1]}`);
    } else {
      errors.push(`line ${n}: not part of the generated subset: ${JSON.stringify(l)}`);
    }
  });
  if (depth !== 0) errors.push('unbalanced subgraph/end');
  for (const [n, from, to] of edges) {
    if (!nodes.has(from)) errors.push(`line ${n}: edge from undeclared node ${from}`);
    if (!nodes.has(to)) errors.push(`line ${n}: edge to undeclared node ${to}`);
  }
  return errors;
}
