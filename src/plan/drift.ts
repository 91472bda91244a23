/**
 * Drift: how the kernel differs from what the records say netd built. One function per
 * object kind, each returning field-level reasons (empty: in sync). Pure.
 */
import { ownerAlias } from '../state/marks.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import { prefixOf } from '../state/prefix.js';
import type { DefaultRoute } from '../state/derive.js';
import type { KernelView, LinkView, NamespaceView } from './types.js';

function linkReasons(what: string, link: LinkView | undefined, want: { kind?: string; master?: string; mtu?: number; mac?: string; alias?: string }): string[] {
  if (!link) return [`${what} missing`];
  const r: string[] = [];
  if (want.kind && link.kind !== want.kind) r.push(`${what} is a ${link.kind ?? 'device'}, not a ${want.kind}`);
  if (!link.up) r.push(`${what} down → up`);
  if (want.master !== undefined && link.master !== want.master) r.push(`${what} master ${link.master ?? 'none'} → ${want.master}`);
  if (want.mtu !== undefined && link.mtu !== want.mtu) r.push(`${what} mtu ${link.mtu} → ${want.mtu}`);
  if (want.mac !== undefined && link.mac !== want.mac) r.push(`${what} mac ${link.mac} → ${want.mac}`);
  if (want.alias !== undefined && link.alias !== want.alias) r.push(`${what} alias ${link.alias ?? 'none'} → ${want.alias}`);
  return r;
}

/** Addresses wanted on a device versus present (IPv6 link-local addresses are the kernel's own). */
function addressReasons(what: string, view: NamespaceView, dev: string, want: string[]): string[] {
  const have = view.addresses.filter((a) => a.dev === dev && !a.cidr.startsWith('fe80:')).map((a) => a.cidr);
  return [
    ...want.filter((c) => !have.includes(c)).map((c) => `${what} address ${c} missing`),
    ...have.filter((c) => !want.includes(c)).map((c) => `${what} address ${c} not declared`),
  ];
}

export function networkDrift(net: NetworkRecord, k: KernelView): string[] {
  if (!net.bridge) return [];
  const what = `bridge ${net.bridge}`;
  const link = k.host.links.find((l) => l.name === net.bridge);
  const reasons = linkReasons(what, link, { kind: 'bridge', mtu: net.mtu, ...(net.adopted ? {} : { alias: ownerAlias('network', net.id) }) });
  if (!link) return reasons;
  const want = [net.ipv4, net.ipv6].filter((f) => f !== undefined).map((f) => `${f.gateway}/${prefixOf(f.subnet)}`);
  return [...reasons, ...addressReasons(what, k.host, net.bridge, want)];
}

export function sandboxDrift(sb: SandboxRecord, k: KernelView, files: ReadonlyMap<string, string>): string[] {
  if (sb.hostNetwork) return [];
  const ref = sb.netns.kind === 'named' ? sb.netns.name : sb.netns.path;
  const view = k.sandboxes.get(ref);
  if (view === null || view === undefined || (sb.netns.kind === 'named' && !k.netnsNames.has(sb.netns.name))) {
    return [`namespace ${ref} missing`];
  }
  const reasons: string[] = [];
  const lo = view.links.find((l) => l.name === 'lo');
  if (lo && !lo.up) reasons.push(`loopback in ${ref} down → up`);
  for (const [path, want] of files) {
    const have = k.files.get(path);
    if (have === undefined) continue;
    if (have === null) reasons.push(`${path} missing`);
    else if (have !== want) reasons.push(`${path} differs`);
  }
  return reasons;
}

export function endpointDrift(ep: EndpointRecord, net: NetworkRecord, sb: SandboxRecord, k: KernelView, routes: readonly DefaultRoute[]): string[] {
  if (!ep.hostVeth || !net.bridge || sb.hostNetwork) return [];
  const ref = sb.netns.kind === 'named' ? sb.netns.name : sb.netns.path;
  const view = k.sandboxes.get(ref);
  if (!view) return [`namespace ${ref} missing`];
  const host = k.host.links.find((l) => l.name === ep.hostVeth);
  const reasons = linkReasons(`veth ${ep.hostVeth}`, host, { master: net.bridge, alias: ownerAlias('endpoint', ep.id) });
  const inner = view.links.find((l) => l.name === ep.interface);
  const what = `interface ${ep.interface} in ${ref}`;
  reasons.push(...linkReasons(what, inner, { mtu: net.mtu, ...(ep.mac ? { mac: ep.mac } : {}) }));
  if (inner) {
    const want = [
      ...(ep.ipv4 && net.ipv4 ? [`${ep.ipv4}/${prefixOf(net.ipv4.subnet)}`] : []),
      ...(ep.ipv6 && net.ipv6 ? [`${ep.ipv6}/${prefixOf(net.ipv6.subnet)}`] : []),
    ];
    reasons.push(...addressReasons(what, view, ep.interface, want));
  }
  for (const r of routes.filter((r) => r.endpoint.id === ep.id)) {
    const have = view.routes.find((x) => x.dst === 'default' && x.family === r.family);
    if (!have || have.via !== r.gateway || have.dev !== ep.interface) {
      reasons.push(`default route via ${r.gateway} dev ${ep.interface} in ${ref} missing`);
    }
  }
  return reasons;
}
