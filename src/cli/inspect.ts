/**
 * `netd inspect`: one object in the shape of `docker network inspect` / the `NetworkSettings`
 * of `docker inspect`, so that tools and habits written for Docker carry over. From the
 * records, and for an overlay network from its cluster store too (its lease and peers).
 */
import type { RecordedState } from '../plan/types.js';
import type { EndpointRecord, FamilyRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import type { PeerLease } from '../cluster/lease.js';
import { timeLeft, type OverlayInspection } from '../reconcile/leases.js';
import { portText } from './views.js';

const prefixLen = (f: FamilyRecord | undefined): number | undefined => (f ? Number(f.subnet.split('/')[1]) : undefined);
const cidr = (addr: string | undefined, f: FamilyRecord | undefined): string => (addr && f ? `${addr}/${prefixLen(f)}` : '');

const expiry = (l: Pick<PeerLease, 'leaseId' | 'expiresIn'> | undefined): Record<string, unknown> =>
  l?.leaseId === undefined ? {} : { ExpiresIn: l.expiresIn ?? null, TimeLeft: l.expiresIn === undefined ? '' : timeLeft(l.expiresIn) };

/**
 * An overlay network's cluster side: this host's lease as recorded, completed by the cluster
 * (public IP, time left), and the peers; with the cluster unreachable, the peers are unknown.
 */
function overlaySection(n: NetworkRecord, c: OverlayInspection): Record<string, unknown> {
  const o = n.overlay!;
  const lease = n.lease;
  const own = c.own;
  const leaseId = own ? own.leaseId : lease?.leaseId;
  return {
    Range: o.range,
    SubnetLen: o.subnetLen,
    Backend: o.backend,
    VNI: o.vni,
    Port: o.port,
    Etcd: lease ? { Endpoints: lease.store.endpoints, Prefix: lease.store.prefix } : null,
    Lease: lease
      ? {
          Subnet: lease.subnet,
          LeaseID: leaseId ?? 'reservation',
          PublicIP: own?.publicIp ?? '',
          ...(o.backend === 'vxlan' ? { VtepMAC: lease.vtepMac } : {}),
          Interface: lease.dev,
          LocalAddress: lease.local,
          ...expiry(own),
          // Read from the cluster: held by this host, gone (expired or revoked: apply takes it again), or unknown.
          InCluster: c.unreachable !== undefined ? 'unknown' : own ? 'held' : 'gone',
        }
      : null,
    Peers: c.peers
      ? c.peers.map((p) => ({
          Subnet: p.subnet,
          Host: p.hostId,
          PublicIP: p.publicIp,
          Backend: p.backend,
          ...(p.leaseId === undefined ? { Reservation: true } : expiry(p)),
        }))
      : null,
    ...(c.unreachable !== undefined ? { PeersUnknown: c.unreachable } : {}),
  };
}

export function inspectNetwork(n: NetworkRecord, r: RecordedState, cluster?: OverlayInspection): Record<string, unknown> {
  const sandboxes = new Map(r.sandboxes.map((s) => [s.id, s]));
  const containers: Record<string, unknown> = {};
  for (const e of r.endpoints.filter((x) => x.networkId === n.id).sort((a, b) => a.container.localeCompare(b.container))) {
    containers[e.id] = {
      Name: e.container,
      EndpointID: e.id,
      SandboxID: sandboxes.get(e.sandboxId)?.id ?? '',
      Interface: e.interface,
      MacAddress: e.mac ?? '',
      IPv4Address: cidr(e.ipv4, n.ipv4),
      IPv6Address: cidr(e.ipv6, n.ipv6),
    };
  }
  return {
    Name: n.name,
    Id: n.id,
    Scope: n.driver === 'overlay' ? 'global' : 'local',
    Driver: n.driver,
    EnableIPv6: n.ipv6 !== undefined,
    IPAM: {
      Driver: 'default',
      Config: [n.ipv4, n.ipv6]
        .filter((f): f is FamilyRecord => f !== undefined)
        .map((f) => ({
          Subnet: f.subnet,
          Gateway: f.gateway,
          ...(f.ipRange ? { IPRange: f.ipRange } : {}),
          ...(f.reserved.length ? { Reserved: f.reserved } : {}),
        })),
    },
    Internal: n.internal,
    Containers: containers,
    Options: {
      ...(n.bridge ? { bridge: n.bridge } : {}),
      mtu: String(n.mtu),
      masquerade: String(n.masquerade),
      icc: String(n.icc),
      gateway_mode: n.gatewayMode ?? 'nat',
      ...(n.dns ? { dns: 'true' } : {}),
    },
    Labels: n.labels,
    Adopted: n.adopted,
    State: n.state,
    ...(n.overlay ? { Overlay: overlaySection(n, cluster ?? {}) } : {}),
  };
}

function endpointSettings(e: EndpointRecord, n: NetworkRecord | undefined): Record<string, unknown> {
  return {
    NetworkID: e.networkId,
    EndpointID: e.id,
    Interface: e.interface,
    IPAddress: e.ipv4 ?? '',
    IPPrefixLen: (e.ipv4 && prefixLen(n?.ipv4)) || 0,
    Gateway: (e.ipv4 && n?.ipv4?.gateway) || '',
    GlobalIPv6Address: e.ipv6 ?? '',
    GlobalIPv6PrefixLen: (e.ipv6 && prefixLen(n?.ipv6)) || 0,
    IPv6Gateway: (e.ipv6 && n?.ipv6?.gateway) || '',
    MacAddress: e.mac ?? '',
    Aliases: e.aliases,
    GatewayPriority: e.gatewayPriority,
    Ports: e.ports.map(portText),
  };
}

export function inspectContainer(s: SandboxRecord, r: RecordedState): Record<string, unknown> {
  const nets = new Map(r.networks.map((n) => [n.id, n]));
  const networks: Record<string, unknown> = {};
  for (const e of r.endpoints.filter((x) => x.container === s.container).sort((a, b) => a.network.localeCompare(b.network))) {
    networks[e.network] = endpointSettings(e, nets.get(e.networkId));
  }
  return {
    Name: s.container,
    Id: s.id,
    SandboxKey: s.hostNetwork ? '' : s.netns.kind === 'named' ? `/run/netns/${s.netns.name}` : s.netns.path,
    HostNetwork: s.hostNetwork === true,
    Created: s.created,
    Hostname: s.hostname,
    Dns: s.dns ? { Nameservers: s.dns.nameservers, Search: s.dns.search, Options: s.dns.options } : null,
    ExtraHosts: (s.extraHosts ?? []).map((h) => `${h.name}:${h.address}`),
    Labels: s.labels ?? {},
    Networks: networks,
    State: s.state,
  };
}
