/**
 * Address pools: each base a plain IPv4 range, and room in them for every bridge network that
 * declares no subnet. The count only knows the declared subnets (the host's own routes, which
 * IPAM also avoids, are a runtime fact), so it refuses what can never fit, before a single
 * bridge is created.
 */
import { DEFAULT_POOLS } from './defaults.js';
import { formatCidr, lastAddr, overlaps, parseCidr, type Cidr } from './cidr.js';
import type { Entry, Named } from './merge.js';
import { checkCidr, specialIn, type NetInfo, type Report } from './semantic-common.js';
import { where, type Origin } from './source.js';
import type { AddressPoolDoc, NetworkDoc } from './types.js';

interface Pool {
  readonly c: Cidr;
  readonly size: number;
}

/** The pools as checked; undefined when one is invalid (the capacity would mean nothing). */
export function checkPools(report: Report, pools: readonly Entry<AddressPoolDoc>[]): Pool[] | undefined {
  const seen: { c: Cidr; o: Origin }[] = [];
  const ok: Pool[] = [];
  for (const p of pools) {
    const c = checkCidr(report, p.origin, ['base'], p.value.base, undefined);
    const problem = c && (c.family === 6 ? 'address pools are IPv4 only (an IPv6 network declares ipv6.subnet)' : specialIn(c));
    if (!c || problem) {
      if (problem) report(p.origin, ['base'], problem);
      continue;
    }
    const size = p.value.size;
    const clash = seen.find((x) => overlaps(x.c, c));
    seen.push({ c, o: p.origin });
    if (size < c.prefix) report(p.origin, ['size'], `size ${size} is shorter than the base prefix /${c.prefix}`);
    else if (size > 30) report(p.origin, ['size'], `size ${size} is too small for a network (at most 30)`);
    if (clash) report(p.origin, ['base'], `${formatCidr(c)} overlaps the pool at ${where(clash.o, ['base'])}`);
    else if (size >= c.prefix && size <= 30) ok.push({ c, size });
  }
  return ok.length === pools.length ? ok : undefined;
}

/** How many /size subnets of pool overlap none of taken, counting at most up to limit. */
function freeSubnets(pool: Pool, taken: readonly Cidr[], limit: number): number {
  const { c } = pool;
  const step = 1n << BigInt(c.bits - pool.size);
  let free = 0;
  for (let at = c.network; at <= lastAddr(c) && free < limit;) {
    const cand: Cidr = { family: c.family, network: at, address: at, prefix: pool.size, bits: c.bits };
    const t = taken.find((x) => overlaps(x, cand));
    if (!t) free++;
    // Skip the whole of a large declared subnet at once, aligned to the next /size boundary.
    const past = t ? ((lastAddr(t) + step) / step) * step : 0n;
    at = past > at + step ? past : at + step;
  }
  return free;
}

const effective = (declared: Pool[]): Pool[] => (declared.length > 0 ? declared : DEFAULT_POOLS.map((p) => ({ c: parseCidr(p.base), size: p.size })));

/** The shortest prefix (the largest subnet) a network without a subnet may get from the pools. */
export function poolPrefix(declared: Pool[] | undefined): number | undefined {
  return declared && Math.min(...effective(declared).map((p) => p.size));
}

/** Reports the first bridge network without a subnet that the pools cannot hold. */
export function checkCapacity(report: Report, declared: Pool[] | undefined, infos: readonly NetInfo[]): void {
  if (declared === undefined) return;
  const pools = effective(declared);
  const wanting: Named<NetworkDoc>[] = infos.filter((i) => i.driver === 'bridge' && i.entry.value.subnet === undefined).map((i) => i.entry);
  if (wanting.length === 0) return;
  const taken = infos.flatMap((i) => (i.v4 ? [i.v4.subnet] : []));
  const free = pools.reduce((sum, p) => sum + freeSubnets(p, taken, wanting.length - sum), 0);
  const first = wanting[free];
  if (first === undefined) return;
  const names = pools.map((p) => `${formatCidr(p.c)} (/${p.size}s)`).join(', ');
  const which = declared.length > 0 ? `address pools ${names}` : `default address pools ${names}`;
  report(
    first.origin,
    [],
    `no room for network "${first.name}": the ${which} hold ${free} free subnet(s) for ${wanting.length} networks without a subnet; declare a subnet or add addressPools`,
    'key',
  );
}
