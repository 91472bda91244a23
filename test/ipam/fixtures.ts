/** Small builders for IPAM tests. */
import type { DesiredAttachment, DesiredState, AddressPool } from '../../src/desired/types.js';
import type { FamilyRecord, NetworkRecord } from '../../src/state/records.js';
import { Ipam } from '../../src/ipam/ipam.js';
import { staticHostInfo, type HostInfo } from '../../src/ipam/host-facts.js';
import { MemoryStore } from '../../src/store/memory.js';
import { networkKey } from '../../src/state/records.js';

const loc = { file: 'test.yaml', line: 1, column: 1 };

export function attachment(container: string, network: string, ipv4?: string, ipv6?: string): DesiredAttachment {
  return { container, network, interface: 'eth0', ...(ipv4 ? { ipv4 } : {}), ...(ipv6 ? { ipv6 } : {}), aliases: [], gatewayPriority: 0, ports: [], loc };
}

export function desired(p: { attachments?: DesiredAttachment[]; pools?: AddressPool[]; subnets?: Record<string, string> } = {}): DesiredState {
  const networks = Object.entries(p.subnets ?? {}).map(([name, subnet]) => ({
    name,
    driver: 'bridge' as const,
    ipv4: { subnet, reserved: [] },
    mtu: 1500,
    internal: false,
    masquerade: true,
    icc: true,
    gatewayMode: 'nat' as const,
    dns: false,
    labels: {},
    adopt: false,
    loc,
  }));
  return { version: 1, addressPools: p.pools ?? [], networks, containers: [], attachments: p.attachments ?? [] };
}

export function fam(subnet: string, gateway: string, more: { ipRange?: string; reserved?: string[] } = {}): FamilyRecord {
  return { subnet, gateway, reserved: more.reserved ?? [], ...(more.ipRange ? { ipRange: more.ipRange } : {}) };
}

export function network(name: string, ipv4?: FamilyRecord, ipv6?: FamilyRecord): NetworkRecord {
  return {
    id: `id-${name}`,
    name,
    driver: 'bridge',
    ...(ipv4 ? { ipv4 } : {}),
    ...(ipv6 ? { ipv6 } : {}),
    mtu: 1500,
    internal: false,
    masquerade: true,
    icc: true,
    labels: {},
    adopted: false,
    state: 'ready',
  };
}

/** A store holding the given network records, and an Ipam loaded from it. */
export async function setup(
  networks: NetworkRecord[],
  d: DesiredState = desired(),
  host: HostInfo = staticHostInfo([], []),
): Promise<{ store: MemoryStore; ipam: Ipam }> {
  const store = new MemoryStore();
  for (const n of networks) await store.put(networkKey(n.id), n);
  return { store, ipam: await Ipam.load(store, d, host) };
}
