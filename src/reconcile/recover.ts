/**
 * `netd recover`: rebuilds lost records from what the kernel still carries and the files say.
 *
 * Every kernel object netd makes carries its record's id: a bridge `netd:network:<id>`, both
 * ends of an endpoint's veth pair `netd:endpoint:<id>` (the host end named `nd<12 hex>`, its
 * master the bridge; the inner end holds the MAC and the addresses). Sandboxes carry no mark:
 * a declared container whose namespace exists gets a new id. A declared network is matched to
 * a marked bridge by its declared bridge name, else by its declared subnet (and gateway) on
 * the bridge, else by the bridges its declared attachments' veths hang off. Host- and
 * null-driver attachments have no kernel object: their records come from the files alone.
 * Everything is `ready` and written in one transaction with the address allocations, so on
 * an untouched host `netd diff` is clean afterwards. Marked objects the files do not declare
 * are reported and left alone; declared objects that are missing are left to apply.
 */
import { NetdError } from '../errors.js';
import { attachmentKey, PREDEFINED_NETWORKS, type DesiredAttachment, type DesiredNetwork, type DesiredState, type FamilyConfig } from '../desired/types.js';
import { contains, formatAddr, formatCidr, parseAddr, parseCidr, tryParseCidr, type Cidr, type Family } from '../desired/cidr.js';
import { familyRecord } from '../ipam/layout.js';
import { parseOwner } from '../state/marks.js';
import { nsRef } from '../state/derive.js';
import {
  PREDEFINED,
  allocationKey,
  declaredSandboxFields,
  endpointKey,
  hostVethName,
  networkKey,
  networkRecordOf,
  sandboxKey,
  type AllocationRecord,
  type EndpointRecord,
  type NetworkRecord,
  type SandboxRecord,
} from '../state/records.js';
import type { Op } from '../store/store.js';
import { newId } from '../controller/controller.js';
import { hostNetworkContainers } from '../plan/diff.js';
import type { KernelView, LinkView, NamespaceView } from '../plan/types.js';
import { hasRecords } from './lost.js';
import type { Engine } from './reconcile.js';
import { loadRecorded, observeKernel } from './snapshot.js';

export interface Rebuilt {
  readonly networks: NetworkRecord[];
  readonly sandboxes: SandboxRecord[];
  readonly endpoints: EndpointRecord[];
  readonly allocations: AllocationRecord[];
  /** Marked objects the files do not declare, and declared objects that could not be matched. */
  readonly notes: string[];
}

const markOf = (l: LinkView, kind: 'network' | 'endpoint'): string | undefined => {
  const o = parseOwner(l.alias);
  return o?.kind === kind ? o.id : undefined;
};

/** The addresses on a device (the kernel's own IPv6 link-local ones aside). */
const addressesOn = (view: NamespaceView, dev: string): Cidr[] =>
  view.addresses.flatMap((a) => (a.dev === dev && !a.cidr.startsWith('fe80:') ? [tryParseCidr(a.cidr)].filter((c) => c !== undefined) : []));

const addressIn = (view: NamespaceView, dev: string, subnet: string): string | undefined => {
  const s = parseCidr(subnet);
  const a = addressesOn(view, dev).find((c) => contains(s, { family: c.family, value: c.address }));
  return a && formatAddr(a.family, a.address);
};

/** true/false: the declared subnets (and gateways) are/are not on the bridge; undefined: none declared. */
function subnetFits(d: DesiredNetwork, host: NamespaceView, bridge: string): boolean | undefined {
  const declared = [d.ipv4, d.ipv6].filter((f): f is FamilyConfig & { subnet: string } => f?.subnet !== undefined);
  if (declared.length === 0) return undefined;
  return declared.every((f) => {
    const at = addressIn(host, bridge, f.subnet);
    return at !== undefined && (f.gateway === undefined || parseAddr(f.gateway).value === parseAddr(at).value);
  });
}

/** An endpoint's inner end in a container's namespace, with the host end carrying the same mark. */
interface Found {
  readonly inner: LinkView;
  readonly id: string;
  readonly bridge?: string;
}

function endpointsIn(view: NamespaceView, host: NamespaceView): Found[] {
  return view.links.flatMap((inner) => {
    const id = markOf(inner, 'endpoint');
    if (id === undefined) return [];
    const peer = host.links.find((l) => l.name === hostVethName(id) && markOf(l, 'endpoint') === id);
    return [{ inner, id, ...(peer?.master ? { bridge: peer.master } : {}) }];
  });
}

/** Declared bridge network → the marked (or, declared `adopt`, unmarked) bridge that is it. */
function matchBridges(desired: DesiredState, host: NamespaceView, found: ReadonlyMap<string, Found[]>): Map<string, LinkView> {
  const marked = host.links.filter((l) => l.kind === 'bridge' && markOf(l, 'network') !== undefined);
  const picked = new Map<string, LinkView>();
  const free = (): LinkView[] => marked.filter((b) => ![...picked.values()].includes(b));
  const nets = desired.networks.filter((n) => n.driver === 'bridge');
  for (const d of nets) {
    const b = d.bridge === undefined ? undefined : host.links.find((l) => l.name === d.bridge && l.kind === 'bridge');
    if (b && (markOf(b, 'network') !== undefined || d.adopt)) picked.set(d.name, b);
  }
  for (const d of nets.filter((n) => !picked.has(n.name) && n.bridge === undefined)) {
    const fits = free().filter((b) => subnetFits(d, host, b.name) === true);
    if (fits.length === 1) picked.set(d.name, fits[0]!);
  }
  for (const d of nets.filter((n) => !picked.has(n.name) && n.bridge === undefined)) {
    // Each container attached to d has an endpoint on d's bridge: the bridges common to all of them.
    const sets = desired.attachments
      .filter((a) => a.network === d.name)
      .map((a) => new Set((found.get(a.container) ?? []).map((f) => f.bridge)))
      .filter((s) => s.size > 0);
    const fits = free().filter((b) => sets.length > 0 && sets.every((s) => s.has(b.name)) && subnetFits(d, host, b.name) !== false);
    if (fits.length === 1) picked.set(d.name, fits[0]!);
  }
  return picked;
}

function networkRecord(d: DesiredNetwork, host: NamespaceView, bridge: LinkView | undefined, id: string): NetworkRecord {
  const family = (cfg: FamilyConfig | undefined, f: Family): NetworkRecord['ipv4'] => {
    const onBridge = bridge && addressesOn(host, bridge.name).find((c) => c.family === f);
    const subnet = cfg?.subnet ?? (onBridge ? formatCidr(onBridge) : undefined);
    return cfg && subnet ? familyRecord(cfg, subnet) : undefined;
  };
  const [ipv4, ipv6] = [family(d.ipv4, 4), family(d.ipv6, 6)];
  const adopted = bridge !== undefined && markOf(bridge, 'network') === undefined;
  return networkRecordOf(d, { id, ...(bridge ? { bridge: bridge.name } : {}), ...(ipv4 ? { ipv4 } : {}), ...(ipv6 ? { ipv6 } : {}), adopted, state: 'ready' });
}

function endpointRecord(
  a: DesiredAttachment,
  net: NetworkRecord,
  sb: SandboxRecord,
  id: string,
  inner?: { link: LinkView; view: NamespaceView },
): EndpointRecord {
  const ipv4 = inner && net.ipv4 ? addressIn(inner.view, inner.link.name, net.ipv4.subnet) : undefined;
  const ipv6 = inner && net.ipv6 ? addressIn(inner.view, inner.link.name, net.ipv6.subnet) : undefined;
  return {
    id,
    networkId: net.id,
    network: net.name,
    container: a.container,
    sandboxId: sb.id,
    interface: inner?.link.name ?? a.interface,
    ...(inner ? { hostVeth: hostVethName(id), ...(inner.link.mac ? { mac: inner.link.mac } : {}) } : {}),
    ...(ipv4 ? { ipv4 } : {}),
    ...(ipv6 ? { ipv6 } : {}),
    aliases: a.aliases,
    gatewayPriority: a.gatewayPriority,
    ports: a.ports,
    state: 'ready',
  };
}

const allocationsOf = (ep: EndpointRecord, a: DesiredAttachment): AllocationRecord[] =>
  (
    [
      [4, ep.ipv4, a.ipv4],
      [6, ep.ipv6, a.ipv6],
    ] as const
  ).flatMap(([family, address, declared]) =>
    address ? [{ networkId: ep.networkId, family, address, owner: attachmentKey(a), endpointId: ep.id, static: declared !== undefined }] : [],
  );

/** The records the kernel's marks and the files imply. Pure but for `ids` (new ids for unmarked objects). */
export function rebuild(desired: DesiredState, k: KernelView, ids: () => string = newId): Rebuilt {
  const notes: string[] = [];
  const onHost = hostNetworkContainers(desired);
  const sandboxes: SandboxRecord[] = [];
  const views = new Map<string, NamespaceView>();
  for (const c of desired.containers) {
    const hostNetwork = onHost.has(c.name);
    const view = hostNetwork ? undefined : k.sandboxes.get(nsRef(c.netns));
    if (!hostNetwork && (!view || (c.netns.kind === 'named' && !k.netnsNames.has(c.netns.name)))) continue;
    if (view) views.set(c.name, view);
    sandboxes.push({
      id: ids(),
      container: c.name,
      netns: c.netns,
      created: !hostNetwork && c.netns.kind === 'named' && !c.adopt,
      ...declaredSandboxFields(c),
      ...(hostNetwork ? { hostNetwork } : {}),
      state: 'ready',
    });
  }
  const found = new Map([...views].map(([c, v]) => [c, endpointsIn(v, k.host)]));
  const bridges = matchBridges(desired, k.host, found);
  const networks: NetworkRecord[] = [];
  for (const d of desired.networks) {
    if (PREDEFINED_NETWORKS.has(d.name)) continue; // implicit, never stored
    const bridge = bridges.get(d.name);
    if (d.driver === 'bridge' && bridge) networks.push(networkRecord(d, k.host, bridge, markOf(bridge, 'network') ?? ids()));
    else if (d.driver === 'host' || d.driver === 'null') networks.push(networkRecord(d, k.host, undefined, ids()));
    else if (d.driver !== 'bridge') notes.push(`network "${d.name}": driver ${d.driver} has no kernel objects this build can find; not recovered`);
  }
  const endpoints: EndpointRecord[] = [];
  const allocations: AllocationRecord[] = [];
  for (const a of desired.attachments) {
    const net = networks.find((n) => n.name === a.network) ?? PREDEFINED.find((n) => n.name === a.network);
    const sb = sandboxes.find((s) => s.container === a.container);
    if (!net || !sb) continue;
    let ep: EndpointRecord | undefined;
    if (!net.bridge) ep = endpointRecord(a, net, sb, ids());
    else {
      const mine = (found.get(a.container) ?? []).filter((f) => f.bridge === net.bridge);
      const f = mine.find((x) => x.inner.name === a.interface) ?? mine[0];
      if (f) ep = endpointRecord(a, net, sb, f.id, { link: f.inner, view: views.get(a.container)! });
    }
    if (!ep) continue;
    endpoints.push(ep);
    allocations.push(...allocationsOf(ep, a));
  }
  notes.push(...leftOver(k, networks, endpoints, views));
  return { networks, sandboxes, endpoints, allocations, notes };
}

/** Marked links no rebuilt record accounts for: reported, never touched. */
function leftOver(
  k: KernelView,
  networks: readonly NetworkRecord[],
  endpoints: readonly EndpointRecord[],
  views: ReadonlyMap<string, NamespaceView>,
): string[] {
  const used = new Set([...networks.map((n) => n.id), ...endpoints.map((e) => e.id)]);
  const notes: string[] = [];
  const hostMarks = new Set<string>();
  for (const l of k.host.links) {
    const o = parseOwner(l.alias);
    if (!o) continue;
    hostMarks.add(l.alias!);
    if (!used.has(o.id)) notes.push(`${o.kind === 'network' ? 'bridge' : 'veth'} ${l.name} (${l.alias}) is not declared in the files; left as is`);
  }
  for (const [container, view] of views) {
    for (const l of view.links) {
      const o = parseOwner(l.alias);
      if (o && !used.has(o.id) && !hostMarks.has(l.alias!))
        notes.push(`interface ${l.name} of container "${container}" (${l.alias}) is not declared in the files; left as is`);
    }
  }
  return notes;
}

/** The rebuilt records as one transaction's ops, each key required absent. */
export function recordOps(r: Rebuilt): Op[] {
  return [
    ...r.networks.map((n) => ({ type: 'put' as const, key: networkKey(n.id), value: n })),
    ...r.sandboxes.map((s) => ({ type: 'put' as const, key: sandboxKey(s.id), value: s })),
    ...r.endpoints.map((e) => ({ type: 'put' as const, key: endpointKey(e.id), value: e })),
    ...r.allocations.map((a) => ({ type: 'put' as const, key: allocationKey(a.networkId, a.family, a.address), value: a })),
  ];
}

/** Rebuilds the records of a lost (empty) store and writes them in one transaction. */
export async function recover(e: Engine, desired: DesiredState, stateDir: string): Promise<Rebuilt> {
  const recorded = await loadRecorded(e.store);
  if (hasRecords(recorded)) {
    throw new NetdError(
      'conflict',
      `the state in ${stateDir} holds records: recover rebuilds only a lost or emptied store; compare with netd diff, or move ${stateDir} aside and recover again`,
    );
  }
  const r = rebuild(desired, await observeKernel(e.runner, desired, recorded, e.observer));
  const ops = recordOps(r);
  const t = await e.store.txn(
    ops.map((o) => ({ key: o.key, modRevision: 0 })),
    ops,
  );
  if (!t.succeeded) throw new NetdError('conflict', `the state in ${stateDir} changed while recover read the kernel: run recover again`);
  return r;
}
