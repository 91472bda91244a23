/**
 * bridge driver — what it programs and why.
 *
 * Network: a Linux bridge (declared name, else nd-<12 hex>) with the network's MTU, the
 * ifalias `netd:network:<id>` (ownership that survives a lost store), the gateway address of
 * each family (IPv6 with nodad: the bridge must answer at once, not after duplicate address
 * detection), and up.
 *
 * Endpoint: a veth pair whose host side `nd<12 hex>` is enslaved to the bridge and up, and whose
 * peer is created directly inside the sandbox under the declared interface name (no rename
 * dance, no window where it sits in the host namespace) with the endpoint's MAC and MTU; then,
 * inside the sandbox, its addresses and up. Default routes are the controller's (they depend on
 * every attachment of the container).
 *
 * Everything is emitted against the kernel snapshot: missing things are created, different
 * things fixed, so the same code creates, repairs and re-applies (zero lines when in sync).
 */
import type { EndpointRecord, FamilyRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import type { KernelView, LinkView, NamespaceView } from '../plan/types.js';
import { ownerAlias } from '../state/marks.js';
import { nsRef } from '../state/derive.js';
import { prefixOf } from '../state/prefix.js';
import type { Step, NsKey, Phase } from '../controller/step.js';
import { IpBatch } from '../kernel/index.js';
import type { Driver } from './driver.js';

const EMPTY: NamespaceView = { links: [], addresses: [], routes: [] };

const cidrs = (families: (FamilyRecord | undefined)[], pick: (f: FamilyRecord) => string | undefined): string[] =>
  families.flatMap((f) => (f && pick(f) ? [`${pick(f)}/${prefixOf(f.subnet)}`] : []));

/** Appends what `build` queues on a fresh IpBatch (which validates every name) to `lines`. */
function emit(lines: string[], build: (b: IpBatch) => unknown): void {
  const b = new IpBatch();
  build(b);
  lines.push(...b.lines());
}

/** Lines that make `dev`'s link match; none when it already does. */
function fixLink(lines: string[], dev: string, have: LinkView, want: { mtu?: number; mac?: string; alias?: string; master?: string }): void {
  const o = {
    ...(want.mtu !== undefined && have.mtu !== want.mtu ? { mtu: want.mtu } : {}),
    ...(want.mac !== undefined && have.mac !== want.mac ? { mac: want.mac } : {}),
    ...(want.master !== undefined && have.master !== want.master ? { master: want.master } : {}),
    ...(have.up ? {} : { up: true }),
  };
  if (want.alias !== undefined && have.alias !== want.alias) emit(lines, (b) => b.linkSet(dev, { alias: want.alias! }));
  if (Object.keys(o).length > 0) emit(lines, (b) => b.linkSet(dev, o));
}

function fixAddresses(lines: string[], view: NamespaceView, dev: string, want: string[], fresh: boolean): void {
  const have = fresh ? [] : view.addresses.filter((a) => a.dev === dev && !a.cidr.startsWith('fe80:')).map((a) => a.cidr);
  emit(lines, (b) => {
    for (const c of have) if (!want.includes(c)) b.addrDel(dev, c);
    for (const c of want) if (!have.includes(c)) b.addrAdd(dev, c, { nodad: c.includes(':') });
  });
}

function ensureNetwork(net: NetworkRecord, k: KernelView, step: Step): void {
  const br = net.bridge!;
  const link = k.host.links.find((l) => l.name === br);
  const lines = step.lines(1);
  const alias = net.adopted ? undefined : ownerAlias('network', net.id);
  if (!link) {
    emit(lines, (b) => b.linkAddBridge(br, { mtu: net.mtu }));
    step.undo(undefined, `link del dev ${br}`);
  }
  fixLink(lines, br, link ?? { name: br, up: false, mtu: net.mtu }, { mtu: net.mtu, ...(alias ? { alias } : {}) });
  fixAddresses(
    lines,
    k.host,
    br,
    cidrs([net.ipv4, net.ipv6], (f) => f.gateway),
    !link,
  );
}

function removeNetwork(net: NetworkRecord, k: KernelView, step: Step): void {
  const br = net.bridge!;
  const link = k.host.links.find((l) => l.name === br);
  if (!link) return;
  if (net.adopted) {
    // An adopted bridge stays; only the gateway addresses netd added go.
    fixAddresses(step.lines(0), k.host, br, [], false);
    return;
  }
  step.lines(0).push(`link del dev ${br}`);
}

function ensureEndpoint(ep: EndpointRecord, net: NetworkRecord, sb: SandboxRecord, k: KernelView, step: Step): void {
  const ref: NsKey = nsRef(sb.netns);
  const view = k.sandboxes.get(ref) ?? EMPTY;
  const veth = ep.hostVeth!;
  const alias = ownerAlias('endpoint', ep.id);
  let host = k.host.links.find((l) => l.name === veth);
  let inner = view.links.find((l) => l.name === ep.interface);
  if (host && !inner) {
    // Half a pair (the peer moved or was renamed): start over.
    step.lines(0).push(`link del dev ${veth}`);
    host = undefined;
  }
  if (!host && inner) {
    step.lines(0, ref).push(`link del dev ${ep.interface}`);
    inner = undefined;
  }
  const hostLines = step.lines(1);
  if (!host) {
    emit(hostLines, (b) => b.linkAddVeth(veth, ep.interface, { mtu: net.mtu, peerMtu: net.mtu, peerNetns: ref, ...(ep.mac ? { peerMac: ep.mac } : {}) }));
    step.undo(undefined, `link del dev ${veth}`);
  }
  fixLink(hostLines, veth, host ?? { name: veth, up: false, mtu: net.mtu }, { alias, master: net.bridge!, mtu: net.mtu });
  const nsLines = step.lines(1 as Phase, ref);
  fixLink(nsLines, ep.interface, inner ?? { name: ep.interface, up: false, mtu: net.mtu, ...(ep.mac ? { mac: ep.mac } : {}) }, {
    mtu: net.mtu,
    ...(ep.mac ? { mac: ep.mac } : {}),
    alias,
  });
  const want = [
    ...(ep.ipv4 && net.ipv4 ? [`${ep.ipv4}/${prefixOf(net.ipv4.subnet)}`] : []),
    ...(ep.ipv6 && net.ipv6 ? [`${ep.ipv6}/${prefixOf(net.ipv6.subnet)}`] : []),
  ];
  fixAddresses(nsLines, view, ep.interface, want, !inner);
}

function removeEndpoint(ep: EndpointRecord, _net: NetworkRecord, sb: SandboxRecord, k: KernelView, step: Step): void {
  const veth = ep.hostVeth!;
  if (k.host.links.some((l) => l.name === veth)) {
    step.lines(0).push(`link del dev ${veth}`); // the peer goes with it
    return;
  }
  const ref = nsRef(sb.netns);
  const inner = k.sandboxes.get(ref)?.links.find((l) => l.name === ep.interface);
  if (inner && inner.alias === ownerAlias('endpoint', ep.id)) step.lines(0, ref).push(`link del dev ${ep.interface}`);
}

export const bridgeDriver: Driver = { name: 'bridge', ensureNetwork, removeNetwork, ensureEndpoint, removeEndpoint };
