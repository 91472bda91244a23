/** The external interface read from a real kernel (inside the throwaway host): the default route's, its own address. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { assertNoLeaks, kernelSkip } from '../helpers/kernel.js';
import { ExecRunner, observeUplink } from '../../src/kernel/index.js';
import { externalInterface } from '../../src/cluster/uplink.js';

const skip = kernelSkip;
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

after(() => {
  if (skip) return;
  for (const l of ['ku-up0', 'ku-up1']) ip('link', 'del', l);
  assertNoLeaks();
});

test('uplink: the default route picks the interface; local is its own address, never the NAT address', { skip }, async () => {
  for (const [name, mtu, cidr] of [
    ['ku-up0', '1400', '192.0.2.10/24'],
    ['ku-up1', '9000', '198.51.100.5/24'],
  ] as const) {
    ip('link', 'add', name, 'mtu', mtu, 'type', 'bridge');
    ip('addr', 'add', cidr, 'dev', name);
    ip('link', 'set', name, 'up');
  }
  ip('route', 'add', 'default', 'via', '192.0.2.1', 'dev', 'ku-up0', 'metric', '10', 'onlink');
  ip('route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'ku-up1', 'metric', '20', 'onlink');
  ip('route', 'add', '203.0.113.0/24', 'via', '198.51.100.1', 'dev', 'ku-up1', 'onlink');
  const view = await observeUplink(new ExecRunner());
  // The segment: the connected prefix, not the route through a gateway (203.0.113.0/24).
  const [A, B] = [['192.0.2.0/24'], ['198.51.100.0/24']];
  assert.deepEqual(
    view.routes.filter((r) => r.dst === 'default').map((r) => [r.dst, r.dev, r.metric]),
    [
      ['default', 'ku-up0', 10],
      ['default', 'ku-up1', 20],
    ],
  );
  assert.deepEqual(externalInterface(view, {}), { name: 'ku-up0', mtu: 1400, localIp: '192.0.2.10', publicIp: '192.0.2.10', onLink: A });
  assert.deepEqual(externalInterface(view, { publicIp: '203.0.113.9' }), {
    name: 'ku-up0',
    mtu: 1400,
    localIp: '192.0.2.10',
    publicIp: '203.0.113.9',
    onLink: A,
  });
  assert.deepEqual(externalInterface(view, { publicInterface: 'ku-up1' }), {
    name: 'ku-up1',
    mtu: 9000,
    localIp: '198.51.100.5',
    publicIp: '198.51.100.5',
    onLink: B,
  });
  assert.deepEqual(externalInterface(view, { publicInterface: '198.51.100.5' }), {
    name: 'ku-up1',
    mtu: 9000,
    localIp: '198.51.100.5',
    publicIp: '198.51.100.5',
    onLink: B,
  });
});
