/**
 * The diff engine: (desired, recorded, kernel) → ordered Changes with field-level reasons.
 * Level-based and pure (STYLE.md 5): it sees the whole picture every time, so a crash, a
 * tamper or an edited file all come out as the same kinds of change.
 *
 *   desired vs recorded  → create / update / replace / delete (what the files ask for)
 *   recorded vs kernel   → repair (drift; also records left in `creating` by a crash)
 *
 * Replacing a network or a container replaces the attachments that hang off it. A name with
 * two records (a replace interrupted between its intent and its outcome: the old one
 * `deleting`, the new one not) is compared through its live one; the other is deleted by id.
 *
 * A recorded object whose kernel object is foreign (plan/foreign.ts) is reported with why as
 * its first reason, never with drift that would take it over: apply refuses to change it, and
 * its delete drops only the record.
 */
import { attachmentKey, PREDEFINED_NETWORKS, type DesiredAttachment, type DesiredContainer, type DesiredNetwork, type DesiredState } from '../desired/types.js';
import { derivedMac } from '../desired/defaults.js';
import { derivedBridgeName, hasBridge, PREDEFINED, type EndpointRecord, type NetworkRecord, type SandboxRecord } from '../state/records.js';
import { endpointDrift, sysctlDrift, networkDrift, sandboxDrift, withoutMarked } from './drift.js';
import { ownerAlias } from '../state/marks.js';
import { defaultDrivers, removalDriver, type DriverRegistry } from '../drivers/registry.js';
import type { KernelOp } from '../kernel/ops.js';
import { groupBy, nsRef } from '../state/derive.js';
import { sandboxFiles } from '../state/files.js';
import { NO_HOST_RESOLV, type HostResolv } from '../state/resolv.js';
import { foreignObjects } from './foreign.js';
import type { Change, KernelView, Plan, RecordedState } from './types.js';

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const show = (v: unknown): string =>
  v === undefined
    ? 'none'
    : Array.isArray(v)
      ? `[${v.join(', ')}]`
      : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
        ? String(v)
        : JSON.stringify(v);
const field = (name: string, from: unknown, to: unknown): string => `${name} ${show(from)} → ${show(to)}`;

/** Reasons that need a new kernel object (replace) and reasons a record update covers. */
interface Delta {
  replace: string[];
  update: string[];
}

export function networkDelta(d: DesiredNetwork, r: NetworkRecord): Delta {
  const replace: string[] = [];
  const update: string[] = [];
  if (d.driver !== r.driver) replace.push(field('driver', r.driver, d.driver));
  for (const [fam, want, have] of [
    ['ipv4', d.ipv4, r.ipv4],
    ['ipv6', d.ipv6, r.ipv6],
  ] as const) {
    if (!want !== !have) replace.push(field(fam, have?.subnet, want?.subnet));
    else if (want?.subnet && want.subnet !== have?.subnet) replace.push(field(`${fam} subnet`, have?.subnet, want.subnet));
    else if (want?.gateway && have && want.gateway !== have.gateway) replace.push(field(`${fam} gateway`, have.gateway, want.gateway));
    else if (want && have) {
      if (want.ipRange !== have.ipRange) update.push(field(`${fam} ipRange`, have.ipRange, want.ipRange));
      if (!same(want.reserved, have.reserved)) update.push(field(`${fam} reserved`, have.reserved, want.reserved));
    }
  }
  const bridge = hasBridge(d.driver) ? (d.bridge ?? derivedBridgeName(r.id)) : undefined;
  if (bridge !== r.bridge) replace.push(field('bridge', r.bridge, bridge));
  if (d.mtu !== r.mtu) update.push(field('mtu', r.mtu, d.mtu));
  for (const k of ['internal', 'masquerade', 'icc'] as const) if (d[k] !== r[k]) update.push(field(k, r[k], d[k]));
  if (d.gatewayMode !== (r.gatewayMode ?? 'nat')) update.push(field('gatewayMode', r.gatewayMode ?? 'nat', d.gatewayMode));
  if (d.dns !== (r.dns === true)) update.push(field('dns', r.dns === true, d.dns));
  if (!same(d.labels, r.labels)) update.push(field('labels', r.labels, d.labels));
  return { replace, update };
}

export function sandboxDelta(d: DesiredContainer, hostNetwork: boolean, r: SandboxRecord): Delta {
  const replace: string[] = [];
  const update: string[] = [];
  if (!same(d.netns, r.netns)) replace.push(field('netns', nsText(r.netns), nsText(d.netns)));
  if (hostNetwork !== !!r.hostNetwork) replace.push(field('host network', !!r.hostNetwork, hostNetwork));
  if (d.hostname !== r.hostname) update.push(field('hostname', r.hostname, d.hostname));
  if (!same(d.dns, r.dns)) update.push(field('dns', r.dns, d.dns));
  const hosts = (l: SandboxRecord['extraHosts']): string[] | undefined => (l?.length ? l.map((h) => `${h.name}:${h.address}`) : undefined);
  if (!same(hosts(d.extraHosts), hosts(r.extraHosts))) update.push(field('extraHosts', hosts(r.extraHosts), hosts(d.extraHosts)));
  update.push(...labelChanges(r.labels ?? {}, d.labels));
  return { replace, update };
}

/** One reason per label that changes: `label app web → api` (none: added or removed). */
function labelChanges(from: Readonly<Record<string, string>>, to: Readonly<Record<string, string>>): string[] {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  return keys.filter((k) => from[k] !== to[k]).map((k) => field(`label ${k}`, from[k], to[k]));
}

const nsText = (n: SandboxRecord['netns']): string => (n.kind === 'named' ? n.name : n.path);

export function endpointDelta(a: DesiredAttachment, net: DesiredNetwork, r: EndpointRecord): Delta {
  const replace: string[] = [];
  const update: string[] = [];
  if (a.interface !== r.interface) replace.push(field('interface', r.interface, a.interface));
  if (a.ipv4 && a.ipv4 !== r.ipv4) replace.push(field('ipv4', r.ipv4, a.ipv4));
  if (a.ipv6 && a.ipv6 !== r.ipv6) replace.push(field('ipv6', r.ipv6, a.ipv6));
  if (!!net.ipv4 !== !!r.ipv4 && net.driver !== 'host' && net.driver !== 'null') replace.push(field('ipv4', r.ipv4, net.ipv4 ? 'an address' : undefined));
  if (!!net.ipv6 !== !!r.ipv6) replace.push(field('ipv6', r.ipv6, net.ipv6 ? 'an address' : undefined));
  const mac = a.mac ?? (r.hostVeth ? derivedMac(r.ipv4, r.id) : undefined);
  if (mac !== r.mac) replace.push(field('mac', r.mac, mac));
  if (!same(a.aliases, r.aliases)) update.push(field('aliases', r.aliases, a.aliases));
  if (a.gatewayPriority !== r.gatewayPriority) update.push(field('gatewayPriority', r.gatewayPriority, a.gatewayPriority));
  if (!same(a.ports, r.ports)) update.push(field('ports', r.ports.map(portText), a.ports.map(portText)));
  return { replace, update };
}

const portText = (p: EndpointRecord['ports'][number]): string => `${p.hostIp ? `${p.hostIp}:` : ''}${p.hostPort}→${p.containerPort}/${p.protocol}`;

/** Which desired containers share the host's namespace. */
export function hostNetworkContainers(desired: DesiredState): Set<string> {
  const host = new Set(desired.networks.filter((n) => n.driver === 'host').map((n) => n.name));
  return new Set(desired.attachments.filter((a) => host.has(a.network)).map((a) => a.container));
}

/**
 * One record per name: the first that is not `deleting`, else the first (the controller's
 * lookups pick the same one). The others are stale: what is left of an interrupted replace.
 */
export function byName<T extends { readonly id: string; readonly state: string }>(
  records: readonly T[],
  name: (r: T) => string,
): { live: Map<string, T>; stale: T[] } {
  const live = new Map<string, T>();
  for (const r of records) {
    const have = live.get(name(r));
    if (!have || (have.state === 'deleting' && r.state !== 'deleting')) live.set(name(r), r);
  }
  return { live, stale: records.filter((r) => live.get(name(r)) !== r) };
}

export const del = (kind: Change['kind'], name: string, id: string, reason: string, ops: readonly KernelOp[] = []): Change => ({
  action: 'delete',
  kind,
  name,
  reasons: [reason],
  id,
  ops,
});

/** The delete of a record whose kernel object is foreign deletes nothing in the kernel, and says that the object stays. */
export const delKeeping = (c: Change, foreign: string | undefined): Change =>
  foreign ? { ...c, reasons: [...c.reasons, `${foreign}: only the record is deleted`], ops: [] } : c;

export function diff(
  desired: DesiredState,
  recorded: RecordedState,
  kernel: KernelView,
  hostResolv: HostResolv = NO_HOST_RESOLV,
  drivers: DriverRegistry = defaultDrivers(),
): Plan {
  const deletes: Change[] = [];
  const changes: Change[] = [];
  const netById = new Map([...PREDEFINED, ...recorded.networks].map((n) => [n.id, n]));
  const nets = byName(recorded.networks, (n) => n.name);
  const sbs = byName(recorded.sandboxes, (s) => s.container);
  const eps = byName(recorded.endpoints, attachmentKey);
  const [netRec, sbRec, epRec] = [nets.live, sbs.live, eps.live];
  const desiredNets = new Map(desired.networks.map((n) => [n.name, n]));
  // Only the files of declared containers are compared: a container being deleted takes its own along.
  const declared = new Set(desired.containers.map((c) => c.name));
  const kept = recorded.sandboxes.filter((s) => declared.has(s.container));
  // Each file's inputs digested, not rendered: a file is rendered only when they changed since netd wrote it.
  const files = groupBy(sandboxFiles(kept, recorded.endpoints, hostResolv, recorded.networks), ([path]) => path.split('/')[3]!);
  const written = new Map((recorded.files ?? []).map((f) => [f.path, f]));
  const epsOf = groupBy(recorded.endpoints, (e) => e.container);
  const onHost = hostNetworkContainers(desired);
  const renewed = new Set<string>(); // networks and containers created or replaced: their attachments follow
  const foreign = new Map(foreignObjects(recorded, kernel).map((f) => [f.id, f.message]));

  for (const c of desired.containers) {
    const r = sbRec.get(c.name);
    if (!r) {
      changes.push({ action: 'create', kind: 'container', name: c.name, reasons: [] });
      renewed.add(`container/${c.name}`);
      continue;
    }
    const d = sandboxDelta(c, onHost.has(c.name), r);
    if (r.state === 'deleting') d.replace.push('delete was interrupted');
    const alien = foreign.get(r.id);
    if (d.replace.length) {
      changes.push({ action: 'replace', kind: 'container', name: c.name, reasons: alien ? [alien, ...d.replace] : d.replace, id: r.id });
      renewed.add(`container/${c.name}`);
      continue;
    }
    if (alien) {
      changes.push({ action: 'repair', kind: 'container', name: c.name, reasons: [alien, ...d.update], ops: [], id: r.id });
      continue;
    }
    const { reasons: drift, ops } = sandboxDrift(r, kernel, (r.netns.kind === 'named' && files.get(r.netns.name)) || [], written);
    if (r.state === 'creating') drift.unshift('create was interrupted');
    if (drift.length) changes.push({ action: 'repair', kind: 'container', name: c.name, reasons: drift, ops, id: r.id });
    else if (d.update.length) changes.push({ action: 'update', kind: 'container', name: c.name, reasons: d.update, id: r.id });
  }

  for (const n of desired.networks) {
    if (PREDEFINED_NETWORKS.has(n.name)) continue; // implicit (validation refuses declaring them): nothing to create or compare
    const r = netRec.get(n.name);
    if (!r) {
      changes.push({ action: 'create', kind: 'network', name: n.name, reasons: [] });
      renewed.add(`network/${n.name}`);
      continue;
    }
    const d = networkDelta(n, r);
    if (r.state === 'deleting') d.replace.push('delete was interrupted');
    const alien = foreign.get(r.id);
    if (d.replace.length) {
      changes.push({ action: 'replace', kind: 'network', name: n.name, reasons: alien ? [alien, ...d.replace] : d.replace, id: r.id });
      renewed.add(`network/${n.name}`);
      continue;
    }
    if (alien) {
      changes.push({ action: 'repair', kind: 'network', name: n.name, reasons: [alien, ...d.update], ops: [], id: r.id });
      continue;
    }
    const { reasons: drift, ops } = networkDrift(r, kernel, drivers);
    if (r.state === 'creating') drift.unshift('create was interrupted');
    if (drift.length) changes.push({ action: 'repair', kind: 'network', name: n.name, reasons: [...drift, ...d.update], ops, id: r.id });
    else if (d.update.length) changes.push({ action: 'update', kind: 'network', name: n.name, reasons: d.update, id: r.id });
  }

  const wantedAttachments = new Set(desired.attachments.map(attachmentKey));
  const staleEps = new Set(eps.stale);
  const leaving = recorded.endpoints.filter((e) => !wantedAttachments.has(attachmentKey(e)) || staleEps.has(e));
  const after = withoutMarked(kernel, new Set(leaving.map((e) => ownerAlias('endpoint', e.id))));
  for (const a of desired.attachments) {
    const key = attachmentKey(a);
    const r = epRec.get(key);
    if (!r) {
      changes.push({ action: 'create', kind: 'attachment', name: key, reasons: [] });
      continue;
    }
    const upstream = [`network/${a.network}`, `container/${a.container}`].filter((k) => renewed.has(k));
    const d = endpointDelta(a, desiredNets.get(a.network)!, r);
    d.replace.unshift(...upstream.map((k) => `${k.replace('/', ' ')} is recreated`));
    if (r.state === 'deleting') d.replace.push('delete was interrupted');
    const alien = foreign.get(r.id);
    if (d.replace.length) {
      changes.push({ action: 'replace', kind: 'attachment', name: key, reasons: alien ? [alien, ...d.replace] : d.replace, id: r.id });
      continue;
    }
    if (alien) {
      changes.push({ action: 'repair', kind: 'attachment', name: key, reasons: [alien, ...d.update], ops: [], id: r.id });
      continue;
    }
    const net = netById.get(r.networkId);
    const sb = sbRec.get(r.container);
    const { reasons: drift, ops } =
      net && sb
        ? endpointDrift(r, net, sb, after, drivers, epsOf.get(r.container) ?? [], netById)
        : { reasons: ['its network or sandbox record is missing'], ops: [] };
    if (r.state === 'creating') drift.unshift('create was interrupted');
    if (drift.length) changes.push({ action: 'repair', kind: 'attachment', name: key, reasons: [...drift, ...d.update], ops, id: r.id });
    else if (d.update.length) changes.push({ action: 'update', kind: 'attachment', name: key, reasons: d.update, id: r.id });
  }

  const wantedContainers = new Set(desired.containers.map((c) => c.name));
  const interrupted = 'delete was interrupted';
  const sbById = new Map(recorded.sandboxes.map((s) => [s.id, s]));
  const endpointOps = (e: EndpointRecord): KernelOp[] => {
    const net = netById.get(e.networkId);
    const sb = sbById.get(e.sandboxId);
    return net && sb ? removalDriver(drivers, net.driver).removeEndpoint(e, net, sb, kernel) : [];
  };
  const sandboxOps = (s: SandboxRecord): KernelOp[] =>
    s.created && s.netns.kind === 'named' && kernel.netnsNames.has(s.netns.name) ? [{ op: 'netns-del', name: nsRef(s.netns) }] : [];
  for (const e of recorded.endpoints) {
    if (!wantedAttachments.has(attachmentKey(e)))
      deletes.push(delKeeping(del('attachment', attachmentKey(e), e.id, 'not declared', endpointOps(e)), foreign.get(e.id)));
    else if (staleEps.has(e)) deletes.push(delKeeping(del('attachment', attachmentKey(e), e.id, interrupted, endpointOps(e)), foreign.get(e.id)));
  }
  for (const s of recorded.sandboxes) {
    if (!wantedContainers.has(s.container)) deletes.push(delKeeping(del('container', s.container, s.id, 'not declared', sandboxOps(s)), foreign.get(s.id)));
    else if (sbs.stale.includes(s)) deletes.push(delKeeping(del('container', s.container, s.id, interrupted, sandboxOps(s)), foreign.get(s.id)));
  }
  const networkOps = (n: NetworkRecord): KernelOp[] => removalDriver(drivers, n.driver).removeNetwork(n, kernel);
  for (const n of recorded.networks) {
    if (!desiredNets.has(n.name)) deletes.push(delKeeping(del('network', n.name, n.id, 'not declared', networkOps(n)), foreign.get(n.id)));
    else if (nets.stale.includes(n)) deletes.push(delKeeping(del('network', n.name, n.id, interrupted, networkOps(n)), foreign.get(n.id)));
  }
  changes.push(...sysctlDrift(recorded.networks, kernel));
  if (kernel.firewall.length) changes.push({ action: 'repair', kind: 'firewall', name: 'nftables', reasons: [...kernel.firewall] });
  return { changes: [...deletes, ...changes] };
}
