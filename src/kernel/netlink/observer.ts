/**
 * The rtnetlink observer: the same observation as IpObserver (observe-ip.ts), in netd's own
 * process. One socket per namespace, opened by the addon's helper thread; per namespace one
 * exchange of four dumps (links, addresses, routes, neighbours) and, when it holds a vxlan
 * device, one more for the FDB. The replies become the rows `ip -json` prints and go through
 * the same parser, so the two observers agree by construction (and the tests check it).
 */
import { closeSync, openSync, constants as fs } from 'node:fs';
import { constants } from 'node:os';
import { NETD_PROTO } from '../ops.js';
import { isPathRef, nsPath, NETNS_DIR, type NamedNamespace, type NsRef } from '../netns.js';
import { namedNamespaces, type ObservedNamespace, type ObservedState, type ObserveQuery, type Observer } from '../observe-ip.js';
import { netlinkError, type Addon } from './addon.js';
import { decodeAttrs, decodeError, decodeMsgs, NLM_F_DUMP_INTR, NLMSG_DONE, NLMSG_ERROR, type NlMsg } from './codec.js';
import { viewOf, vxlansOf, withFdb } from './rows.js';
import { dumpAddrs, dumpFdb, dumpLinks, dumpNeighbours, dumpRoutes, getNsid, RTM_NEWNSID } from './rtnl.js';

/** Sockets (and nsfs files) held open at once: well under the default limit of 1024 descriptors. */
const CHUNK = 256;
const TRIES = 3;
const NETNSA_NSID = 1;
const { errno } = constants;

/** A dump the kernel could not keep consistent (links changed under it) or whose replies overflowed: read again. */
class Retry extends Error {}

/** A namespace's four dumps, in one request; its links alone, when it is about to be deleted whole (ObserveQuery.linksOnly). */
const VIEW_DUMPS = Buffer.concat([dumpLinks(1), dumpAddrs(2), dumpRoutes(3), dumpNeighbours(4)]);
const LINK_DUMP = dumpLinks(1);

/** Replies to one exchange (or its replies already read, `got`), by request seq; a kernel error on any request throws. */
function exchange(addon: Addon, fd: number, what: string, request: Buffer, got?: Buffer | Error): Map<number, NlMsg[]> {
  let replies: Buffer;
  try {
    if (got instanceof Error) throw got;
    replies = got ?? addon.transact(fd, request);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOBUFS') throw new Retry();
    throw netlinkError(what, (e as NodeJS.ErrnoException & { errno: number }).errno, (e as Error).message, e);
  }
  const bySeq = new Map<number, NlMsg[]>();
  for (const m of decodeMsgs(replies)) {
    if (m.flags & NLM_F_DUMP_INTR) throw new Retry();
    if (m.type === NLMSG_ERROR || m.type === NLMSG_DONE) {
      const err = decodeError(m);
      if (err.errno !== 0) throw netlinkError(what, err.errno, err.message);
      continue;
    }
    const got = bySeq.get(m.seq);
    if (got) got.push(m);
    else bySeq.set(m.seq, [m]);
  }
  return bySeq;
}

function readOnce(addon: Addon, fd: number, what: string, proto?: string, got?: Buffer | Error, linksOnly = false): ObservedNamespace {
  const r = exchange(addon, fd, what, linksOnly ? LINK_DUMP : VIEW_DUMPS, got);
  const view = viewOf({ links: r.get(1) ?? [], addrs: r.get(2) ?? [], routes: r.get(3) ?? [], neigh: r.get(4) ?? [] }, proto);
  const vxlans = linksOnly ? [] : vxlansOf(view);
  if (vxlans.length === 0) return view;
  const f = exchange(addon, fd, `fdb ${what}`, Buffer.concat(vxlans.map((l, i) => dumpFdb(i + 1, l.index))));
  return withFdb(
    view,
    vxlans.map((_, i) => f.get(i + 1) ?? []),
  );
}

/**
 * One namespace's view through its socket (proto: only routes of that protocol, any table: the
 * host's); got: the replies to its dumps, already read (transactEach); a retry reads again;
 * linksOnly: its links alone.
 */
export function readView(addon: Addon, fd: number, what: string, proto?: string, got?: Buffer | Error, linksOnly = false): ObservedNamespace {
  for (let i = 1; ; i++) {
    try {
      return readOnce(addon, fd, what, proto, i === 1 ? got : undefined, linksOnly);
    } catch (e) {
      if (!(e instanceof Retry) || i >= TRIES) throw e instanceof Retry ? netlinkError(what, errno.EAGAIN, `dump interrupted ${TRIES} times`) : e;
    }
  }
}

/** A namespace's links alone (one link dump). */
export const readLinks = (addon: Addon, fd: number, what: string): ObservedNamespace => readView(addon, fd, what, undefined, undefined, true);

/** `ip netns list`: the names under /run/netns, each with the id this namespace gives it (if any). */
function netnsList(addon: Addon, fd: number, names: readonly string[]): NamedNamespace[] {
  const out: NamedNamespace[] = [];
  for (let at = 0; at < names.length; at += CHUNK) {
    const chunk = names.slice(at, at + CHUNK);
    const files = chunk.map((n) => {
      try {
        return openSync(`${NETNS_DIR}/${n}`, fs.O_RDONLY | fs.O_NONBLOCK);
      } catch {
        return -1;
      }
    });
    try {
      const asked = files.flatMap((f, i) => (f < 0 ? [] : [getNsid(i + 1, f)]));
      const replies = decodeMsgs(asked.length > 0 ? addon.transact(fd, Buffer.concat(asked)) : Buffer.alloc(0));
      const ids = new Map(replies.filter((m) => m.type === RTM_NEWNSID).map((m) => [m.seq, decodeAttrs(m.body, 4).get(NETNSA_NSID)?.readInt32LE(0)]));
      chunk.forEach((name, i) => {
        const id = ids.get(i + 1);
        out.push(id !== undefined && id >= 0 ? { name, id } : { name });
      });
    } finally {
      for (const f of files) if (f >= 0) closeSync(f);
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * No such namespace, as IpObserver reads it: the file is gone, or a name's file is not a
 * namespace (setns: EINVAL; what a killed `ip netns add` leaves). A path that is not a
 * network namespace is an error there too.
 */
const missing = (code: string, path: string): boolean => code === 'ENOENT' || code === 'ESRCH' || (code === 'EINVAL' && path.startsWith(`${NETNS_DIR}/`));

export class NetlinkObserver implements Observer {
  constructor(private readonly addon: Addon) {}

  async observe(q: ObserveQuery): Promise<ObservedState> {
    const present = await namedNamespaces();
    const host = this.within([null], ([fd]) => ({
      ...readView(this.addon, fd!, 'observe host', String(NETD_PROTO)),
      namespaces: netnsList(this.addon, fd!, [...present]),
    }));
    return { ...host, views: this.read(q.namespaces, present, q.linksOnly) };
  }

  /** One namespace's view, or null when it does not exist or is not a namespace. */
  async view(ns: NsRef): Promise<ObservedNamespace | null> {
    return this.read([ns], await namedNamespaces()).get(ns) ?? null;
  }

  /** A named namespace missing from /run/netns needs no socket to learn it is missing. */
  private read(refs: readonly NsRef[], present: ReadonlySet<string>, linksOnly?: ReadonlySet<NsRef>): Map<NsRef, ObservedNamespace | null> {
    const views = new Map<NsRef, ObservedNamespace | null>(refs.map((ns) => [ns, null]));
    const wanted = refs.filter((ns) => isPathRef(ns) || present.has(ns));
    for (let at = 0; at < wanted.length; at += CHUNK) {
      const chunk = wanted.slice(at, at + CHUNK);
      this.within(
        chunk.map((ns) => nsPath(ns)),
        (fds) => {
          // The kernel's side of every namespace's dumps at once, in parallel; then the decoding.
          const open = chunk.flatMap((ns, i) => (fds[i] === undefined ? [] : [{ ns, fd: fds[i] }]));
          for (const links of [false, true]) {
            const these = open.filter((o) => (linksOnly?.has(o.ns) ?? false) === links);
            if (these.length === 0) continue;
            const got = this.addon.transactEach(
              these.map((o) => o.fd),
              links ? LINK_DUMP : VIEW_DUMPS,
            );
            these.forEach(({ ns, fd }, k) => views.set(ns, readView(this.addon, fd, `observe ${ns}`, undefined, got[k], links)));
          }
        },
      );
    }
    return views;
  }

  /** Runs fn with a socket in each namespace (undefined: that namespace is missing), then closes them. */
  private within<T>(paths: (string | null)[], fn: (fds: (number | undefined)[]) => T): T {
    const socks = this.addon.open(paths);
    try {
      const fds = socks.map((s, i) => {
        if (typeof s === 'number') return s;
        if (paths[i] && missing(s.code, paths[i])) return undefined;
        throw netlinkError(`open ${paths[i] ?? 'own namespace'}`, s.errno, s.message, s);
      });
      return fn(fds);
    } finally {
      for (const s of socks) if (typeof s === 'number') this.addon.close(s);
    }
  }
}
