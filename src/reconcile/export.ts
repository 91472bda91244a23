/**
 * `netd export`: the owned state as a desired-state document that re-applies to a no-op diff.
 * Only what differs from the defaults (and from names netd derives) is written, so the output
 * reads like a file a person would write. Addresses netd handed out dynamically are written as
 * static ones: they are stable per (container, network) anyway, and pinning them keeps the
 * round trip exact even when the file is applied to a fresh store.
 */
import type { AttachmentDoc, ContainerDoc, Document, NetworkDoc } from '../desired/types.js';
import { derivedMac } from '../desired/defaults.js';
import { derivedBridgeName, type EndpointRecord, type FamilyRecord, type NetworkRecord, type SandboxRecord } from '../state/records.js';
import type { RecordedState } from '../plan/types.js';
import { sorted } from '../state/derive.js';

function family(f: FamilyRecord): { subnet: string; gateway?: string; ipRange?: string; reserved?: string[] } {
  return {
    subnet: f.subnet,
    gateway: f.gateway,
    ...(f.ipRange ? { ipRange: f.ipRange } : {}),
    ...(f.reserved.length ? { reserved: [...f.reserved] } : {}),
  };
}

function network(n: NetworkRecord): NetworkDoc {
  // An overlay network declares only the cluster range; each host leases its own subnet, and its MTU follows the external interface.
  const v4 = n.overlay ? { subnet: n.overlay.range } : n.ipv4 && family(n.ipv4);
  return {
    ...(n.driver !== 'bridge' ? { driver: n.driver } : {}),
    ...v4,
    ...(n.ipv6 ? { ipv6: family(n.ipv6) } : {}),
    ...(n.bridge && n.bridge !== derivedBridgeName(n.id) ? { bridge: n.bridge } : {}),
    ...(n.mtu !== 1500 && !n.overlay ? { mtu: n.mtu } : {}),
    ...(n.internal ? { internal: true } : {}),
    ...(!n.masquerade && n.gatewayMode !== 'routed' ? { masquerade: false } : {}),
    ...(!n.icc ? { icc: false } : {}),
    ...(n.gatewayMode ? { gatewayMode: n.gatewayMode } : {}),
    ...(n.dns ? { dns: true } : {}),
    ...(Object.keys(n.labels).length ? { labels: { ...n.labels } } : {}),
    ...(n.adopted ? { adopt: true } : {}),
    ...(n.overlay ? { subnetLen: n.overlay.subnetLen, backend: n.overlay.backend, vni: n.overlay.vni, port: n.overlay.port } : {}),
  };
}

function container(s: SandboxRecord): ContainerDoc {
  const netns = s.netns.kind === 'named' ? s.netns.name : s.netns.path;
  const d = s.dns;
  return {
    ...(netns !== s.container && !s.hostNetwork ? { netns } : {}),
    ...(s.hostname !== s.container ? { hostname: s.hostname } : {}),
    ...(d
      ? {
          dns: {
            nameservers: [...d.nameservers],
            ...(d.search.length ? { search: [...d.search] } : {}),
            ...(d.options.length ? { options: [...d.options] } : {}),
          },
        }
      : {}),
    ...(s.extraHosts?.length ? { extraHosts: s.extraHosts.map((h) => `${h.name}:${h.address}`) } : {}),
    ...(s.labels && Object.keys(s.labels).length ? { labels: { ...s.labels } } : {}),
    // A named namespace netd did not create was adopted; path namespaces are adopted by nature.
    ...(!s.created && !s.hostNetwork && s.netns.kind === 'named' ? { adopt: true } : {}),
  };
}

/** On an overlay network an address is this host's lease's: pinning it would break the next re-address. */
function attachment(e: EndpointRecord, overlays: ReadonlySet<string>): AttachmentDoc {
  const linked = e.hostVeth !== undefined;
  return {
    container: e.container,
    network: e.network,
    ...(linked ? { interface: e.interface } : {}),
    ...(e.ipv4 && !overlays.has(e.networkId) ? { ipv4: e.ipv4 } : {}),
    ...(e.ipv6 ? { ipv6: e.ipv6 } : {}),
    ...(e.mac && e.mac !== derivedMac(e.ipv4, e.id) ? { mac: e.mac } : {}),
    ...(e.aliases.length ? { aliases: [...e.aliases] } : {}),
    ...(e.gatewayPriority !== 0 ? { gatewayPriority: e.gatewayPriority } : {}),
    ...(e.ports.length ? { ports: e.ports.map((p) => ({ ...p })) } : {}),
  };
}

export function exportDocument(r: RecordedState): Document {
  // A record being deleted is on its way out: exporting it would bring it back.
  const live = <T extends { state: string }>(xs: T[]): T[] => xs.filter((x) => x.state !== 'deleting');
  const s = sorted(r);
  const [networks, sandboxes, endpoints] = [live(s.networks), live(s.sandboxes), live(s.endpoints)];
  const overlays = networks.filter((n) => n.overlay && n.lease);
  const lease = overlays[0]?.lease;
  return {
    version: 1,
    // Where the overlays' leases live, and the interface this host sends from.
    ...(lease ? { cluster: { etcd: { ...lease.store, endpoints: [...lease.store.endpoints] }, publicInterface: lease.dev } } : {}),
    ...(networks.length ? { networks: Object.fromEntries(networks.map((n) => [n.name, network(n)])) } : {}),
    ...(sandboxes.length ? { containers: Object.fromEntries(sandboxes.map((s) => [s.container, container(s)])) } : {}),
    ...(endpoints.length ? { attachments: endpoints.map((e) => attachment(e, new Set(overlays.map((n) => n.id)))) } : {}),
  };
}
