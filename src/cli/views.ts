/**
 * What `get` shows: one plain object per network, container or attachment, built from the
 * store records alone (no kernel), and the table columns for each kind.
 */
import type { RecordedState } from '../plan/types.js';
import { nsRef, sorted } from '../state/derive.js';
import type { PortMapping } from '../desired/types.js';

export type Kind = 'networks' | 'containers' | 'attachments';
export const KINDS: readonly Kind[] = ['networks', 'containers', 'attachments'];

export const portText = (p: PortMapping): string =>
  `${p.hostIp ? `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:` : ''}${p.hostPort}->${p.containerPort}/${p.protocol}`;

const both = (v4: string | undefined, v6: string | undefined): string => [v4, v6].filter(Boolean).join(',');

export interface View {
  headers: string[];
  /** The extra columns of `-o wide`. */
  wide: string[];
  /** Objects for -o json|yaml and their table rows (then the wide cells), in the same order. */
  items: { name: string; object: Record<string, unknown>; row: string[]; wide: string[]; labels: Readonly<Record<string, string>> }[];
}

/** A list in one table cell: the first few, then how many more (`c001,c002,c003,… (+297)`). */
export function listCell(items: readonly string[], shown = 3): string {
  return items.length <= shown ? items.join(',') : `${items.slice(0, shown).join(',')},… (+${items.length - shown})`;
}

const labelsText = (l: Readonly<Record<string, string>>): string =>
  Object.entries(l)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export function networksView(r: RecordedState): View {
  const { networks, endpoints } = sorted(r);
  return {
    headers: ['NAME', 'DRIVER', 'SUBNET', 'GATEWAY', 'BRIDGE', 'CONTAINERS', 'STATE'],
    wide: ['LABELS', 'ID'],
    items: networks.map((n) => {
      const containers = endpoints.filter((e) => e.networkId === n.id).map((e) => e.container);
      const object = {
        name: n.name,
        id: n.id,
        driver: n.driver,
        ...(n.ipv4 ? { subnet: n.ipv4.subnet, gateway: n.ipv4.gateway } : {}),
        ...(n.ipv6 ? { ipv6Subnet: n.ipv6.subnet, ipv6Gateway: n.ipv6.gateway } : {}),
        ...(n.bridge ? { bridge: n.bridge } : {}),
        containers,
        state: n.state,
      };
      const row = [
        n.name,
        n.driver,
        both(n.ipv4?.subnet, n.ipv6?.subnet),
        both(n.ipv4?.gateway, n.ipv6?.gateway),
        n.bridge ?? '',
        listCell(containers),
        n.state,
      ];
      return { name: n.name, object: { ...object, labels: n.labels }, row, wide: [labelsText(n.labels), n.id], labels: n.labels };
    }),
  };
}

export function containersView(r: RecordedState): View {
  const { sandboxes, endpoints } = sorted(r);
  return {
    headers: ['NAME', 'NETNS', 'HOSTNAME', 'NETWORKS', 'STATE'],
    wide: ['LABELS', 'ID'],
    items: sandboxes.map((s) => {
      const networks = endpoints.filter((e) => e.container === s.container).map((e) => e.network);
      const netns = s.hostNetwork ? 'host' : nsRef(s.netns);
      const labels = s.labels ?? {};
      const object = { name: s.container, id: s.id, netns, hostname: s.hostname, networks, labels, created: s.created, state: s.state };
      return { name: s.container, object, row: [s.container, netns, s.hostname, listCell(networks), s.state], wide: [labelsText(labels), s.id], labels };
    }),
  };
}

export function attachmentsView(r: RecordedState): View {
  return {
    headers: ['CONTAINER', 'NETWORK', 'INTERFACE', 'IPV4', 'IPV6', 'MAC', 'PORTS', 'STATE'],
    wide: ['ALIASES', 'ID'],
    items: sorted(r).endpoints.map((e) => {
      const ports = e.ports.map(portText);
      const object = {
        container: e.container,
        network: e.network,
        id: e.id,
        interface: e.interface,
        ...(e.ipv4 ? { ipv4: e.ipv4 } : {}),
        ...(e.ipv6 ? { ipv6: e.ipv6 } : {}),
        ...(e.mac ? { mac: e.mac } : {}),
        ports,
        aliases: e.aliases,
        gatewayPriority: e.gatewayPriority,
        state: e.state,
      };
      return {
        name: `${e.container}/${e.network}`,
        object,
        row: [e.container, e.network, e.interface, e.ipv4 ?? '', e.ipv6 ?? '', e.mac ?? '', listCell(ports), e.state],
        wide: [e.aliases.join(','), e.id],
        labels: {},
      };
    }),
  };
}

export const VIEWS: Record<Kind, (r: RecordedState) => View> = { networks: networksView, containers: containersView, attachments: attachmentsView };
