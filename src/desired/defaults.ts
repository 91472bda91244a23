/**
 * Facts derived from the desired state that validation, the IPAM, the store records and the
 * diff all rely on. They live here, the lowest layer, so that none of those imports another
 * one sideways.
 */
import type { AddressPool } from './types.js';

/** Used when the desired state declares no addressPools: two private /16s cut into /24s. */
export const DEFAULT_POOLS: readonly AddressPool[] = Object.freeze([
  { base: '10.210.0.0/16', size: 24 },
  { base: '172.30.0.0/16', size: 24 },
]);

/**
 * MAC address of an endpoint that declares none: derived from its IPv4 address as Docker does
 * (02:42 followed by the four address bytes); without IPv4, from the endpoint id. Both are
 * locally administered unicast addresses.
 */
export function derivedMac(ipv4: string | undefined, endpointId: string): string {
  const bytes = ipv4 ? ipv4.split('.').map(Number) : [0, 2, 4, 6].map((i) => parseInt(endpointId.slice(i, i + 2), 16));
  return ['02', '42', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
