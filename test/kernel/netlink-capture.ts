/**
 * Captures the codec's fixtures (test/kernel/netlink-fixtures/*.json): on the scenario host
 * (netlink-scenario.ts), the raw rtnetlink reply to each dump, as hex, beside what iproute2
 * prints for the same state. Run again when the decoder learns a new field:
 *   node dist/test/throwaway.js node dist/test/kernel/netlink-capture.js
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExecRunner, ipArgv, netlinkStatus, nsExecArgv, NETD_PROTO } from '../../src/kernel/index.js';
import { dumpAddrs, dumpFdb, dumpLinks, dumpNeighbours, dumpRoutes } from '../../src/kernel/netlink/rtnl.js';
import { build, NS, teardown } from './netlink-scenario.js';

export interface Fixture {
  /** The namespace (null: the host's view, netd's routes only). */
  readonly ns: string | null;
  readonly replies: { links: string; addrs: string; routes: string; neigh: string };
  readonly fdb: { dev: string; index: number; reply: string; bridge: string }[];
  /** `ip -details -json -batch -` of link, addr, route and neigh show (observe-ip.ts's own commands). */
  readonly ip: string;
}

const status = netlinkStatus();
if (!status.loaded) throw new Error(status.reason);
const addon = status.addon;
const runner = new ExecRunner();
const OUT = fileURLToPath(new URL('../../../test/kernel/netlink-fixtures/', import.meta.url));

async function capture(ns: string | null): Promise<Fixture> {
  const [fd] = addon.open([ns === null ? null : `/run/netns/${ns}`]);
  if (typeof fd !== 'number') throw new Error(`open ${ns ?? 'own namespace'}: ${fd?.message ?? 'no socket'}`);
  const hex = (req: Buffer): string => addon.transact(fd, req).toString('hex');
  try {
    const links = hex(dumpLinks(1));
    const route = ns === null ? `route show table all proto ${NETD_PROTO}` : 'route show table all';
    const lines = ['link show', 'addr show', route, 'neigh show nud permanent'];
    const ip = (await runner.run(ipArgv(ns ?? undefined, ['-details', '-json', '-batch', '-']), { input: lines.join('\n') + '\n' })).stdout;
    const vxlans = (JSON.parse(ip.split('\n')[0]!) as { ifname: string; ifindex: number; linkinfo?: { info_kind?: string } }[]).filter(
      (l) => l.linkinfo?.info_kind === 'vxlan',
    );
    const fdb = [];
    for (const l of vxlans) {
      const bridge = (await runner.run(nsExecArgv(ns ?? undefined, ['bridge', '-json', 'fdb', 'show', 'dev', l.ifname]))).stdout;
      fdb.push({ dev: l.ifname, index: l.ifindex, reply: hex(dumpFdb(1, l.ifindex)), bridge });
    }
    return { ns, replies: { links, addrs: hex(dumpAddrs(1)), routes: hex(dumpRoutes(1)), neigh: hex(dumpNeighbours(1)) }, fdb, ip };
  } finally {
    addon.close(fd);
  }
}

await build(runner);
try {
  for (const [file, ns] of [
    ['host', null],
    ['ns-a', NS.a],
    ['ns-b', NS.b],
  ] as const) {
    writeFileSync(`${OUT}${file}.json`, JSON.stringify(await capture(ns), null, 1) + '\n');
  }
} finally {
  await teardown(runner);
}
