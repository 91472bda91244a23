/**
 * The kernel layer against a real kernel, inside the throwaway host: each operation creates,
 * observes and removes its object, and nothing is left behind.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoLeaks, kernelSkip } from '../helpers/kernel.js';
import {
  CountingRunner,
  ExecRunner,
  IpBatch,
  kernelObserver,
  KernelError,
  IP_FORWARD,
  addNamespace,
  deleteNamespace,
  ensureSysctl,
  listNamespaces,
  namespaceExists,
  isRemoval,
  runBatch,
  runOps,
  type Runner,
} from '../../src/kernel/index.js';
import { compare, opsOf, reasonsOf, type Comparison } from '../../src/drivers/compare.js';
import type { Expected, LinkWant } from '../../src/drivers/expect.js';
import type { KernelView } from '../../src/state/view.js';
import { isOwned, ownerAlias, parseOwner } from '../../src/state/marks.js';

const runner = new ExecRunner();
const skip = kernelSkip;

after(async () => {
  if (skip) return;
  // Veths first: a deleted namespace tears its veths down asynchronously.
  for (const l of ['kt-v0', 'kt-br', 'kt-vx', 'kt-plain']) await runBatch(runner, undefined, new IpBatch().linkDel(l)).catch(() => undefined);
  for (const n of await listNamespaces(runner)) await deleteNamespace(runner, n.name);
  assertNoLeaks();
});

test('namespace: add, exists, observe, delete', { skip }, async () => {
  await addNamespace(runner, 'kt-a');
  assert.equal(await namespaceExists(runner, 'kt-a'), true);
  assert.equal(await namespaceExists(runner, '/run/netns/kt-a'), true);
  assert.equal(await namespaceExists(runner, '/run/netns/kt-none'), false);
  const st = await kernelObserver(runner).observe({ namespaces: ['kt-a', 'kt-none'] });
  assert.ok(st.namespaces.some((n) => n.name === 'kt-a'));
  assert.equal(st.views.get('kt-none'), null);
  assert.deepEqual(
    st.views.get('kt-a')?.links.map((l) => l.name),
    ['lo'],
  );
  await deleteNamespace(runner, 'kt-a');
  assert.equal(await namespaceExists(runner, 'kt-a'), false);
  await assert.rejects(deleteNamespace(runner, '/proc/1/ns/net'), /never created or deleted/);
});

/** The kernel as the comparer sees it, for these namespaces. */
async function snapshot(namespaces: string[]): Promise<KernelView> {
  const st = await kernelObserver(runner).observe({ namespaces });
  return { host: st, netnsNames: new Set(st.namespaces.map((n) => n.name)), sandboxes: st.views, files: new Map(), firewall: [] };
}

/** Compares and runs the ops the way the executor does: removals, then the rest; the host's first, then each namespace's. */
async function converge(expected: Expected[], namespaces: string[], r: Runner = runner): Promise<Comparison> {
  const cmp = compare(expected, await snapshot(namespaces));
  const ops = opsOf(cmp);
  for (const removal of [true, false]) {
    const phase = ops.filter((o) => isRemoval(o) === removal);
    for (const ns of [undefined, ...new Set(phase.map((o) => o.ns).filter((n) => n !== undefined))]) {
      await runOps(
        r,
        ns,
        phase.filter((o) => o.ns === ns),
      );
    }
  }
  return cmp;
}

test('comparer on a real bridge: creates, then in sync with no writes; a changed mtu is fixed; an unmarked bridge is foreign', { skip }, async () => {
  const alias = ownerAlias('network', 'abc123');
  const want: LinkWant = {
    ns: undefined,
    name: 'kt-br',
    what: 'bridge kt-br',
    kind: 'bridge',
    mtu: 1400,
    alias,
    owner: alias,
    addresses: ['10.77.1.1/24'],
    exclusive: true,
  };
  const bridge: Expected = { type: 'link', want, create: { op: 'link-add', kind: 'bridge', name: 'kt-br', mtu: 1400, alias } };
  assert.deepEqual(reasonsOf(await converge([bridge], [])), ['bridge kt-br missing']);
  const c = new CountingRunner(runner);
  assert.deepEqual(reasonsOf(await converge([bridge], [], c)), []);
  assert.equal(c.writes, 0, 'in sync: nothing written');
  await runOps(runner, undefined, [{ op: 'link-set', name: 'kt-br', mtu: 1500 }]);
  assert.deepEqual(reasonsOf(await converge([bridge], [])), ['bridge kt-br mtu 1500 → 1400']);
  assert.deepEqual(reasonsOf(compare([bridge], await snapshot([]))), []);
  await runOps(runner, undefined, [{ op: 'link-add', kind: 'bridge', name: 'kt-plain' }]);
  const foreign = compare([{ ...bridge, want: { ...want, name: 'kt-plain', what: 'bridge kt-plain' } }], await snapshot([]));
  assert.deepEqual([foreign.problems, opsOf(foreign)], [["bridge kt-plain exists and is not netd's (no netd mark)"], []]);
  await runOps(runner, undefined, [
    { op: 'link-del', name: 'kt-br' },
    { op: 'link-del', name: 'kt-plain' },
  ]);
});

test('comparer on a real veth pair: the peer lands in the namespace, marked, addressed, and the pair is in sync after', { skip }, async () => {
  await addNamespace(runner, 'kt-b');
  await runBatch(runner, undefined, new IpBatch().linkAddBridge('kt-br', { up: true }));
  const alias = ownerAlias('endpoint', 'e1');
  const host: LinkWant = { ns: undefined, name: 'kt-v0', what: 'veth kt-v0', master: 'kt-br', mtu: 1450, alias, owner: alias };
  const peer: LinkWant = {
    ns: 'kt-b',
    name: 'eth0',
    what: 'interface eth0 in kt-b',
    mtu: 1450,
    alias,
    owner: alias,
    addresses: ['10.77.2.2/24'],
    exclusive: true,
  };
  const pair: Expected = {
    type: 'pair',
    host,
    peer,
    create: { op: 'link-add', kind: 'veth', name: 'kt-v0', mtu: 1450, alias, peer: { name: 'eth0', ns: 'kt-b', mtu: 1450 } },
  };
  assert.equal((await converge([pair], ['kt-b'])).rebuilt, true);
  const st = await kernelObserver(runner).observe({ namespaces: ['kt-b'] });
  const h = st.links.find((l) => l.name === 'kt-v0')!;
  const p = st.views.get('kt-b')!.links.find((l) => l.name === 'eth0')!;
  assert.deepEqual([h.kind, h.master, h.peerIndex, p.peerIndex, p.mtu, p.alias, p.up], ['veth', 'kt-br', p.index, h.index, 1450, alias, true]);
  assert.equal(typeof h.peerNetnsId, 'number');
  assert.ok(st.views.get('kt-b')!.addresses.some((a) => a.dev === 'eth0' && a.cidr === '10.77.2.2/24'));
  assert.deepEqual(reasonsOf(compare([pair], await snapshot(['kt-b']))), []);
  // An address nobody declared on netd's interface is removed; the pair is not rebuilt for it.
  await runOps(runner, 'kt-b', [{ op: 'addr-add', ns: 'kt-b', dev: 'eth0', cidr: '10.77.2.9/24' }]);
  const extra = await converge([pair], ['kt-b']);
  assert.deepEqual([reasonsOf(extra), extra.rebuilt], [['interface eth0 in kt-b address 10.77.2.9/24 not declared'], false]);
  await runBatch(runner, undefined, new IpBatch().linkDel('kt-v0').linkDel('kt-br'));
  assert.deepEqual(
    ((await kernelObserver(runner).view('kt-b'))?.links ?? []).map((l) => l.name),
    ['lo'],
  );
  await deleteNamespace(runner, 'kt-b');
});

test('vxlan ops carry the VNI and port; FDB entries go through bridge -batch', { skip }, async () => {
  const alias = ownerAlias('overlay', 'o1');
  const vx: Expected = {
    type: 'link',
    want: { ns: undefined, name: 'kt-vx', what: 'vxlan kt-vx', kind: 'vxlan', alias, owner: alias },
    create: { op: 'link-add', kind: 'vxlan', name: 'kt-vx', alias, vxlan: { vni: 4242, port: 8472, local: '127.0.0.1', learning: false } },
  };
  await converge([vx], []);
  const link = (await kernelObserver(runner).observe({ namespaces: [] })).links.find((l) => l.name === 'kt-vx')!;
  assert.deepEqual(link.vxlan, { vni: 4242, port: 8472, local: '127.0.0.1', learning: false });
  assert.deepEqual(reasonsOf(compare([vx], await snapshot([]))), []);
  // FDB ops run after the ip ops of a batch, so the delete is a batch of its own.
  await runOps(runner, undefined, [{ op: 'fdb-append', dev: 'kt-vx', mac: '02:00:00:00:00:01', dst: '192.0.2.9' }]);
  await runOps(runner, undefined, [{ op: 'link-del', name: 'kt-vx' }]);
});

test('an unowned link is reported unowned', { skip }, async () => {
  await runBatch(runner, undefined, new IpBatch().linkAddBridge('kt-plain').linkAddBridge('kt-br', { alias: ownerAlias('network', 'n1') }));
  const st = await kernelObserver(runner).observe({ namespaces: [] });
  const byName = new Map(st.links.map((l) => [l.name, l]));
  assert.equal(isOwned(byName.get('kt-plain')!), false);
  assert.deepEqual(parseOwner(byName.get('kt-br')!.alias), { kind: 'network', id: 'n1' });
  await runBatch(runner, undefined, new IpBatch().linkDel('kt-plain').linkDel('kt-br'));
});

test('addresses and routes: proto 78 routes observed, errors classified', { skip }, async () => {
  await runBatch(
    runner,
    undefined,
    new IpBatch().linkAddBridge('kt-br', { up: true }).addrAdd('kt-br', '10.77.0.1/24').addrAdd('kt-br', 'fd77::1/64', { nodad: true }),
  );
  await runBatch(runner, undefined, new IpBatch().routeAdd({ dst: '10.78.0.0/24', via: '10.77.0.2' }).routeReplace({ dst: 'fd78::/64', dev: 'kt-br' }));
  const st = await kernelObserver(runner).observe({ namespaces: [] });
  assert.deepEqual(st.routes.map((r) => [r.dst, r.family, r.proto]).sort(), [
    ['10.78.0.0/24', 4, '78'],
    ['fd78::/64', 6, '78'],
  ]);
  assert.ok(st.addresses.some((a) => a.dev === 'kt-br' && a.cidr === '10.77.0.1/24' && a.family === 4));
  await assert.rejects(runBatch(runner, undefined, new IpBatch().addrDel('kt-br', '10.77.0.9/24')), (e) => e instanceof KernelError && e.kind === 'not-found');
  await runBatch(
    runner,
    undefined,
    new IpBatch().routeDel({ dst: '10.78.0.0/24', via: '10.77.0.2' }).routeDel({ dst: 'fd78::/64', dev: 'kt-br' }).linkDel('kt-br'),
  );
  assert.deepEqual((await kernelObserver(runner).observe({ namespaces: [] })).routes, []);
});

test('sysctl in a namespace: changed once, then unchanged', { skip }, async () => {
  await addNamespace(runner, 'kt-s');
  const c = new CountingRunner(runner);
  assert.equal(await ensureSysctl(c, 'kt-s', IP_FORWARD, '1'), true);
  assert.equal(await ensureSysctl(c, 'kt-s', IP_FORWARD, '1'), false);
  assert.equal(c.writes, 1);
  await deleteNamespace(runner, 'kt-s');
});
