/** Auto-subnet skips a route of the host namespace, read as the real `ip` prints it. Kernel test. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { assertNoLeaks, kernelSkip } from '../helpers/kernel.js';
import { formatAddr, overlaps, parseCidr } from '../../src/desired/cidr.js';
import { readHostInfo } from '../../src/ipam/host-facts.js';
import { Ipam } from '../../src/ipam/ipam.js';
import { MemoryStore } from '../../src/store/memory.js';
import { desired } from './fixtures.js';

const BRIDGE = 'ndtest-ipam';
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const routes = (): Promise<string> => Promise.resolve(ip('-json', 'route', 'show', 'table', 'all'));

after(() => {
  if (kernelSkip) return;
  try {
    ip('link', 'del', BRIDGE);
  } catch {
    // not created, or already gone
  }
  assertNoLeaks();
});

test('auto-subnet skips a host route added in the throwaway namespace', { skip: kernelSkip }, async () => {
  const store = new MemoryStore();
  const before = (await Ipam.load(store, desired(), await readHostInfo(routes))).chooseSubnet('net');
  const taken = parseCidr(before);

  ip('link', 'add', BRIDGE, 'type', 'bridge');
  ip('addr', 'add', `${formatAddr(taken.family, taken.network + 1n)}/${taken.prefix}`, 'dev', BRIDGE);
  ip('link', 'set', BRIDGE, 'up');

  const host = await readHostInfo(routes);
  assert.ok(host.routes.includes(before), `readHostInfo sees ${before}: ${host.routes.join(', ')}`);
  const after = (await Ipam.load(store, desired(), host)).chooseSubnet('net');
  assert.notEqual(after, before);
  assert.ok(!overlaps(parseCidr(after), taken), `${after} overlaps ${before}`);
  ip('link', 'del', BRIDGE);
});
