/**
 * netd's firewall, rendered whole from (networks, published ports) by a pure function.
 *
 * Tables (netd never touches any other table or a global policy; every base chain it owns
 * has policy accept, so it only ever drops what it must and NATs what is its own):
 * - `inet netd`: chain forward (filter hook, priority 0), in this order: `internal` networks
 *   cut off; a DNATed flow (a published port) accepted — from outside, from another netd
 *   network, from its own bridge (hairpin), even under `icc: false`, as Docker accepts a
 *   published port before its isolation; isolation between netd networks; routed same-bridge
 *   traffic of `icc: false` networks; established/related accepted; under `gatewayMode:
 *   routed` the published ports at the container address accepted; then direct-routing
 *   protection: anything else entering a bridge from elsewhere is dropped (Docker 28's
 *   default: only published ports and replies reach a container from outside). Chain
 *   prerouting (priority -300, raw, before conntrack and NAT): `route_localnet` lets a
 *   bridge take packets for 127.0.0.0/8, which would let a container reach the host's
 *   loopback services; they are dropped there (replies to the host's own loopback flows
 *   still carry the bridge address at that point).
 * - `inet netd-nat`: prerouting/output jump to `ports` for local destinations (DNAT of
 *   published ports; 127.0.0.1 included, ::1 left alone: IPv6 has no route_localnet),
 *   postrouting masquerades a subnet leaving through any other interface (not under
 *   `routed`), and, on a bridge with published ports, DNATed traffic that re-enters it
 *   (hairpin) and loopback sources (the host via 127.0.0.1, as Docker without its userland
 *   proxy does).
 * - `bridge netd`: `icc: false`. Container-to-container traffic on one bridge is switched,
 *   never routed, so inet chains never see it. br_netfilter would show it to them, but its
 *   sysctls push every bridged packet of every bridge on the host through the IP hooks;
 *   a bridge-family table keeps the effect on netd's traffic. The kernel here lacks
 *   NFT_BRIDGE_META (no `meta ibrname`), so the rule matches the network's subnet on both
 *   ends; netd's subnets never overlap, which makes that equivalent. The gateway (the
 *   bridge itself) is reached by local delivery, not forwarding, so it stays reachable.
 *
 * Each rule carries `comment "netd:<hash of chain and rule text>"`: that is how the
 * observer recognises its rules without re-canonicalising nft's JSON (see diffRuleset).
 * Each table carries `comment "<TABLE_MARK>"`: a table of one of these names without it is
 * an admin's, which netd never loads over nor deletes.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { NetdError } from '../errors.js';
import { TABLE_MARK } from '../state/marks.js';
import { checkCidr, checkIfName, checkInt, checkIp } from './names.js';

import type { FirewallInput, FirewallNetwork, FirewallPort } from '../state/firewall.js';

export type { FirewallInput, FirewallNetwork, FirewallPort } from '../state/firewall.js';

export interface NftChain {
  name: string;
  base?: { type: 'filter' | 'nat'; hook: string; priority: number };
  rules: string[];
}

export interface NftTable {
  family: 'inet' | 'bridge';
  name: string;
  chains: NftChain[];
}

export type Ruleset = NftTable[];

export const FILTER_TABLE = { family: 'inet', name: 'netd' } as const;
export const NAT_TABLE = { family: 'inet', name: 'netd-nat' } as const;
export const BRIDGE_TABLE = { family: 'bridge', name: 'netd' } as const;
export const NETD_TABLES = [FILTER_TABLE, NAT_TABLE, BRIDGE_TABLE] as const;

const q = (s: string): string => `"${s}"`;
const byName = <T extends { name: string }>(a: T, b: T): number => a.name.localeCompare(b.name);

function subnets(n: FirewallNetwork): [string, string][] {
  const out: [string, string][] = [];
  if (n.subnets.v4) out.push(['ip', checkCidr(n.subnets.v4, `network "${n.name}" subnet`)]);
  if (n.subnets.v6) out.push(['ip6', checkCidr(n.subnets.v6, `network "${n.name}" subnet`)]);
  return out;
}

/** One interface name or an anonymous set of them. */
const ifset = (names: string[]): string => (names.length === 1 ? names[0]! : `{ ${names.join(', ')} }`);

/** A bridge that takes 127.0.0.0/8 (route_localnet): every routed network with IPv4 (state/derive.ts sets the sysctl). */
export const takesLoopback = (n: FirewallNetwork): boolean => !n.internal && n.subnets.v4 !== undefined;

function forwardRules(nets: FirewallNetwork[], ports: FirewallPort[]): string[] {
  const rules: string[] = [];
  for (const n of nets.filter((x) => x.internal)) {
    const b = q(n.bridge);
    // An internal overlay is cut off from everything but its cluster range (its other hosts).
    const peers =
      n.cluster === undefined ? ['', ''] : [` ip daddr != ${checkCidr(n.cluster, `network "${n.name}" cluster range`)}`, ` ip saddr != ${n.cluster}`];
    rules.push(`iifname ${b} oifname != ${b}${peers[0]} drop`, `oifname ${b} iifname != ${b}${peers[1]} drop`);
  }
  rules.push('ct status dnat accept');
  for (const n of nets.filter((x) => !x.internal)) {
    const b = q(n.bridge);
    const others = nets.filter((o) => o.bridge !== n.bridge).map((o) => q(o.bridge));
    if (others.length > 0) rules.push(`iifname ${b} oifname ${ifset(others)} drop`);
  }
  for (const n of nets) if (!n.icc) rules.push(`iifname ${q(n.bridge)} oifname ${q(n.bridge)} drop`);
  rules.push('ct state established,related accept');
  const routed = new Set(nets.filter((n) => n.routed && !n.internal).map((n) => n.name));
  for (const p of ports.filter((x) => routed.has(x.network))) {
    const { fam, containerPort } = checkPort(p);
    rules.push(`oifname ${q(p.bridge)} ${fam} daddr ${p.containerAddress} ${p.protocol} dport ${containerPort} accept`);
  }
  for (const n of nets.filter((x) => !x.internal)) {
    const b = q(n.bridge);
    for (const [fam, s] of subnets(n)) {
      // An overlay's other hosts reach its containers directly (flannel's model).
      const peers = n.cluster !== undefined && fam === 'ip' ? ` ip saddr != ${checkCidr(n.cluster, `network "${n.name}" cluster range`)}` : '';
      rules.push(`oifname ${b} iifname != ${b} ${fam} daddr ${s}${peers} drop`);
    }
  }
  return rules;
}

function rawPreroutingRules(nets: FirewallNetwork[]): string[] {
  const bridges = nets.filter(takesLoopback).map((n) => q(n.bridge));
  return bridges.length === 0 ? [] : [`iifname ${ifset(bridges)} ip daddr 127.0.0.0/8 drop`];
}

function postroutingRules(nets: FirewallNetwork[], ports: FirewallPort[]): string[] {
  const rules: string[] = [];
  const published = new Set(ports.map((p) => p.network));
  for (const n of nets) {
    for (const [fam, s] of subnets(n)) {
      // flannel's rule: an overlay's traffic to its cluster range is never NATed (peers see the container's address).
      const notCluster = n.cluster !== undefined && fam === 'ip' ? ` ip daddr != ${checkCidr(n.cluster, `network "${n.name}" cluster range`)}` : '';
      if (n.masquerade && !n.internal && !n.routed) rules.push(`${fam} saddr ${s}${notCluster} oifname != ${q(n.bridge)} masquerade`);
      if (published.has(n.name)) rules.push(`oifname ${q(n.bridge)} ct status dnat ${fam} saddr ${s} masquerade`);
    }
    // The host reaching a published port via 127.0.0.1: the container cannot answer a loopback source.
    if (published.has(n.name) && takesLoopback(n)) rules.push(`oifname ${q(n.bridge)} ip saddr 127.0.0.0/8 masquerade`);
  }
  return rules;
}

function checkPort(p: FirewallPort): { what: string; fam: 'ip' | 'ip6'; hostPort: number; containerPort: number } {
  const what = `port ${p.protocol}/${p.hostPort} of network "${p.network}"`;
  if (!['tcp', 'udp', 'sctp'].includes(p.protocol)) throw new NetdError('invalid', `${what}: protocol must be tcp, udp or sctp`);
  checkIfName(p.bridge, `${what}: bridge`);
  const fam = isIP(checkIp(p.containerAddress, `${what}: container address`)) === 6 ? 'ip6' : 'ip';
  const hostPort = checkInt(p.hostPort, 1, 65535, `${what}: host port`);
  const containerPort = checkInt(p.containerPort, 1, 65535, `${what}: container port`);
  return { what, fam, hostPort, containerPort };
}

function portRule(p: FirewallPort): string {
  const { what, fam, hostPort, containerPort } = checkPort(p);
  const hostIp = p.hostIp === undefined || p.hostIp === '0.0.0.0' || p.hostIp === '::' ? undefined : checkIp(p.hostIp, `${what}: host ip`);
  if (hostIp !== undefined && (isIP(hostIp) === 6) !== (fam === 'ip6')) {
    throw new NetdError('invalid', `${what}: host ip ${hostIp} and container address ${p.containerAddress} differ in family`);
  }
  const match = hostIp !== undefined ? `${fam} daddr ${hostIp}` : `meta nfproto ${fam === 'ip' ? 'ipv4' : 'ipv6'}`;
  const to = fam === 'ip' ? `${p.containerAddress}:${containerPort}` : `[${p.containerAddress}]:${containerPort}`;
  return `${match} ${p.protocol} dport ${hostPort} dnat ${fam} to ${to}`;
}

/**
 * `icc: false` on the bridge. With br_netfilter on, a DNATed flow between two containers of
 * such a network (hairpin through a published port) is bridged and dropped here too: this
 * kernel has no conntrack in the bridge family (`ct status dnat` is refused), so it cannot be
 * told apart.
 */
function bridgeRules(nets: FirewallNetwork[]): string[] {
  return nets.filter((n) => !n.icc).flatMap((n) => subnets(n).map(([fam, s]) => `${fam} saddr ${s} ${fam} daddr ${s} drop`));
}

const portKey = (p: FirewallPort): string => [p.network, p.protocol, String(p.hostPort).padStart(5, '0'), p.hostIp ?? '', p.containerAddress].join('\u0000');

/** The whole ruleset for an input; the same input always gives the same text. */
export function buildRuleset(input: FirewallInput): Ruleset {
  const nets = [...input.networks].sort(byName);
  for (const n of nets) checkIfName(n.bridge, `network "${n.name}" bridge`);
  const ports = [...input.ports].sort((a, b) => (portKey(a) < portKey(b) ? -1 : portKey(a) > portKey(b) ? 1 : 0));
  const local = ['fib daddr type local jump ports'];
  return [
    {
      ...FILTER_TABLE,
      chains: [
        { name: 'forward', base: { type: 'filter', hook: 'forward', priority: 0 }, rules: forwardRules(nets, ports) },
        { name: 'prerouting', base: { type: 'filter', hook: 'prerouting', priority: -300 }, rules: rawPreroutingRules(nets) },
      ],
    },
    {
      ...NAT_TABLE,
      chains: [
        // ::1 cannot be forwarded (IPv6 has no route_localnet): left to the host's own listeners.
        { name: 'output', base: { type: 'nat', hook: 'output', priority: -100 }, rules: ['ip6 daddr ::1 return', ...local] },
        { name: 'ports', rules: ports.map(portRule) },
        { name: 'postrouting', base: { type: 'nat', hook: 'postrouting', priority: 100 }, rules: postroutingRules(nets, ports) },
        { name: 'prerouting', base: { type: 'nat', hook: 'prerouting', priority: -100 }, rules: local },
      ],
    },
    { ...BRIDGE_TABLE, chains: [{ name: 'forward', base: { type: 'filter', hook: 'forward', priority: 0 }, rules: bridgeRules(nets) }] },
  ];
}

/** The comment that identifies a rule: a hash of where it lives and what it says. */
export function ruleId(t: { family: string; name: string }, chain: string, rule: string): string {
  return 'netd:' + createHash('sha256').update(`${t.family} ${t.name} ${chain}: ${rule}`).digest('hex').slice(0, 16);
}

function renderTable(t: NftTable): string[] {
  const out = [`add table ${t.family} ${t.name}`, `delete table ${t.family} ${t.name}`, `table ${t.family} ${t.name} {`, `\tcomment ${q(TABLE_MARK)}`];
  for (const c of t.chains) {
    out.push(`\tchain ${c.name} {`);
    if (c.base) out.push(`\t\ttype ${c.base.type} hook ${c.base.hook} priority ${c.base.priority}; policy accept;`);
    for (const r of c.rules) out.push(`\t\t${r} comment ${q(ruleId(t, c.name, r))}`);
    out.push('\t}');
  }
  out.push('}');
  return out;
}

/**
 * One nft script: for each table, create it if missing, delete it and define it again. In a
 * single `nft -f` transaction that replaces the table whole (stale chains included), and
 * a script with an error changes nothing.
 */
export function renderRuleset(input: FirewallInput | Ruleset): string {
  const rs = Array.isArray(input) ? input : buildRuleset(input);
  return rs.flatMap(renderTable).join('\n') + '\n';
}
