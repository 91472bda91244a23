/**
 * Where an overlay network's shared state lives in the cluster store (DESIGN.md §9):
 *   <prefix>/v1/overlay/<network>/config              the network's cluster-wide config
 *   <prefix>/v1/overlay/<network>/leases/<a.b.c.d-len> one host's subnet
 * A subnet's key name is its CIDR with '-' for '/', as flannel writes it: a '/' would be a
 * path separator to etcdctl users reading the tree.
 */
import { NetdError } from '../errors.js';
import { formatCidr, tryParseCidr } from '../desired/cidr.js';

export interface OverlayKeys {
  readonly config: string;
  /** Every lease key starts with this (it ends with '/'). */
  readonly leases: string;
  lease(subnet: string): string;
}

/** Every overlay network's keys start with this (it ends with '/'): what `watch` follows. */
export const overlayRoot = (prefix: string): string => `${prefix.replace(/\/+$/, '')}/v1/overlay/`;

export function overlayKeys(prefix: string, network: string): OverlayKeys {
  const base = `${overlayRoot(prefix)}${network}`;
  const leases = `${base}/leases/`;
  return { config: `${base}/config`, leases, lease: (subnet) => leases + subnetKeyName(subnet) };
}

/** 10.89.7.0/24 → 10.89.7.0-24 */
export function subnetKeyName(subnet: string): string {
  const c = tryParseCidr(subnet);
  if (!c || c.family !== 4 || c.address !== c.network) throw new NetdError('internal', `subnet key: "${subnet}" is not an IPv4 subnet`);
  return formatCidr(c).replace('/', '-');
}

/** 10.89.7.0-24 (or a whole lease key ending in it) → 10.89.7.0/24; undefined when it is not one. */
export function subnetOfKeyName(key: string): string | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const m = /^([0-9.]+)-([0-9]{1,2})$/.exec(name);
  const c = m && tryParseCidr(`${m[1]}/${m[2]}`);
  return c && c.family === 4 && c.address === c.network && formatCidr(c).replace('/', '-') === name ? formatCidr(c) : undefined;
}
