/** Semantic checks of containers and attachments, given the checked networks. */
import { derivedMac } from './defaults.js';
import { broadcast, contains, formatAddr, formatCidr, isLoopback, specialAddr, tryParseAddr, unmappedV4, type Cidr } from './cidr.js';
import type { Entry, Merged, Named } from './merge.js';
import { dnsNameProblem, ifnameProblem, macProblem, netnsIdentity, netnsProblem, splitExtraHost } from './names.js';
import type { FamilyInfo, NetInfo, Report } from './semantic-net.js';
import { where } from './source.js';
import { checkRoom } from './semantic-room.js';
import { didYouMean } from './suggest.js';
import { attachmentKey, PREDEFINED_NETWORKS, type AttachmentDoc, type ContainerDoc, type PortDoc } from './types.js';

type Att = Entry<AttachmentDoc>;
/** Published ports by hostPort/protocol. */
type Bound = Map<string, { p: PortDoc; a: Att; i: number }[]>;
const NO_ADDRESS_FIELDS = ['interface', 'ipv4', 'ipv6', 'mac', 'aliases', 'ports'] as const;

function checkContainers(report: Report, containers: readonly Named<ContainerDoc>[]): void {
  const netnses = new Map<string, Named<ContainerDoc>>();
  for (const c of containers) {
    const netns = c.value.netns ?? c.name;
    const at = c.value.netns === undefined ? ([[], 'key'] as const) : ([['netns'], 'value'] as const);
    const p = netnsProblem(netns);
    if (p) report(c.origin, at[0], p, at[1]);
    const id = netnsIdentity(netns);
    const prev = p ? undefined : netnses.get(id);
    const spelled = prev && (prev.value.netns ?? prev.name) !== netns ? ` as "${prev.value.netns ?? prev.name}"` : '';
    if (prev) report(c.origin, at[0], `netns "${netns}" is also used by container "${prev.name}"${spelled} (at ${where(prev.origin, [], 'key')})`, at[1]);
    else if (!p) netnses.set(id, c);
    (c.value.dns?.nameservers ?? []).forEach((s, i) => {
      const bad = nameserverProblem(s);
      if (bad) report(c.origin, ['dns', 'nameservers', i], bad);
    });
    (c.value.dns?.search ?? []).forEach((s, i) => {
      const q = dnsNameProblem(s);
      if (q) report(c.origin, ['dns', 'search', i], q);
    });
    (c.value.extraHosts ?? []).forEach((s, i) => {
      const q = extraHostProblem(s);
      if (q) report(c.origin, ['extraHosts', i], q);
    });
  }
}

function checkStatic(report: Report, a: Att, k: 'ipv4' | 'ipv6', info: FamilyInfo | undefined, used: Map<string, Att>, net: string): void {
  const s = a.value[k];
  if (s === undefined) return;
  if (!info) return void report(a.origin, [k], `a static address needs network "${net}" to declare ${k === 'ipv4' ? 'a subnet' : 'ipv6.subnet'}`);
  const addr = tryParseAddr(s);
  const c = info.subnet;
  const subnet = formatCidr(c);
  let problem: string | undefined;
  if (!addr || addr.family !== c.family) problem = `"${s}" is not an ${k === 'ipv4' ? 'IPv4' : 'IPv6'} address`;
  else if (!contains(c, addr)) problem = `${s} is outside the subnet ${subnet} of network "${net}"`;
  else if (addr.value === c.network)
    problem = c.family === 4 ? `${s} is the network address of ${subnet}` : `${s} is the subnet-router anycast address of ${subnet}`;
  else if (addr.value === broadcast(c)) problem = `${s} is the broadcast address of ${subnet}`;
  else if (addr.value === info.gateway) problem = `${s} is the gateway of network "${net}"`;
  else if (info.reserved.has(addr.value)) problem = `${s} is reserved on network "${net}"`;
  if (problem) return void report(a.origin, [k], problem);
  const key = `${net}/${formatAddr(addr!.family, addr!.value)}`;
  const prev = used.get(key);
  if (prev) report(a.origin, [k], `${s} is already used by container "${prev.value.container}" on network "${net}" (at ${where(prev.origin, [k])})`);
  else used.set(key, a);
}

/** Wildcard host addresses bind every address of their family (undefined: both families). */
function bindsClash(x: string | undefined, y: string | undefined): boolean {
  if (x === undefined || y === undefined) return true;
  const ax = tryParseAddr(x);
  const ay = tryParseAddr(y);
  if (!ax || !ay || ax.family !== ay.family) return false;
  return ax.value === 0n || ay.value === 0n || ax.value === ay.value;
}

/** A host address to publish on: a wildcard, or one ordinary unicast address written plainly. */
/** A resolver a container can send to: unicast; loopback is its own (a resolver inside it). */
function nameserverProblem(s: string): string | undefined {
  const a = tryParseAddr(s);
  if (!a) return `"${s}" is not an IP address`;
  if (a.value === 0n) return `${s} is the unspecified address: not a resolver`;
  const v4 = unmappedV4(a);
  if (v4 !== undefined) return `${s} is an IPv4-mapped IPv6 address: write ${v4}`;
  if (isLoopback(a)) return undefined;
  const sp = specialAddr(a);
  return sp && !sp.startsWith('link-local') ? `${s} is in the ${sp}: not a resolver` : undefined;
}

/** `name:address`: a DNS name and an IP address written plainly. */
function extraHostProblem(s: string): string | undefined {
  const { name, address } = splitExtraHost(s);
  const bad = dnsNameProblem(name);
  if (bad) return `extra host "${s}": ${bad.replace('"' + name + '"', `the name "${name}"`)} (write name:address)`;
  const a = tryParseAddr(address);
  if (!a) return `extra host "${s}": "${address}" is not an IP address (write name:address, e.g. db.internal:10.0.0.7)`;
  const v4 = unmappedV4(a);
  return v4 !== undefined ? `extra host "${s}": ${address} is an IPv4-mapped IPv6 address: write ${name}:${v4}` : undefined;
}

function hostIpProblem(s: string): string | undefined {
  const a = tryParseAddr(s);
  if (!a) return `"${s}" is not an IP address`;
  if (a.value === 0n) return undefined;
  const v4 = unmappedV4(a);
  if (v4 !== undefined) return `${s} is an IPv4-mapped IPv6 address: write ${v4}`;
  if (isLoopback(a)) return `${s} is a loopback address: publishing on loopback is not supported (netd does not set route_localnet)`;
  const sp = specialAddr(a);
  return sp && `${s} is in the ${sp}: not an address to publish on`;
}

function checkPorts(report: Report, a: Att, info: NetInfo, bound: Bound): void {
  const ports = a.value.ports ?? [];
  if (ports.length > 0 && info.entry.value.internal)
    report(a.origin, ['ports'], `published ports are not allowed on internal network "${info.entry.name}"`, 'key');
  ports.forEach((p, i) => {
    const bad = p.hostIp === undefined ? undefined : hostIpProblem(p.hostIp);
    if (bad) report(a.origin, ['ports', i, 'hostIp'], bad);
    else if (p.hostIp !== undefined && tryParseAddr(p.hostIp)?.family === 6 && !info.v6)
      report(
        a.origin,
        ['ports', i, 'hostIp'],
        `${p.hostIp} is an IPv6 address but network "${info.entry.name}" declares no ipv6 subnet: the container has no IPv6 address to forward to`,
      );
    const proto = p.protocol ?? 'tcp';
    const k = `${p.hostPort}/${proto}`;
    const same = bound.get(k) ?? [];
    const clash = same.find((b) => bindsClash(b.p.hostIp, p.hostIp));
    if (clash)
      report(
        a.origin,
        ['ports', i, 'hostPort'],
        `host port ${p.hostPort}/${proto} is already published by container "${clash.a.value.container}" (at ${where(clash.a.origin, ['ports', clash.i, 'hostPort'])})`,
      );
    else bound.set(k, [...same, { p, a, i }]);
  });
}

function checkRefs(report: Report, a: Att, nets: Map<string, NetInfo>, containers: Set<string>): NetInfo | undefined {
  const { container, network } = a.value;
  if (!containers.has(container)) report(a.origin, ['container'], `container "${container}" is not declared${didYouMean(container, containers)}`);
  const driver = PREDEFINED_NETWORKS.get(network);
  const implicit = driver && { entry: { name: network, value: { driver }, origin: a.origin }, driver };
  const info = nets.get(network) ?? implicit;
  if (!info) report(a.origin, ['network'], `network "${network}" is not declared${didYouMean(network, [...nets.keys(), ...PREDEFINED_NETWORKS.keys()])}`);
  return containers.has(container) ? info : undefined;
}

function checkExclusive(report: Report, byContainer: Map<string, { a: Att; info: NetInfo }[]>): void {
  for (const list of byContainer.values()) {
    const solo = list.find((x) => x.info.driver === 'host' || x.info.driver === 'null');
    if (!solo || list.length < 2) continue;
    for (const x of list) {
      if (x === solo) continue;
      report(
        x.a.origin,
        ['network'],
        `container "${x.a.value.container}" is on ${solo.info.driver} network "${solo.info.entry.name}" (at ${where(solo.a.origin)}) and can have no other attachment`,
      );
    }
  }
}

function checkOne(report: Report, a: Att, info: NetInfo, s: { seen: Map<string, Att>; used: Map<string, Att>; bound: Bound }): void {
  const v = a.value;
  const key = attachmentKey(v);
  const dup = s.seen.get(key);
  if (dup) return void report(a.origin, [], `container "${v.container}" is already attached to network "${v.network}" (at ${where(dup.origin)})`);
  s.seen.set(key, a);
  if (info.driver === 'host' || info.driver === 'null') {
    for (const k of NO_ADDRESS_FIELDS)
      if (v[k] !== undefined) report(a.origin, [k], `not allowed on an attachment to ${info.driver} network "${info.entry.name}"`, 'key');
    return;
  }
  if (v.interface !== undefined && ifnameProblem(v.interface)) report(a.origin, ['interface'], ifnameProblem(v.interface)!);
  else if (v.interface === 'lo') report(a.origin, ['interface'], '"lo" is the loopback interface');
  if (v.mac !== undefined && macProblem(v.mac)) report(a.origin, ['mac'], macProblem(v.mac)!);
  (v.aliases ?? []).forEach((x, i) => dnsNameProblem(x) && report(a.origin, ['aliases', i], dnsNameProblem(x)!));
  checkStatic(report, a, 'ipv4', info.v4, s.used, v.network);
  checkStatic(report, a, 'ipv6', info.v6, s.used, v.network);
  checkPorts(report, a, info, s.bound);
}

function checkInterfaces(report: Report, atts: readonly Att[]): void {
  const seen = new Map<string, Att>();
  for (const a of atts) {
    if (a.value.interface === undefined) continue;
    const k = `${a.value.container}/${a.value.interface}`;
    const prev = seen.get(k);
    if (prev)
      report(
        a.origin,
        ['interface'],
        `interface "${a.value.interface}" is already used in container "${a.value.container}" (at ${where(prev.origin, ['interface'])})`,
      );
    else seen.set(k, a);
  }
}

/** The MAC netd gives an attachment that declares none but a static IPv4 (02:42 + the address). */
function derivedFromStatic(a: AttachmentDoc): string | undefined {
  const v4 = a.mac === undefined && a.ipv4 !== undefined ? tryParseAddr(a.ipv4) : undefined;
  return v4?.family === 4 ? derivedMac(formatAddr(4, v4.value), '') : undefined;
}

/** The IPv4 address a 02:42:a:b:c:d MAC was derived from, if it has that form. */
function macAddress(mac: string): bigint | undefined {
  const b = mac.toLowerCase().split(':');
  if (b[0] !== '02' || b[1] !== '42') return undefined;
  return b.slice(2).reduce((v, x) => (v << 8n) | BigInt(parseInt(x, 16)), 0n);
}

/**
 * Explicit MACs are unique per network, none is the MAC another attachment derives, and none
 * lies in the range netd derives on that network (02:42 + an address of its subnet): a
 * container given that address later, dynamically, would get the same MAC.
 */
function checkMacs(report: Report, atts: readonly Att[], linked: (a: AttachmentDoc) => boolean, subnetOf: (network: string) => Cidr | undefined): void {
  const derived = new Map<string, Att>();
  for (const a of atts) {
    const mac = linked(a.value) ? derivedFromStatic(a.value) : undefined;
    if (mac !== undefined) derived.set(`${a.value.network}/${mac}`, a);
  }
  const seen = new Map<string, Att>();
  for (const a of atts) {
    if (a.value.mac === undefined || macProblem(a.value.mac)) continue;
    const k = `${a.value.network}/${a.value.mac.toLowerCase()}`;
    const prev = seen.get(k);
    const other = derived.get(k);
    if (prev) report(a.origin, ['mac'], `mac ${a.value.mac} is already used on network "${a.value.network}" (at ${where(prev.origin, ['mac'])})`);
    else if (other)
      report(
        a.origin,
        ['mac'],
        `mac ${a.value.mac} is the mac container "${other.value.container}" derives from its address ${other.value.ipv4} on network "${a.value.network}" (at ${where(other.origin, ['ipv4'])})`,
      );
    else if (inDerivedRange(a, subnetOf(a.value.network)))
      report(
        a.origin,
        ['mac'],
        `mac ${a.value.mac} is in the range netd derives on network "${a.value.network}" (02:42 + an address of ${formatCidr(subnetOf(a.value.network)!)}): a container given that address would get it too; choose a mac outside it`,
      );
    else seen.set(k, a);
  }
}

/** An explicit MAC of the form 02:42 + an address of subnet, other than the attachment's own static one. */
function inDerivedRange(a: Att, subnet: Cidr | undefined): boolean {
  const addr = subnet && a.value.mac !== undefined ? macAddress(a.value.mac) : undefined;
  if (addr === undefined || !contains(subnet!, { family: 4, value: addr })) return false;
  const own = a.value.ipv4 !== undefined ? tryParseAddr(a.value.ipv4) : undefined;
  return own?.value !== addr;
}

export function checkAttachments(report: Report, m: Merged, nets: Map<string, NetInfo>): void {
  checkContainers(report, m.containers);
  const containers = new Set(m.containers.map((c) => c.name));
  const s = { seen: new Map<string, Att>(), used: new Map<string, Att>(), bound: new Map() as Bound };
  const byContainer = new Map<string, { a: Att; info: NetInfo }[]>();
  for (const a of m.attachments) {
    const info = checkRefs(report, a, nets, containers);
    if (!info) continue;
    checkOne(report, a, info, s);
    const list = byContainer.get(a.value.container);
    if (list) list.push({ a, info });
    else byContainer.set(a.value.container, [{ a, info }]);
  }
  checkExclusive(report, byContainer);
  checkInterfaces(report, m.attachments);
  const linked = (a: AttachmentDoc): boolean => ['bridge', 'overlay'].includes(nets.get(a.network)?.driver ?? 'null');
  checkMacs(report, m.attachments, linked, (n) => nets.get(n)?.v4?.subnet);
  checkRoom(report, m.attachments, nets);
}
