/**
 * The one comparison (STYLE.md 14): expected kernel objects + a snapshot → the ops that make
 * the kernel match, each with the reason a person reads. `diff` prints the reasons and
 * `apply` runs the ops, so they cannot disagree. Pure.
 *
 * An existing object netd cannot prove it made (a link without its mark) is never changed:
 * it comes out as a problem instead of ops.
 */
import { NETD_PROTO, type KernelOp } from '../kernel/ops.js';
import { linkNamed, type KernelView, type LinkView, type NamespaceView } from '../state/view.js';
import type { Expected, Fix, LinkWant } from './expect.js';
import type { NsKey } from './work.js';
import { compareEntries, isEntry } from './entries.js';

export type { Fix } from './expect.js';

export interface Comparison {
  readonly fixes: readonly Fix[];
  /** Ops that undo what the fixes create (a failed build is removed again). */
  readonly undo: readonly KernelOp[];
  /** What cannot be fixed by netd: foreign objects, a missing namespace netd did not create. */
  readonly problems: readonly string[];
  /** Whether a link was (re)created: routes through it must be written again. */
  readonly rebuilt: boolean;
}

export const reasonsOf = (c: Comparison): string[] => [...c.problems, ...c.fixes.map((f) => f.reason)];
export const opsOf = (c: Comparison): KernelOp[] => c.fixes.flatMap((f) => f.ops);

const EMPTY: NamespaceView = { links: [], addresses: [], routes: [] };
const at = (ns: NsKey): { ns?: string } => (ns === undefined ? {} : { ns });

/** A namespace's view: null when it does not exist (a namespace created earlier in the same comparison is empty). */
function viewOf(k: KernelView, ns: NsKey, made: ReadonlySet<string>): NamespaceView | null {
  if (ns === undefined) return k.host;
  if (made.has(ns)) return EMPTY;
  return k.sandboxes.get(ns) ?? null;
}

/** The link as its create op leaves it, so that only what create did not set is fixed after it. */
function created(op: KernelOp, want: LinkWant): LinkView {
  if (op.op !== 'link-add') return { name: want.name, up: false };
  if (op.name === want.name) return { name: op.name, kind: op.kind, up: !!op.up, ...pick(op) };
  // The peer of a veth: created in its namespace with its MAC and MTU.
  return op.kind === 'veth' ? { name: op.peer.name, kind: 'veth', up: false, ...pick(op.peer) } : { name: want.name, up: false };
}
const pick = (o: { mtu?: number; mac?: string; alias?: string }): Partial<LinkView> => ({
  ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
  ...(o.mac !== undefined ? { mac: o.mac } : {}),
  ...(o.alias !== undefined ? { alias: o.alias } : {}),
});

/** Whether a link carries the mark of what `want` describes (or is netd's unmarked own, see unmarkedIsMine). */
export const isMine = (have: LinkView, want: LinkWant): boolean =>
  want.owner === undefined || have.alias === want.owner || (want.unmarkedIsMine === true && have.alias === undefined);

/** Whether an existing link may be changed by netd; otherwise why not. */
export function foreignLink(have: LinkView, want: LinkWant): string | undefined {
  if (!isMine(have, want)) return `${want.what} exists and is not netd's (${have.alias ? `marked ${have.alias}` : 'no netd mark'})`;
  if (want.kind !== undefined && have.kind !== undefined && have.kind !== want.kind) return `${want.what} is a ${have.kind}, not a ${want.kind}`;
  return undefined;
}

/** How an existing vxlan device differs from the wanted one (only fixed by making it again), or undefined. */
function vxlanChange(have: LinkView, want: LinkWant): string | undefined {
  const w = want.vxlan;
  const h = have.vxlan;
  if (!w || !h || foreignLink(have, want)) return undefined;
  const fields = (['vni', 'port', 'local', 'dev', 'learning'] as const).filter((f) => w[f] !== undefined && w[f] !== h[f]);
  return fields.length === 0 ? undefined : fields.map((f) => `${f} ${String(h[f] ?? 'none')} → ${String(w[f])}`).join(', ');
}

/** Field fixes of an existing (or just created: `fresh`, no addresses yet) link. */
function fixLink(have: LinkView, want: LinkWant, view: NamespaceView, fresh: boolean, out: Fix[]): void {
  const set: { mtu?: number; mac?: string; master?: string; alias?: string; up?: boolean; hairpin?: boolean } = {};
  const reasons: string[] = [];
  const field = <K extends 'master' | 'mtu' | 'mac' | 'alias'>(k: K): void => {
    const w = want[k];
    if (w === undefined || (have[k] as unknown) === w) return;
    (set as Record<string, unknown>)[k] = w;
    reasons.push(`${want.what} ${k} ${have[k] ?? 'none'} → ${w}`);
  };
  if (!have.up) {
    set.up = true;
    reasons.push(`${want.what} down → up`);
  }
  field('master');
  field('mtu');
  field('mac');
  field('alias');
  if (want.hairpin !== undefined && (have.hairpin ?? false) !== want.hairpin) {
    set.hairpin = want.hairpin;
    reasons.push(`${want.what} hairpin ${have.hairpin ? 'on' : 'off'} → ${want.hairpin ? 'on' : 'off'}`);
  }
  // One op for every field; the first reason carries it.
  const op: KernelOp = { op: 'link-set', name: want.name, ...at(want.ns), ...set };
  reasons.forEach((reason, i) => out.push({ reason, ops: i === 0 ? [op] : [] }));
  if (want.addresses === undefined) return;
  const present = fresh ? [] : view.addresses.filter((a) => a.dev === want.name && !a.cidr.startsWith('fe80:')).map((a) => a.cidr);
  for (const c of want.addresses.filter((c) => !present.includes(c))) {
    out.push({
      reason: `${want.what} address ${c} missing`,
      ops: [{ op: 'addr-add', dev: want.name, cidr: c, ...at(want.ns), ...(c.includes(':') ? { nodad: true } : {}) }],
    });
  }
  if (!want.exclusive) return;
  for (const c of present.filter((c) => !want.addresses!.includes(c))) {
    out.push({ reason: `${want.what} address ${c} not declared`, ops: [{ op: 'addr-del', dev: want.name, cidr: c, ...at(want.ns) }] });
  }
}

/** Compares what records imply with the snapshot. */
export function compare(expected: readonly Expected[], k: KernelView): Comparison {
  const fixes: Fix[] = [];
  const undo: KernelOp[] = [];
  const problems: string[] = [];
  const made = new Set<string>();
  let rebuilt = false;
  /** Links deleted and made again: nothing that went through them is left. */
  const remade = new Set<string>();
  const find = (ns: NsKey, name: string): LinkView | undefined => linkNamed(viewOf(k, ns, made)?.links, name);

  /** Creates links: one fix, the create op first (after what must go first), then what it does not set itself. */
  const build = (reason: string, create: KernelOp, wants: readonly LinkWant[], before: readonly KernelOp[] = []): void => {
    const rest: Fix[] = [];
    for (const w of wants) fixLink(created(create, w), w, EMPTY, true, rest);
    fixes.push({ reason, ops: [...before, create, ...rest.flatMap((f) => f.ops)] });
    undo.push({ op: 'link-del', name: wants[0]!.name, ...at(wants[0]!.ns) });
    rebuilt = true;
  };

  /** An existing link: foreign ones are problems, netd's are fixed field by field. */
  const existing = (have: LinkView, want: LinkWant): void => {
    const why = foreignLink(have, want);
    if (why) problems.push(why);
    else fixLink(have, want, viewOf(k, want.ns, made) ?? EMPTY, false, fixes);
  };

  for (const e of expected) {
    if (isEntry(e)) continue; // routes, neighbours, FDB: after the links they go through
    if (e.type === 'namespace') {
      const view = k.sandboxes.get(e.ref);
      const listed = e.name === undefined || k.netnsNames.has(e.name);
      if (view && listed) continue;
      if (e.name === undefined) {
        problems.push(`namespace ${e.ref} missing`);
        continue;
      }
      // Listed but not enterable: the file of an interrupted `netns add`, in the way of a new one.
      const stale: KernelOp[] = view === null && listed ? [{ op: 'netns-del', name: e.name }] : [];
      // A new namespace's loopback is down.
      const lo: KernelOp = { op: 'link-set', ns: e.ref, name: 'lo', up: true };
      fixes.push({ reason: `namespace ${e.ref} missing`, ops: [...stale, { op: 'netns-add', name: e.name }, lo] });
      undo.push({ op: 'netns-del', name: e.name });
      made.add(e.ref);
    } else if (e.type === 'link') {
      if (e.want.name === 'lo' && e.want.ns !== undefined && made.has(e.want.ns)) continue; // brought up with its namespace
      const have = find(e.want.ns, e.want.name);
      const change = have && e.create && vxlanChange(have, e.want);
      if (change) {
        build(`${e.want.what} ${change} (made again)`, e.create, [e.want], [{ op: 'link-del', name: e.want.name, ...at(e.want.ns) }]);
        remade.add(JSON.stringify([e.want.ns ?? null, e.want.name]));
      } else if (have) existing(have, e.want);
      else if (e.create) build(`${e.want.what} missing`, e.create, [e.want]);
      else if (viewOf(k, e.want.ns, made)) problems.push(`${e.want.what} missing`);
    } else if (e.type === 'pair') {
      pair(e.host, e.peer, e.create);
    } else {
      const have = viewOf(k, e.ns, made)?.routes.find((r) => r.dst === 'default' && r.family === e.family);
      const same = have !== undefined && have.via === e.via && have.dev === e.dev;
      if (e.rewrite || rebuilt || !same) {
        fixes.push({
          reason: `default route via ${e.via} dev ${e.dev} in ${e.ns} ${same ? 'rewritten (its interface is rebuilt)' : 'missing'}`,
          ops: [{ op: 'route-replace', ns: e.ns, dst: 'default', family: e.family, via: e.via, dev: e.dev, proto: NETD_PROTO }],
        });
      }
    }
  }
  compareEntries(
    expected,
    (ns) => viewOf(k, ns, made),
    fixes,
    (ns, dev) => remade.has(JSON.stringify([ns ?? null, dev])),
  );
  return { fixes, undo, problems, rebuilt };

  function pair(host: LinkWant, peer: LinkWant, create: KernelOp): void {
    const nsView = viewOf(k, peer.ns, made);
    const h = find(host.ns, host.name);
    const p = find(peer.ns, peer.name);
    // The peer gets its mark in its namespace's batch, after the pair was made: a peer without
    // a mark whose other end is netd's (by ifindex) is what a crash in between left.
    const half = h !== undefined && p !== undefined && p.alias === undefined && isMine(h, host) && p.index !== undefined && h.peerIndex === p.index;
    const foreign = [h && foreignLink(h, host), p && !half && foreignLink(p, peer)].filter((x): x is string => !!x);
    if (foreign.length > 0) {
      problems.push(...foreign);
      return;
    }
    if (h && p) {
      existing(h, host);
      existing(p, half ? { ...peer, unmarkedIsMine: true } : peer);
      return;
    }
    // Half a pair (the peer moved, was renamed or its namespace went): start over.
    const lone: KernelOp[] = h ? [{ op: 'link-del', name: host.name, ...at(host.ns) }] : p ? [{ op: 'link-del', name: peer.name, ...at(peer.ns) }] : [];
    const missing = nsView === null ? `namespace ${peer.ns} missing` : `${(h ? peer : host).what} missing`;
    build(missing, create, [host, peer], lone);
  }
}
