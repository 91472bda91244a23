/**
 * host-gw peers must share the external interface's segment: a peer on another one is skipped
 * with a warning naming it, the network and the way out, before the kernel is asked (it would
 * refuse the whole batch: "Nexthop has invalid gateway"); the peers on the segment are routed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { onSegment } from '../../src/drivers/overlay/index.js';
import { kernelSkip } from '../helpers/kernel.js';
import { etcdSkip } from '../helpers/etcd.js';
import { oneHost, type OneHost } from './one-host.js';

const skip = kernelSkip || etcdSkip;
const routes = (): string => execFileSync('ip', ['route', 'show'], { encoding: 'utf8' });

const cases: { name: string; ip: string; onLink: string[]; want: boolean }[] = [
  { name: 'inside a connected prefix', ip: '192.168.61.2', onLink: ['192.168.61.0/24'], want: true },
  { name: 'outside every prefix', ip: '10.200.0.5', onLink: ['192.168.61.0/24'], want: false },
  { name: 'a host route without a gateway', ip: '10.200.0.5', onLink: ['10.200.0.5'], want: true },
  { name: 'a default route without a gateway: everything is on link', ip: '10.200.0.5', onLink: ['0.0.0.0/0'], want: true },
  { name: 'no prefix at all', ip: '192.168.61.2', onLink: [], want: false },
  { name: 'not an address', ip: 'nope', onLink: ['0.0.0.0/0'], want: false },
];
for (const tc of cases) test(`host-gw segment: ${tc.name}`, () => assert.equal(onSegment(tc.ip, tc.onLink), tc.want));

let h: OneHost;
before(async () => {
  if (!skip) h = await oneHost('hg-ul0', '192.168.61.1/24');
});
after(async () => {
  if (!skip) await h.close();
});

test('host-gw: a peer off the segment is skipped with a warning, the one on it is routed', { skip }, async () => {
  await h.peer('10.89.200.0/24', '192.168.61.2', { backend: 'host-gw', ttl: 600 });
  await h.peer('10.89.201.0/24', '10.200.0.5', { backend: 'host-gw', ttl: 600 });
  const yaml = h.yaml({ backend: 'host-gw' });
  const r = await h.host.apply(yaml);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /warning: overlay network "pods": peer 10\.89\.201\.0\/24 \(public IP 10\.200\.0\.5\) is not on the L2 segment of the external interface "hg-ul0" \(on link: 192\.168\.61\.0\/24\): backend host-gw cannot route to it \(the kernel refuses "Nexthop has invalid gateway"\), so it is skipped; put every host of the network on one segment, or use backend: vxlan/,
  );
  assert.doesNotMatch(r.stderr, /10\.89\.200\.0\/24 \(public IP/);
  assert.match(routes(), /^10\.89\.200\.0\/24 via 192\.168\.61\.2 dev hg-ul0 proto 78/m);
  assert.doesNotMatch(routes(), /10\.89\.201\.0/);
  // Converged: the skipped peer is not drift, and diff says why it is not routed.
  const d = await h.host.diff(yaml);
  assert.equal(d.code, 0, d.stdout + d.stderr);
  assert.match(d.stderr, /warning: overlay network "pods": peer 10\.89\.201\.0\/24/);
});
