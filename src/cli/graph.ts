/**
 * `netd graph`: the records as Graphviz DOT, readable at hundreds of containers. Each network
 * is a cluster holding its header (driver, bridge, subnets) and the containers attached to it
 * alone, laid out in rows of ROW; a container on several networks stands outside the
 * clusters with one edge per attachment (interface and addresses on the edge). Containers
 * with published ports are filled and list them; internal networks are dashed; a legend says
 * so. Pure; the SVG (or PNG) is Graphviz's.
 */
import type { RecordedState } from '../plan/types.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import { nsRef, sorted } from '../state/derive.js';
import { portText } from './views.js';

/** Containers per row inside a network: 300 of them make 25 rows, not one 24,000 px column. */
export const ROW = 12;

/** A DOT double-quoted string; `\n` in labels stays a DOT line break. */
const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

export const networkNode = (name: string): string => q(`network:${name}`);
export const containerNode = (name: string): string => q(`container:${name}`);

const addresses = (e: EndpointRecord): string => [e.interface, e.ipv4, e.ipv6].filter(Boolean).join(' ');

function containerLine(s: SandboxRecord, eps: readonly EndpointRecord[], inCluster: boolean): string {
  const where = s.hostNetwork ? 'host network' : `netns ${nsRef(s.netns)}`;
  const ports = eps.flatMap((e) => e.ports.map(portText));
  // Inside its network's cluster the one attachment's addresses go on the node itself.
  const label = [s.container, where, ...(inCluster ? eps.map(addresses) : []), ...(ports.length ? [`ports ${ports.join(', ')}`] : [])].join('\n');
  const style = ports.length ? ', style=filled, fillcolor="#fff2b3"' : '';
  return `${containerNode(s.container)} [shape=ellipse${style}, label=${q(label)}];`;
}

function networkCluster(n: NetworkRecord, members: readonly SandboxRecord[], eps: ReadonlyMap<string, EndpointRecord[]>, i: number): string[] {
  const header = [n.name, `${n.driver}${n.bridge ? ` ${n.bridge}` : ''}${n.internal ? ' (internal)' : ''}`, n.ipv4?.subnet, n.ipv6?.subnet]
    .filter(Boolean)
    .join('\n');
  const lines = [
    `  subgraph cluster_${i} {`,
    `    label=${q(n.name)}; style=${n.internal ? 'dashed' : 'rounded'}; color="#6b7b8c";`,
    `    ${networkNode(n.name)} [shape=box, style="rounded,bold", label=${q(header)}];`,
  ];
  const rows: SandboxRecord[][] = [];
  for (let k = 0; k < members.length; k += ROW) rows.push(members.slice(k, k + ROW));
  for (const s of members) lines.push(`    ${containerLine(s, eps.get(s.container) ?? [], true)}`);
  // Rows: each on one rank, stacked under the header by invisible edges from its first node.
  rows.forEach((row, r) => {
    lines.push(`    { rank=same; ${row.map((s) => containerNode(s.container)).join('; ')}; }`);
    const above = r === 0 ? networkNode(n.name) : containerNode(rows[r - 1]![0]!.container);
    lines.push(`    ${above} -- ${containerNode(row[0]!.container)} [style=invis];`);
  });
  lines.push('  }');
  return lines;
}

const LEGEND = [
  '  subgraph cluster_legend {',
  '    label="legend"; style=dotted; fontsize=9;',
  '    "legend:network" [shape=box, style="rounded,bold", label="network\\ndriver bridge\\nsubnet"];',
  '    "legend:container" [shape=ellipse, label="container\\nnetns\\ninterface address"];',
  '    "legend:ports" [shape=ellipse, style=filled, fillcolor="#fff2b3", label="published ports"];',
  '    "legend:internal" [shape=box, style="rounded,dashed", label="internal network"];',
  '    { rank=same; "legend:network"; "legend:container"; "legend:ports"; "legend:internal"; }',
  '  }',
];

export function renderDot(r: RecordedState): string {
  const { networks, sandboxes, endpoints } = sorted(r);
  const eps = new Map<string, EndpointRecord[]>();
  for (const e of endpoints) eps.set(e.container, [...(eps.get(e.container) ?? []), e]);
  const homeOf = (s: SandboxRecord): string | undefined => {
    const mine = eps.get(s.container) ?? [];
    return mine.length === 1 ? mine[0]!.network : undefined;
  };
  const lines = [
    'graph netd {',
    '  graph [rankdir=TB, fontname="sans-serif", nodesep=0.15, ranksep=0.3, newrank=true];',
    '  node [fontname="sans-serif", fontsize=10];',
    '  edge [fontname="sans-serif", fontsize=9];',
  ];
  networks.forEach((n, i) =>
    lines.push(
      ...networkCluster(
        n,
        sandboxes.filter((s) => homeOf(s) === n.name),
        eps,
        i,
      ),
    ),
  );
  // Containers on several networks (or none) stand outside, one labelled edge per attachment.
  for (const s of sandboxes.filter((x) => homeOf(x) === undefined)) {
    lines.push(`  ${containerLine(s, eps.get(s.container) ?? [], false)}`);
    for (const e of eps.get(s.container) ?? []) lines.push(`  ${containerNode(s.container)} -- ${networkNode(e.network)} [label=${q(addresses(e))}];`);
  }
  if (networks.length + sandboxes.length > 0) lines.push(...LEGEND);
  lines.push('}');
  return lines.join('\n');
}
