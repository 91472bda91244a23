/** Semantic checks of networks, address pools and the cluster section. */
import { broadcast, contains, containsCidr, firstUsable, formatCidr, overlaps, tryParseAddr, type Cidr, type Family } from './cidr.js';
import type { Merged, Named } from './merge.js';
import { ifnameProblem } from './names.js';
import { checkCidr, fam, specialIn, type FamilyInfo, type NetInfo, type Report } from './semantic-common.js';
import { checkCapacity, checkPools, poolPrefix } from './semantic-pools.js';
import { where, type Origin } from './source.js';
import type { PathSeg } from './spec-error.js';
import { PREDEFINED_NETWORKS, type DriverName, type Ipv6Doc, type NetworkDoc } from './types.js';

export type { Report };

export type { FamilyInfo, NetInfo } from './semantic-common.js';

const IPV6_MIN_MTU = 1280; // RFC 8200 §5
const MAX_PREFIX = { 4: 30, 6: 126 } as const;
const OVERLAY_ONLY = ['subnetLen', 'backend', 'vni', 'port'] as const;
const NOT_ON_HOST_NULL = ['subnet', 'gateway', 'ipRange', 'reserved', 'ipv6', 'bridge', 'mtu', 'internal', 'masquerade', 'icc', 'gatewayMode', 'dns'] as const;

function checkAddrIn(report: Report, o: Origin, sub: readonly PathSeg[], s: string, subnet: Cidr): bigint | undefined {
  const a = tryParseAddr(s);
  if (!a || a.family !== subnet.family) return void report(o, sub, `"${s}" is not an ${fam(subnet.family)} address`);
  if (!contains(subnet, a)) return void report(o, sub, `${s} is outside the subnet ${formatCidr(subnet)}`);
  return a.value;
}

function checkFamily(report: Report, o: Origin, pre: readonly PathSeg[], fc: Ipv6Doc, family: Family, overlay: boolean): FamilyInfo | undefined {
  if (fc.subnet === undefined) {
    for (const k of ['gateway', 'ipRange', 'reserved'] as const)
      if (fc[k] !== undefined) report(o, [...pre, k], `needs a declared ${pre.length ? 'ipv6.' : ''}subnet`);
    if (family === 6) report(o, pre, 'ipv6 needs a subnet (address pools are IPv4 only)', 'key');
    return undefined;
  }
  const subnet = checkCidr(report, o, [...pre, 'subnet'], fc.subnet, family);
  if (!subnet) return undefined;
  if (subnet.prefix > MAX_PREFIX[family])
    return void report(o, [...pre, 'subnet'], `/${subnet.prefix} is too small for a network (at most /${MAX_PREFIX[family]})`);
  const special = specialIn(subnet);
  if (special) return void report(o, [...pre, 'subnet'], special);
  let gateway = overlay ? undefined : firstUsable(subnet);
  if (fc.gateway !== undefined) {
    const g = checkAddrIn(report, o, [...pre, 'gateway'], fc.gateway, subnet);
    if (g === subnet.network) report(o, [...pre, 'gateway'], `${fc.gateway} is the network address of ${formatCidr(subnet)}`);
    else if (g !== undefined && g === broadcast(subnet)) report(o, [...pre, 'gateway'], `${fc.gateway} is the broadcast address of ${formatCidr(subnet)}`);
    gateway = g ?? gateway;
  }
  let range = subnet;
  if (fc.ipRange !== undefined) {
    const r = checkCidr(report, o, [...pre, 'ipRange'], fc.ipRange, family);
    if (r && !containsCidr(subnet, r)) report(o, [...pre, 'ipRange'], `${fc.ipRange} is outside the subnet ${formatCidr(subnet)}`);
    else if (r) range = r;
  }
  const reserved = new Set<bigint>();
  (fc.reserved ?? []).forEach((s, i) => {
    const a = checkAddrIn(report, o, [...pre, 'reserved', i], s, subnet);
    if (a !== undefined) reserved.add(a);
  });
  return { subnet, ...(gateway === undefined ? {} : { gateway }), reserved, range };
}

function checkDriverFields(report: Report, n: Named<NetworkDoc>, driver: DriverName, hasCluster: boolean): void {
  const v = n.value;
  const o = n.origin;
  if (driver === 'host' || driver === 'null')
    for (const k of NOT_ON_HOST_NULL) if (v[k] !== undefined) report(o, [k], `not allowed on a ${driver} network`, 'key');
  if (driver !== 'overlay') for (const k of OVERLAY_ONLY) if (v[k] !== undefined) report(o, [k], 'only allowed on overlay networks', 'key');
  if (driver !== 'overlay') return;
  if (!hasCluster) report(o, [], `overlay network "${n.name}" needs a cluster: section`, 'key');
  if (v.subnet === undefined) report(o, [], `overlay network "${n.name}" needs a subnet (the cluster range)`, 'key');
  for (const k of ['gateway', 'ipRange', 'ipv6'] as const)
    if (v[k] !== undefined) report(o, [k], 'not allowed on an overlay network (each host leases its own subnet)', 'key');
}

function checkNetwork(report: Report, n: Named<NetworkDoc>, hasCluster: boolean): NetInfo {
  const driver = n.value.driver ?? 'bridge';
  const predefined = PREDEFINED_NETWORKS.get(n.name);
  if (predefined) report(n.origin, [], `"${n.name}" is a predefined network (driver ${predefined}): attach to it without declaring it`, 'key');
  checkDriverFields(report, n, driver, hasCluster);
  const overlay = driver === 'overlay';
  if (n.value.bridge !== undefined) {
    const p = ifnameProblem(n.value.bridge);
    if (p) report(n.origin, ['bridge'], p);
  }
  if (driver === 'host' || driver === 'null') return { entry: n, driver };
  if (n.value.gatewayMode === 'routed' && n.value.masquerade === true)
    report(n.origin, ['masquerade'], 'gatewayMode routed does not masquerade: drop masquerade: true, or use gatewayMode nat');
  const mtu = n.value.mtu;
  if (n.value.ipv6 && mtu !== undefined && mtu < IPV6_MIN_MTU)
    report(n.origin, ['mtu'], `mtu ${mtu} is below ${IPV6_MIN_MTU}, the IPv6 minimum (the network declares ipv6)`);
  const v4 = checkFamily(report, n.origin, [], n.value, 4, overlay);
  const v6 = n.value.ipv6 && !overlay ? checkFamily(report, n.origin, ['ipv6'], n.value.ipv6, 6, false) : undefined;
  const len = n.value.subnetLen ?? 24;
  if (overlay && v4 && len <= v4.subnet.prefix)
    report(
      n.origin,
      n.value.subnetLen === undefined ? ['subnet'] : ['subnetLen'],
      `subnetLen ${len} must be longer than the cluster range's prefix /${v4.subnet.prefix}`,
    );
  return { entry: n, driver, ...(v4 ? { v4 } : {}), ...(v6 ? { v6 } : {}) };
}

/** Pairs of objects that share a key, reported at the later one. */
function reportClashes<T>(
  report: Report,
  items: readonly T[],
  key: (t: T) => string | undefined,
  at: (t: T) => [Origin, PathSeg[]],
  msg: (t: T, first: T, firstAt: string) => string,
): void {
  const seen = new Map<string, T>();
  for (const t of items) {
    const k = key(t);
    if (k === undefined) continue;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, t);
    else report(...at(t), msg(t, first, where(...at(first))));
  }
}

function checkOverlaps(report: Report, infos: readonly NetInfo[]): void {
  for (const f of ['v4', 'v6'] as const) {
    const withSubnet = infos.filter((i) => i[f] !== undefined);
    withSubnet.forEach((b, j) => {
      const a = withSubnet.slice(0, j).find((x) => overlaps(x[f]!.subnet, b[f]!.subnet));
      const sub = f === 'v4' ? ['subnet'] : ['ipv6', 'subnet'];
      if (a)
        report(
          b.entry.origin,
          sub,
          `${formatCidr(b[f]!.subnet)} overlaps network "${a.entry.name}" (${formatCidr(a[f]!.subnet)} at ${where(a.entry.origin, sub)})`,
        );
    });
  }
}

export function checkNetworks(report: Report, m: Merged): Map<string, NetInfo> {
  const pools = checkPools(report, m.pools);
  if (m.cluster?.value.publicIp !== undefined && !tryParseAddr(m.cluster.value.publicIp))
    report(m.cluster.origin, ['publicIp'], `"${m.cluster.value.publicIp}" is not an IP address`);
  const iface = m.cluster?.value.publicInterface;
  if (iface !== undefined && ifnameProblem(iface)) report(m.cluster!.origin, ['publicInterface'], ifnameProblem(iface)!);
  const longest = poolPrefix(pools);
  const infos = m.networks
    .map((n) => checkNetwork(report, n, m.cluster !== undefined))
    .map((i) => (i.driver === 'bridge' && i.entry.value.subnet === undefined && longest !== undefined ? { ...i, poolPrefix: longest } : i));
  checkOverlaps(report, infos);
  checkCapacity(report, pools, infos);
  const at = (i: NetInfo, k: PathSeg): [Origin, PathSeg[]] => [i.entry.origin, i.entry.value[k as 'vni'] === undefined ? ['driver'] : [k]];
  reportClashes(
    report,
    infos,
    (i) => i.entry.value.bridge,
    (i) => at(i, 'bridge'),
    (i, f, w) => `bridge "${i.entry.value.bridge}" is also declared by network "${f.entry.name}" (at ${w})`,
  );
  const overlays = infos.filter((i) => i.driver === 'overlay');
  reportClashes(
    report,
    overlays,
    (i) => String(i.entry.value.vni ?? 1),
    (i) => at(i, 'vni'),
    (i, f, w) => `vni ${i.entry.value.vni ?? 1} is also used by overlay network "${f.entry.name}" (at ${w})`,
  );
  return new Map(infos.map((i) => [i.entry.name, i]));
}
