/**
 * Captures what iproute2 sends for each kind of op (test/kernel/netlink-requests/iproute2.json):
 * inside the throwaway host, each op's batch line runs under `strace -e write=…`, and the
 * rtnetlink requests it sent are kept as hex, with the ifindexes its devices had. The codec
 * test encodes the same ops and compares. Run again when an op kind changes:
 *   node dist/test/throwaway.js node dist/test/kernel/netlink-capture-ops.js
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderOp, toolOf, type KernelOp } from '../../src/kernel/index.js';

export interface Captured {
  readonly name: string;
  readonly op: KernelOp;
  /** The devices' ifindexes, before the op and (for those it created) after. */
  readonly ifindex: Record<string, number>;
  /** The requests iproute2 sent (lookups left out), hex. */
  readonly requests: string[];
}

/** One of each op kind, in an order in which each succeeds. */
export const CAPTURE_OPS: [string, KernelOp][] = [
  ['link add bridge', { op: 'link-add', kind: 'bridge', name: 'cbr0', mtu: 1400, mac: '02:00:00:00:c0:01', up: true }],
  [
    'link add veth, peer in a namespace',
    { op: 'link-add', kind: 'veth', name: 'cv0', mac: '02:00:00:00:c0:02', peer: { name: 'eth0', ns: 'cap-ns', mac: '02:00:00:00:c0:03', mtu: 1400 } },
  ],
  ['link add veth, alias', { op: 'link-add', kind: 'veth', name: 'cv1', alias: 'netd:endpoint:c', peer: { name: 'cv2' } }],
  [
    'link add vxlan',
    { op: 'link-add', kind: 'vxlan', name: 'cvx0', mtu: 1450, vxlan: { vni: 42, port: 4789, local: '192.0.2.1', dev: 'cv1', learning: false } },
  ],
  ['link set master, up, mtu, mac', { op: 'link-set', name: 'cv0', master: 'cbr0', up: true, mtu: 1400, mac: '02:00:00:00:c0:04' }],
  ['link set nomaster, down', { op: 'link-set', name: 'cv0', master: null, up: false }],
  ['link set rename', { op: 'link-set', name: 'cv2', rename: 'cv3' }],
  ['link set netns', { op: 'link-set', name: 'cv3', netns: 'cap-ns' }],
  ['addr add, nodad', { op: 'addr-add', dev: 'cv1', cidr: 'fd00:c::1/64', nodad: true }],
  ['addr add v4', { op: 'addr-add', dev: 'cv1', cidr: '192.0.2.1/24' }],
  ['link set up', { op: 'link-set', name: 'cv1', up: true }],
  ['addr replace', { op: 'addr-replace', dev: 'cv1', cidr: '192.0.2.1/24' }],
  ['route add via, metric', { op: 'route-add', dst: '10.125.0.0/24', via: '192.0.2.9', dev: 'cv1', metric: 10, proto: 78 }],
  ['route replace onlink', { op: 'route-replace', dst: '10.125.1.0/24', via: '10.125.9.9', dev: 'cv1', onlink: true, proto: 78 }],
  ['route del', { op: 'route-del', dst: '10.125.0.0/24', via: '192.0.2.9', dev: 'cv1', metric: 10, proto: 78 }],
  ['route add v6 default', { op: 'route-add', dst: 'default', via: 'fd00:c::9', family: 6, proto: 78 }],
  ['addr del', { op: 'addr-del', dev: 'cv1', cidr: 'fd00:c::1/64' }],
  ['neigh replace', { op: 'neigh-replace', dev: 'cvx0', addr: '10.125.1.0', mac: '02:00:00:00:c0:05' }],
  ['neigh del', { op: 'neigh-del', dev: 'cvx0', addr: '10.125.1.0' }],
  ['fdb append', { op: 'fdb-append', dev: 'cvx0', mac: '02:00:00:00:c0:05', dst: '192.0.2.2' }],
  ['fdb del', { op: 'fdb-del', dev: 'cvx0', mac: '02:00:00:00:c0:05', dst: '192.0.2.2' }],
  ['link del', { op: 'link-del', name: 'cbr0' }],
];

const WRITES = new Set([16, 17, 20, 21, 24, 25, 28, 29]);

/** The rtnetlink writes in strace's dumps (` | 00000  30 00 … |` lines after each sendmsg). */
export function requestsIn(trace: string): Buffer[] {
  const bufs: string[] = [];
  for (const line of trace.split('\n')) {
    if (line.startsWith('sendmsg(') || /^\[pid +\d+\] sendmsg\(/.test(line)) bufs.push('');
    // ` | 00000  30 00 … 00  1b d3 … 00  ASCII |`: 16 bytes in hex from column 10.
    if (/^ \| [0-9a-f]{5} {2}/.test(line) && bufs.length > 0) bufs[bufs.length - 1] += line.slice(10, 59).replace(/ /g, '');
  }
  return bufs.map((h) => Buffer.from(h, 'hex')).filter((b) => b.length >= 16 && WRITES.has(b.readUInt16LE(4)));
}

const indexes = (): [string, number][] =>
  (JSON.parse(execFileSync('ip', ['-json', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string; ifindex: number }[]).map((l) => [l.ifname, l.ifindex]);

function capture(name: string, op: KernelOp): Captured {
  const before = indexes();
  const tool = toolOf(op) === 'bridge' ? 'bridge' : 'ip';
  const r = spawnSync('strace', ['-f', '-e', 'trace=sendmsg', '-e', 'write=3,4,5,6', '-xx', '-s', '0', tool, '-batch', '-'], {
    input: renderOp(op).join('\n') + '\n',
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
  const requests = requestsIn(r.stderr).map((b) => b.toString('hex'));
  return { name, op, ifindex: Object.fromEntries([...indexes(), ...before]), requests };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  execFileSync('ip', ['netns', 'add', 'cap-ns']);
  const out = CAPTURE_OPS.map(([name, op]) => capture(name, op));
  const file = fileURLToPath(new URL('../../../test/kernel/netlink-requests/iproute2.json', import.meta.url));
  writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
}
