/**
 * The rtnetlink observer against its oracle, the iproute2 observer, on one real host (the
 * throwaway host): the same ObservedState, field by field; the JS thread never changes
 * namespace; missing namespaces are null views, as iproute2 says.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { assertNoLeaks, kernelSkip } from '../helpers/kernel.js';
import { ExecRunner, IpObserver, KernelError, NetlinkObserver, netlinkStatus, type ObservedState } from '../../src/kernel/index.js';
import { decodeMsgs } from '../../src/kernel/netlink/codec.js';
import { linkRows } from '../../src/kernel/netlink/rows.js';
import { dumpLinks } from '../../src/kernel/netlink/rtnl.js';
import { build, NS, REFS, teardown } from './netlink-scenario.js';

const runner = new ExecRunner();
const status = netlinkStatus();
const skip = kernelSkip || (status.loaded ? false : `netlink addon not loaded: ${status.reason}`);
const netlink = (): NetlinkObserver => {
  assert.ok(status.loaded);
  return new NetlinkObserver(status.addon);
};

before(async () => {
  if (!skip) await build(runner);
});

after(async () => {
  if (skip) return;
  await teardown(runner);
  assertNoLeaks();
});

/** Views in a comparable form: the Map as entries. */
const plain = (s: ObservedState): unknown => ({ ...s, views: [...s.views] });

/**
 * iproute2, netlink, iproute2 again, until both iproute2 observations agree: the kernel has
 * settled around the netlink one (a bridge's operstate follows its ports asynchronously, and
 * namespace ids are allocated by the first link dump).
 */
async function settled(): Promise<{ ip: ObservedState; nl: ObservedState }> {
  for (let i = 0; i < 20; i++) {
    const before = await new IpObserver(runner).observe({ namespaces: REFS });
    const nl = await netlink().observe({ namespaces: REFS });
    const ip = await new IpObserver(runner).observe({ namespaces: REFS });
    if (isDeepStrictEqual(plain(before), plain(ip))) return { ip, nl };
  }
  throw new Error('the kernel kept changing under 20 observations');
}

test('netlink and iproute2 observers see the same host, namespaces, links, addresses, routes, neighbours and FDB', { skip }, async () => {
  const { ip, nl } = await settled();
  assert.deepEqual(plain(nl), plain(ip));
  // The scenario is really there (agreeing on nothing would prove nothing).
  const a = nl.views.get(NS.a)!;
  const b = nl.views.get(NS.b)!;
  assert.deepEqual(
    [
      nl.routes.find((r) => r.onlink),
      nl.links.find((l) => l.name === 'nl-vx')?.vxlan,
      nl.fdb?.length,
      nl.neighbours?.length,
      nl.links.find((l) => l.name === 'nl-v0')?.hairpin,
    ],
    [
      { dst: '10.63.0.0/24', family: 4, proto: '78', table: 'main', via: '10.63.0.0', dev: 'nl-vx', onlink: true },
      { vni: 61, port: 8472, learning: false, local: '10.61.0.1', dev: 'nl-br' },
      2,
      1,
      true,
    ],
  );
  assert.ok(a.routes.some((r) => r.dst === 'default' && r.family === 6) && a.addresses.some((x) => x.cidr === 'fd61::2/64'));
  assert.deepEqual([b.fdb, b.neighbours?.[0]?.addr], [[{ dev: 'vx-b', mac: '02:00:00:00:63:01', dst: '192.0.2.65' }], 'fd63::1']);
  assert.deepEqual(
    REFS.filter((r) => nl.views.get(r) === null),
    ['nl-none', '/run/netns/nl-none', NS.stale],
  );
});

test('netlink observer: one view per namespace, as iproute2 reads it; null for a missing one', { skip }, async () => {
  for (const ns of REFS) assert.deepEqual(await netlink().view(ns), await new IpObserver(runner).view(ns), ns);
});

test('a path that is not a network namespace is an error for both observers', { skip }, async () => {
  const refused = (e: unknown): boolean => e instanceof KernelError && e.kind === 'invalid';
  await assert.rejects(new IpObserver(runner).view('/proc/self/ns/mnt'), refused);
  await assert.rejects(netlink().view('/proc/self/ns/mnt'), refused);
});

test("the JS thread's namespace never changes, however many namespaces are read", { skip }, async () => {
  const inode = (): number[] => ['/proc/self/ns/net', '/proc/thread-self/ns/net'].map((p) => statSync(p).ino);
  const before = inode();
  for (let i = 0; i < 50; i++) await netlink().observe({ namespaces: REFS });
  assert.deepEqual(inode(), before);
  assert.equal(before[0], before[1]);
});

test('transactEach: per socket what transact reads, an error in the slot of a bad socket, a malformed request refused', { skip }, () => {
  assert.ok(status.loaded);
  const addon = status.addon;
  // Enough sockets that helper threads share them out.
  const paths = Array.from({ length: 20 }, (_, i) => `/run/netns/${i % 2 ? NS.a : NS.b}`);
  const fds = addon.open(paths).map((fd) => {
    assert.equal(typeof fd, 'number');
    return fd as number;
  });
  try {
    const names = (b: Buffer | Error): string[] => {
      assert.ok(Buffer.isBuffer(b), String(b));
      return linkRows(decodeMsgs(b)).map((l) => l.ifname);
    };
    const each = addon.transactEach([...fds, -1], dumpLinks(1));
    assert.deepEqual(
      each.slice(0, -1).map(names),
      fds.map((fd) => names(addon.transact(fd, dumpLinks(1)))),
    );
    assert.equal((each.at(-1) as NodeJS.ErrnoException).code, 'EBADF');
    assert.throws(() => addon.transactEach(fds, dumpLinks(0)), { code: 'EINVAL' });
    assert.deepEqual(addon.transactEach([], dumpLinks(1)), []);
  } finally {
    for (const fd of fds) addon.close(fd);
  }
});
