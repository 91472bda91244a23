/**
 * The subnets an overlay range hands out, as flannel does: every `subnetLen` subnet of the
 * cluster range except the first (flannel's SubnetMin defaults to the range's second subnet,
 * so no host subnet starts at the range's own network address), up to the last one.
 *
 * A free subnet is picked at random among the first FREE_WINDOW free ones, not the lowest:
 * hosts that start together would otherwise all reach for the same subnet and each lose the
 * race in turn (measured here: up to 14 attempts a host with 20 hosts, at most 2 at random).
 */
import { NetdError } from '../errors.js';
import { containsCidr, formatCidr, parseCidr, tryParseCidr, type Cidr } from '../desired/cidr.js';

/** flannel collects up to 100 free subnets before picking one at random. */
export const FREE_WINDOW = 100;

function rangeOf(range: string, subnetLen: number): { c: Cidr; step: bigint; count: bigint } {
  const c = parseCidr(range);
  if (c.family !== 4 || subnetLen <= c.prefix || subnetLen > 32)
    throw new NetdError('internal', `overlay range ${range}: subnetLen ${subnetLen} does not cut it into IPv4 subnets`);
  return { c, step: 1n << BigInt(32 - subnetLen), count: 1n << BigInt(subnetLen - c.prefix) };
}

/** How many subnets the range hands out (all but its first). */
export function subnetCount(range: string, subnetLen: number): number {
  return Number(rangeOf(range, subnetLen).count - 1n);
}

/** The subnet is one that the range hands out: inside it, `subnetLen` long, not its first. */
export function isRangeSubnet(range: string, subnetLen: number, subnet: string): boolean {
  const { c } = rangeOf(range, subnetLen);
  const s = tryParseCidr(subnet);
  return s !== undefined && s.prefix === subnetLen && s.address === s.network && containsCidr(c, s) && s.network !== c.network;
}

/** The first `limit` subnets of the range not in `taken`, in address order. */
export function firstFreeSubnets(range: string, subnetLen: number, taken: ReadonlySet<string>, limit = FREE_WINDOW): string[] {
  const { c, step, count } = rangeOf(range, subnetLen);
  const out: string[] = [];
  for (let i = 1n; i < count && out.length < limit; i++) {
    const s = formatCidr({ family: 4, network: c.network + i * step, prefix: subnetLen });
    if (!taken.has(s)) out.push(s);
  }
  return out;
}

/** One of the items, chosen with `random` (a number in [0, 1), like Math.random). */
export function pickOne<T>(items: readonly T[], random: () => number): T | undefined {
  return items[Math.min(items.length - 1, Math.floor(random() * items.length))];
}
