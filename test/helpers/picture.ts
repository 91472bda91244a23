/**
 * What the kernel shows of some objects, to prove netd left them byte for byte as they were:
 * `ip -d -j link show`, `ip -j addr show` and `ip -j route show table all` of a namespace
 * (undefined: the host), all of it or only what concerns the given links.
 */
import { execFileSync } from 'node:child_process';

export interface Picture {
  readonly links: unknown[];
  readonly addresses: unknown[];
  readonly routes: unknown[];
}

type Entry = { ifname?: string; dev?: string; linkinfo?: { info_data?: Record<string, unknown> } };

const ipJson = (ns: string | undefined, ...args: string[]): Entry[] =>
  JSON.parse(execFileSync('ip', [...(ns === undefined ? [] : ['-n', ns]), '-j', ...args], { encoding: 'utf8' })) as Entry[];

/** A bridge's timers (gc_timer, hello_timer, …) tick by themselves while it is up: not a change. */
function withoutTimers(l: Entry): Entry {
  const data = l.linkinfo?.info_data;
  if (!data) return l;
  const kept = Object.fromEntries(Object.entries(data).filter(([k]) => !k.endsWith('_timer')));
  return { ...l, linkinfo: { ...l.linkinfo, info_data: kept } };
}

export function picture(ns: string | undefined, links?: readonly string[]): Picture {
  const keep = (e: Entry): boolean => links === undefined || links.includes(e.ifname ?? e.dev ?? '');
  return {
    links: ipJson(ns, '-d', 'link', 'show').filter(keep).map(withoutTimers),
    addresses: ipJson(ns, 'addr', 'show').filter(keep),
    routes: ipJson(ns, 'route', 'show', 'table', 'all').filter(keep),
  };
}
