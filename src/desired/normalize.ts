/** Merged, checked documents → the frozen DesiredState, defaults applied, addresses canonical. */
import { canonicalAddr, canonicalCidr, firstUsable, formatAddr, parseCidr } from './cidr.js';
import type { Entry, Merged, Named } from './merge.js';
import { splitExtraHost } from './names.js';
import { position, type Origin } from './source.js';
import {
  PREDEFINED_NETWORKS,
  type AttachmentDoc,
  type ClusterConfig,
  type ContainerDoc,
  type DesiredAttachment,
  type DesiredContainer,
  type DesiredNetwork,
  type DesiredState,
  type FamilyConfig,
  type Ipv6Doc,
  type NetworkDoc,
  type SourceLoc,
} from './types.js';

export const DEFAULTS = {
  mtu: 1500,
  subnetLen: 24,
  backend: 'vxlan',
  vni: 1,
  vxlanPort: 8472,
  etcdPrefix: '/netd',
  leaseTtl: 86400,
} as const;

const locOf = (o: Origin, on: 'key' | 'value'): SourceLoc => ({ file: o.src.file, ...position(o.src, o.path, on) });

function family(fc: Ipv6Doc, withGateway: boolean): FamilyConfig {
  const reserved = (fc.reserved ?? []).map(canonicalAddr);
  if (fc.subnet === undefined) return { reserved };
  const c = parseCidr(fc.subnet);
  const gateway = fc.gateway !== undefined ? canonicalAddr(fc.gateway) : withGateway ? formatAddr(c.family, firstUsable(c)) : undefined;
  return {
    subnet: canonicalCidr(fc.subnet),
    ...(gateway === undefined ? {} : { gateway }),
    ...(fc.ipRange === undefined ? {} : { ipRange: canonicalCidr(fc.ipRange) }),
    reserved,
  };
}

function network(n: Named<NetworkDoc>): DesiredNetwork {
  const v = n.value;
  const driver = v.driver ?? 'bridge';
  const hasIp = driver === 'bridge' || driver === 'overlay';
  return {
    name: n.name,
    driver,
    ...(hasIp ? { ipv4: family(v, driver === 'bridge') } : {}),
    ...(hasIp && v.ipv6 ? { ipv6: family(v.ipv6, true) } : {}),
    ...(v.bridge === undefined ? {} : { bridge: v.bridge }),
    mtu: v.mtu ?? DEFAULTS.mtu,
    internal: v.internal ?? false,
    masquerade: v.masquerade ?? v.gatewayMode !== 'routed',
    icc: v.icc ?? true,
    gatewayMode: v.gatewayMode ?? 'nat',
    dns: v.dns ?? false,
    labels: { ...v.labels },
    adopt: v.adopt ?? false,
    ...(driver === 'overlay'
      ? {
          overlay: {
            range: canonicalCidr(v.subnet ?? ''),
            subnetLen: v.subnetLen ?? DEFAULTS.subnetLen,
            backend: v.backend ?? DEFAULTS.backend,
            vni: v.vni ?? DEFAULTS.vni,
            port: v.port ?? DEFAULTS.vxlanPort,
          },
        }
      : {}),
    loc: locOf(n.origin, 'key'),
  };
}

function container(c: Named<ContainerDoc>): DesiredContainer {
  const v = c.value;
  const netns = v.netns ?? c.name;
  const dns = v.dns && { nameservers: (v.dns.nameservers ?? []).map(canonicalAddr), search: v.dns.search ?? [], options: v.dns.options ?? [] };
  return {
    name: c.name,
    netns: netns.startsWith('/') ? { kind: 'path', path: netns } : { kind: 'named', name: netns },
    hostname: v.hostname ?? c.name,
    ...(dns ? { dns } : {}),
    extraHosts: (v.extraHosts ?? []).map(splitExtraHost).map((h) => ({ name: h.name, address: canonicalAddr(h.address) })),
    adopt: v.adopt ?? false,
    labels: { ...v.labels },
    loc: locOf(c.origin, 'key'),
  };
}

/** Default interfaces: the lowest ethN a container does not use yet, in declaration order. */
function interfaces(atts: readonly Entry<AttachmentDoc>[], noLink: (a: AttachmentDoc) => boolean): string[] {
  const used = new Map<string, Set<string>>();
  const usedBy = (c: string): Set<string> => used.get(c) ?? used.set(c, new Set()).get(c)!;
  for (const a of atts) if (a.value.interface !== undefined) usedBy(a.value.container).add(a.value.interface);
  return atts.map(({ value: a }) => {
    if (a.interface !== undefined) return a.interface;
    if (noLink(a)) return '';
    const set = usedBy(a.container);
    let i = 0;
    while (set.has(`eth${i}`)) i++;
    set.add(`eth${i}`);
    return `eth${i}`;
  });
}

function attachment(e: Entry<AttachmentDoc>, iface: string): DesiredAttachment {
  const v = e.value;
  return {
    container: v.container,
    network: v.network,
    interface: iface,
    ...(v.ipv4 === undefined ? {} : { ipv4: canonicalAddr(v.ipv4) }),
    ...(v.ipv6 === undefined ? {} : { ipv6: canonicalAddr(v.ipv6) }),
    ...(v.mac === undefined ? {} : { mac: v.mac.toLowerCase() }),
    aliases: v.aliases ?? [],
    gatewayPriority: v.gatewayPriority ?? 0,
    ports: (v.ports ?? []).map((p) => ({
      hostPort: p.hostPort,
      containerPort: p.containerPort,
      protocol: p.protocol ?? 'tcp',
      ...(p.hostIp === undefined ? {} : { hostIp: canonicalAddr(p.hostIp) }),
    })),
    loc: locOf(e.origin, 'value'),
  };
}

function cluster(e: Entry<NonNullable<Merged['cluster']>['value']>): ClusterConfig {
  const v = e.value;
  return {
    etcd: { endpoints: v.etcd.endpoints, prefix: v.etcd.prefix ?? DEFAULTS.etcdPrefix, ...(v.etcd.tls ? { tls: { ...v.etcd.tls } } : {}) },
    ...(v.publicIp === undefined ? {} : { publicIp: canonicalAddr(v.publicIp) }),
    ...(v.publicInterface === undefined ? {} : { publicInterface: v.publicInterface }),
    leaseTtl: v.leaseTtl ?? DEFAULTS.leaseTtl,
    loc: locOf(e.origin, 'key'),
  };
}

export function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** The predefined networks the attachments use, as if declared where first used. */
function implicitNetworks(m: Merged): DesiredNetwork[] {
  const declared = new Set(m.networks.map((n) => n.name));
  const used = new Map<string, Entry<AttachmentDoc>>();
  for (const a of m.attachments)
    if (PREDEFINED_NETWORKS.has(a.value.network) && !declared.has(a.value.network) && !used.has(a.value.network)) used.set(a.value.network, a);
  return [...used].map(([name, a]) => network({ name, value: { driver: PREDEFINED_NETWORKS.get(name)! }, origin: a.origin }));
}

/** Assumes m passed every check: nothing here reports errors. */
export function normalize(m: Merged): DesiredState {
  const networks = [...m.networks.map(network), ...implicitNetworks(m)];
  const drivers = new Map(networks.map((n) => [n.name, n.driver]));
  const noLink = (a: AttachmentDoc): boolean => ['host', 'null'].includes(drivers.get(a.network) ?? '');
  const ifaces = interfaces(m.attachments, noLink);
  return deepFreeze({
    version: 1,
    addressPools: m.pools.map((p) => ({ base: canonicalCidr(p.value.base), size: p.value.size, loc: locOf(p.origin, 'value') })),
    ...(m.cluster ? { cluster: cluster(m.cluster) } : {}),
    networks,
    containers: m.containers.map(container),
    attachments: m.attachments.map((a, i) => attachment(a, ifaces[i]!)),
  });
}
