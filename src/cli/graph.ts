/**
 * `netd graph`: networks (boxes) and containers (ellipses) with one edge per attachment,
 * labelled with the interface and its addresses, as Graphviz DOT. Pure; the SVG is Graphviz's.
 */
import type { RecordedState } from '../plan/types.js';
import { nsRef, sorted } from '../state/derive.js';

/** A DOT double-quoted string; `\n` in labels stays a DOT line break. */
const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

export const networkNode = (name: string): string => q(`network:${name}`);
export const containerNode = (name: string): string => q(`container:${name}`);

export function renderDot(r: RecordedState): string {
  const { networks, sandboxes, endpoints } = sorted(r);
  const lines = [
    'graph netd {',
    '  graph [rankdir=LR, fontname="sans-serif"];',
    '  node [fontname="sans-serif", fontsize=10];',
    '  edge [fontname="sans-serif", fontsize=9];',
  ];
  for (const n of networks) {
    const label = [n.name, `${n.driver}${n.bridge ? ` ${n.bridge}` : ''}`, n.ipv4?.subnet, n.ipv6?.subnet].filter(Boolean).join('\n');
    lines.push(`  ${networkNode(n.name)} [shape=box, style=rounded, label=${q(label)}];`);
  }
  for (const s of sandboxes) {
    const where = s.hostNetwork ? 'host network' : `netns ${nsRef(s.netns)}`;
    lines.push(`  ${containerNode(s.container)} [shape=ellipse, label=${q(`${s.container}\n${where}`)}];`);
  }
  for (const e of endpoints) {
    const label = [e.interface, e.ipv4, e.ipv6].filter(Boolean).join('\n');
    lines.push(`  ${containerNode(e.container)} -- ${networkNode(e.network)} [label=${q(label)}];`);
  }
  lines.push('}');
  return lines.join('\n');
}
