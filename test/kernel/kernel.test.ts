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
  IpObserver,
  KernelError,
  IP_FORWARD,
  addNamespace,
  deleteNamespace,
  ensureBridge,
  ensureSysctl,
  ensureVeth,
  ensureVxlan,
  listNamespaces,
  namespaceExists,
  readLink,
  runBatch,
} from '../../src/kernel/index.js';
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
  const st = await new IpObserver(runner).observe({ namespaces: ['kt-a', 'kt-none'] });
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

test('bridge: ensure creates, re-ensure writes nothing, a different mtu is a conflict', { skip }, async () => {
  const c = new CountingRunner(runner);
  const alias = ownerAlias('network', 'abc123');
  const first = await ensureBridge(c, undefined, 'kt-br', { mtu: 1400, alias, up: true });
  assert.equal(first.created, true);
  assert.deepEqual([first.link.kind, first.link.mtu, first.link.alias, first.link.up], ['bridge', 1400, alias, true]);
  c.reset();
  assert.equal((await ensureBridge(c, undefined, 'kt-br', { mtu: 1400, alias })).created, false);
  assert.equal(c.writes, 0);
  await assert.rejects(ensureBridge(c, undefined, 'kt-br', { mtu: 1500, alias }), { code: 'conflict', message: 'bridge "kt-br": mtu 1400, want 1500' });
  await runBatch(runner, undefined, new IpBatch().linkDel('kt-br'));
  assert.equal(await readLink(runner, undefined, 'kt-br'), undefined);
});

test('veth: the peer lands in the namespace, with its partner checked', { skip }, async () => {
  await addNamespace(runner, 'kt-b');
  await runBatch(runner, undefined, new IpBatch().linkAddBridge('kt-br', { up: true }));
  const opts = { peerNetns: 'kt-b', peerMtu: 1450, mtu: 1450, alias: ownerAlias('endpoint', 'e1') };
  const v = await ensureVeth(runner, undefined, 'kt-v0', 'eth0', opts);
  assert.equal(v.created, true);
  await runBatch(runner, undefined, new IpBatch().linkSet('kt-v0', { master: 'kt-br', up: true }));
  const st = await new IpObserver(runner).observe({ namespaces: ['kt-b'] });
  const host = st.links.find((l) => l.name === 'kt-v0')!;
  const peer = st.views.get('kt-b')!.links.find((l) => l.name === 'eth0')!;
  assert.deepEqual([host.kind, host.master, host.peerIndex, peer.peerIndex, peer.mtu], ['veth', 'kt-br', peer.index, host.index, 1450]);
  assert.equal(typeof host.peerNetnsId, 'number');
  assert.equal((await ensureVeth(runner, undefined, 'kt-v0', 'eth0', opts)).created, false);
  await assert.rejects(ensureVeth(runner, undefined, 'kt-v0', 'eth1', opts), { code: 'conflict', message: /peer "eth1" not found in namespace "kt-b"/ });
  await runBatch(runner, undefined, new IpBatch().linkDel('kt-v0').linkDel('kt-br'));
  assert.deepEqual(
    ((await new IpObserver(runner).view('kt-b'))?.links ?? []).map((l) => l.name),
    ['lo'],
  );
  await deleteNamespace(runner, 'kt-b');
});

test('vxlan carries its VNI and port; a different VNI is a conflict', { skip }, async () => {
  const o = { vni: 4242, port: 8472, local: '127.0.0.1', learning: false, alias: ownerAlias('overlay', 'o1') };
  const v = await ensureVxlan(runner, undefined, 'kt-vx', o);
  assert.deepEqual(v.link.vxlan, { vni: 4242, port: 8472, local: '127.0.0.1', learning: false });
  await assert.rejects(ensureVxlan(runner, undefined, 'kt-vx', { ...o, vni: 1 }), { code: 'conflict', message: 'vxlan "kt-vx": vni 4242, want 1' });
  // FDB lines run after the ip lines of a batch, so the delete is a batch of its own.
  await runBatch(runner, undefined, new IpBatch().fdbAppend('kt-vx', '02:00:00:00:00:01', '192.0.2.9'));
  await runBatch(runner, undefined, new IpBatch().linkDel('kt-vx'));
});

test('an unowned link is reported unowned', { skip }, async () => {
  await runBatch(runner, undefined, new IpBatch().linkAddBridge('kt-plain').linkAddBridge('kt-br', { alias: ownerAlias('network', 'n1') }));
  const st = await new IpObserver(runner).observe({ namespaces: [] });
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
  const st = await new IpObserver(runner).observe({ namespaces: [] });
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
  assert.deepEqual((await new IpObserver(runner).observe({ namespaces: [] })).routes, []);
});

test('sysctl in a namespace: changed once, then unchanged', { skip }, async () => {
  await addNamespace(runner, 'kt-s');
  const c = new CountingRunner(runner);
  assert.equal(await ensureSysctl(c, 'kt-s', IP_FORWARD, '1'), true);
  assert.equal(await ensureSysctl(c, 'kt-s', IP_FORWARD, '1'), false);
  assert.equal(c.writes, 1);
  await deleteNamespace(runner, 'kt-s');
});
