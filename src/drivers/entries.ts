/**
 * The comparer's part for entries that are not links: netd's subnet routes, permanent
 * neighbour entries and FDB entries (an overlay's per-peer state). Missing and changed ones
 * are written; those inside a driver's `owned` set that nothing expects are removed (`… not
 * declared`), which is how a peer that left is unrouted. Pure.
 */
import { NETD_PROTO, type KernelOp } from '../kernel/ops.js';
import { containsCidr, parseCidr, tryParseCidrOrHost } from '../desired/cidr.js';
import type { FdbView, NamespaceView, NeighbourView, RouteView } from '../state/view.js';
import type { Expected, Fix } from './expect.js';
import { isNetdRoute } from './sandbox.js';
import type { NsKey } from './work.js';

type Entry = Extract<Expected, { type: 'subnet-route' | 'neighbour' | 'fdb' | 'owned' }>;
type Owned = Extract<Expected, { type: 'owned' }>;

export const isEntry = (e: Expected): e is Entry => e.type === 'subnet-route' || e.type === 'neighbour' || e.type === 'fdb' || e.type === 'owned';

const at = (ns: NsKey): { ns?: string } => (ns === undefined ? {} : { ns });
const inNs = (ns: NsKey): string => (ns === undefined ? '' : ` in ${ns}`);
const hop = (r: { via?: string | undefined; dev?: string | undefined; onlink?: boolean | undefined }): string =>
  [r.via !== undefined ? `via ${r.via}` : '', r.dev !== undefined ? `dev ${r.dev}` : '', r.onlink ? 'onlink' : ''].filter((w) => w !== '').join(' ');

const ownsRoute = (o: Owned, r: RouteView): boolean =>
  isNetdRoute(r) &&
  r.dst !== 'default' &&
  (r.table ?? 'main') === 'main' &&
  ((o.dev !== undefined && r.dev === o.dev) || (o.within !== undefined && within(o.within, r.dst)));

/** Whether a route's destination (a CIDR, or a bare address for a host route) lies inside a range. */
function within(range: string, dst: string): boolean {
  const c = tryParseCidrOrHost(dst);
  return c !== undefined && containsCidr(parseCidr(range), c);
}

/**
 * Fixes for the entry expectations, given each namespace's view (null: the namespace is
 * missing, reported elsewhere); `remade` says which devices are made again (what went
 * through them is gone).
 */
export function compareEntries(
  expected: readonly Expected[],
  observed: (ns: NsKey) => NamespaceView | null,
  out: Fix[],
  remade: (ns: NsKey, dev: string) => boolean = () => false,
): void {
  const viewOf = (ns: NsKey): NamespaceView | null => {
    const v = observed(ns);
    const kept = (x: { dev?: string | undefined }): boolean => x.dev === undefined || !remade(ns, x.dev);
    if (v === null) return v;
    return {
      ...v,
      routes: v.routes.filter(kept),
      ...(v.neighbours ? { neighbours: v.neighbours.filter(kept) } : {}),
      ...(v.fdb ? { fdb: v.fdb.filter(kept) } : {}),
    };
  };
  const entries = expected.filter(isEntry);
  // What is wanted or already being fixed, per namespace: the owned pass keeps these.
  const keep = new Set<string>();
  const key = (ns: NsKey, ...parts: string[]): string => JSON.stringify([ns ?? null, ...parts]);

  for (const e of entries) {
    const view = viewOf(e.ns);
    if (view === null || e.type === 'owned') continue;
    if (e.type === 'subnet-route') {
      keep.add(key(e.ns, 'route', e.dst));
      const have = view.routes.find((r) => r.dst === e.dst && (r.table ?? 'main') === 'main');
      const same = have !== undefined && isNetdRoute(have) && have.via === e.via && have.dev === e.dev && !!have.onlink === !!e.onlink;
      if (same) continue;
      const want = hop(e);
      out.push({
        reason: have ? `route ${e.dst} ${hop(have)}${inNs(e.ns)} → ${want}` : `route ${e.dst} ${want}${inNs(e.ns)} missing`,
        ops: [{ op: 'route-replace', ...at(e.ns), dst: e.dst, via: e.via, dev: e.dev, proto: NETD_PROTO, ...(e.onlink ? { onlink: true } : {}) }],
      });
    } else if (e.type === 'neighbour') {
      keep.add(key(e.ns, 'neigh', e.dev, e.addr));
      const have = view.neighbours?.find((n) => n.dev === e.dev && n.addr === e.addr);
      if (have?.mac === e.mac && have.permanent) continue;
      const what = `neighbour ${e.addr} dev ${e.dev}${inNs(e.ns)} lladdr`;
      out.push({
        reason: have ? `${what} ${have.mac} → ${e.mac}` : `${what} ${e.mac} missing`,
        ops: [{ op: 'neigh-replace', ...at(e.ns), dev: e.dev, addr: e.addr, mac: e.mac }],
      });
    } else {
      keep.add(key(e.ns, 'fdb', e.dev, e.mac, e.dst));
      const mine = (view.fdb ?? []).filter((f) => f.dev === e.dev && f.mac === e.mac);
      if (mine.some((f) => f.dst === e.dst)) continue;
      // The peer's underlay address changed: the old destination goes (appended entries add up).
      const old = mine.filter((f) => f.dst !== undefined && !expected.some((x) => x.type === 'fdb' && x.dev === f.dev && x.mac === f.mac && x.dst === f.dst));
      for (const f of old) keep.add(key(e.ns, 'fdb', f.dev, f.mac, f.dst!));
      const what = `fdb ${e.mac} dev ${e.dev}${inNs(e.ns)} dst`;
      out.push({
        reason: old.length > 0 ? `${what} ${old.map((f) => f.dst).join(', ')} → ${e.dst}` : `${what} ${e.dst} missing`,
        ops: [...old.map((f): KernelOp => fdbDel(e.ns, f)), { op: 'fdb-append', ...at(e.ns), dev: e.dev, mac: e.mac, dst: e.dst }],
      });
    }
  }

  for (const o of entries.filter((e): e is Owned => e.type === 'owned')) {
    const view = viewOf(o.ns);
    if (view === null) continue;
    for (const r of view.routes.filter((r) => ownsRoute(o, r) && !keep.has(key(o.ns, 'route', r.dst)))) {
      keep.add(key(o.ns, 'route', r.dst));
      const del: KernelOp = {
        op: 'route-del',
        ...at(o.ns),
        dst: r.dst,
        ...(r.via !== undefined ? { via: r.via } : {}),
        ...(r.dev !== undefined ? { dev: r.dev } : {}),
        proto: NETD_PROTO,
      };
      out.push({ reason: `route ${r.dst} ${hop(r)}${inNs(o.ns)} not declared`, ops: [del] });
    }
    if (o.dev === undefined) continue;
    const stale = (n: NeighbourView): boolean => n.dev === o.dev && n.permanent && !keep.has(key(o.ns, 'neigh', n.dev, n.addr));
    for (const n of (view.neighbours ?? []).filter(stale)) {
      out.push({
        reason: `neighbour ${n.addr} dev ${n.dev}${inNs(o.ns)} lladdr ${n.mac} not declared`,
        ops: [{ op: 'neigh-del', ...at(o.ns), dev: n.dev, addr: n.addr }],
      });
    }
    for (const f of (view.fdb ?? []).filter((f) => f.dev === o.dev && !keep.has(key(o.ns, 'fdb', f.dev, f.mac, f.dst ?? '')))) {
      out.push({ reason: `fdb ${f.mac} dev ${f.dev}${inNs(o.ns)} dst ${f.dst ?? 'none'} not declared`, ops: [fdbDel(o.ns, f)] });
    }
  }
}

const fdbDel = (ns: NsKey, f: FdbView): KernelOp => ({ op: 'fdb-del', ...at(ns), dev: f.dev, mac: f.mac, ...(f.dst !== undefined ? { dst: f.dst } : {}) });
