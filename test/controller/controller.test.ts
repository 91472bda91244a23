/**
 * The controller's logic above the kernel seam (a recording fake HostOps, the memory store):
 * intent before kernel work, undo on failure with the original error, libnetwork's delete
 * rules, predefined networks, batching of many steps into one batch per namespace.
 */
import { renderOp } from '../../src/kernel/index.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetdError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { MemoryStore } from '../../src/store/memory.js';
import { NO_HOST_RESOLV } from '../../src/state/resolv.js';
import { ENDPOINTS, IPAM, NETWORKS, SANDBOXES, type SandboxRecord } from '../../src/state/records.js';
import { Ipam } from '../../src/ipam/ipam.js';
import { staticHostInfo } from '../../src/ipam/host-facts.js';
import { loadDesiredState } from '../../src/desired/validate.js';
import type { DesiredState } from '../../src/desired/types.js';
import { Controller, type CommitResult } from '../../src/controller/controller.js';
import { NetworkController } from '../../src/controller/api.js';
import type { HostOps } from '../../src/controller/ports.js';
import { defaultDrivers } from '../../src/drivers/registry.js';
import { repairSandbox } from '../../src/controller/sandboxes.js';
import type { KernelView } from '../../src/plan/types.js';

const YAML = `version: 1
networks:
  front: { subnet: 10.88.0.0/24 }
containers:
  web: {}
  api: {}
attachments:
  - { container: web, network: front }
  - { container: api, network: front }
`;

const EMPTY_KERNEL: KernelView = {
  host: { links: [], addresses: [], routes: [] },
  netnsNames: new Set(),
  sandboxes: new Map(),
  files: new Map(),
  firewall: [],
};

interface Fake {
  api: NetworkController;
  store: MemoryStore;
  desired: DesiredState;
  batches: { ns: string | undefined; lines: readonly string[]; force: boolean }[];
}

async function setup(failOn?: RegExp): Promise<Fake> {
  const r = await loadDesiredState(['-'], { stdin: YAML });
  assert.ok(r.ok);
  const store = new MemoryStore();
  const batches: Fake['batches'] = [];
  const host: HostOps = {
    batch: {
      // eslint-disable-next-line @typescript-eslint/require-await -- fakes an async interface: async turns its throw into a rejection
      async run(ns, ops, opts) {
        const lines = ops.map((o) => renderOp(o).join('\n'));
        batches.push({ ns, lines, force: opts?.force === true });
        const at = failOn && !opts?.force ? lines.findIndex((l) => failOn.test(l)) : -1;
        if (at >= 0) throw Object.assign(new NetdError('conflict', `"${lines[at]}": RTNETLINK answers: File exists`), { opIndex: at });
      },
    },
    resolv: NO_HOST_RESOLV,
    readFile: () => Promise.resolve(null),
    writeFile: () => Promise.resolve(),
    removeNetnsDir: () => Promise.resolve(),
    linksLeft: () => Promise.resolve([]),
    ensureSysctls: () => Promise.resolve(false),
    syncFirewall: () => Promise.resolve(false),
  };
  const c = new Controller({
    store,
    host,
    drivers: defaultDrivers(),
    ipam: await Ipam.load(store, r.state, staticHostInfo([], [])),
    kernel: EMPTY_KERNEL,
    log: silentLogger,
  });
  return { api: new NetworkController(c), store, desired: r.state, batches };
}

/** The network, then per attachment its sandbox, endpoint and join, in one transaction. */
async function commitAll(f: Fake): Promise<CommitResult> {
  const c = f.api.controller;
  c.begin();
  const net = await f.api.newNetwork(f.desired.networks[0]!);
  for (const a of f.desired.attachments) {
    const sb = await f.api.newSandbox(f.desired.containers.find((x) => x.name === a.container)!);
    await (await net.createEndpoint(a, sb)).join(sb);
  }
  return c.commit();
}

async function buildAll(f: Fake): Promise<void> {
  assert.deepEqual(
    (await commitAll(f)).failed.map((s) => s.label),
    [],
  );
}

test('one transaction: one host batch per phase and one batch per namespace', async () => {
  const f = await setup();
  await buildAll(f);
  assert.equal(f.batches[0]!.ns, undefined, 'the host batch runs first');
  assert.deepEqual(f.batches.map((b) => b.ns ?? 'host').sort(), ['api', 'host', 'web']);
  const host = f.batches[0]!.lines;
  assert.ok(host.indexOf('netns add web') < host.findIndex((l) => l.includes('type veth')), 'namespaces before veths');
  assert.ok(host.some((l) => l.startsWith('link add nd-') && l.includes('type bridge')));
  const records = await f.store.list<{ state: string }>(ENDPOINTS);
  assert.deepEqual(
    records.map((r) => r.value.state),
    ['ready', 'ready'],
  );
  assert.equal((await f.store.list(IPAM)).length, 2);
});

test('a failed step is undone, its records and addresses removed, the others kept, the error is the original', async () => {
  const f = await setup(/peer name eth0 .*netns web/);
  const r = await commitAll(f);
  assert.deepEqual(
    r.failed.map((s) => s.label),
    ['create endpoint "web/front"'],
  );
  assert.match(String((r.failed[0]!.error as Error).message), /File exists/);
  const eps = await f.store.list<{ container: string; state: string }>(ENDPOINTS);
  assert.deepEqual(
    eps.map((e) => [e.value.container, e.value.state]),
    [['api', 'ready']],
  );
  assert.equal((await f.store.list(IPAM)).length, 1, 'the failed endpoint released its address');
  const undo = f.batches.filter((b) => b.force);
  assert.ok(
    undo.some((b) => b.lines.some((l) => l.startsWith('link del dev nd'))),
    'its veth is removed best-effort',
  );
  // The host batch went on after the failing step: api's veth was created after web's failed.
  const hostRuns = f.batches.filter((b) => b.ns === undefined && !b.force);
  assert.ok(hostRuns.length >= 2, 'resumed after the failed step');
});

test('deleting a network with endpoints is refused, naming them; predefined networks cannot be deleted', async () => {
  const f = await setup();
  await buildAll(f);
  const net = f.api.network('front')!;
  await assert.rejects(net.delete(), /delete network "front": endpoints remain: (web\/front, api\/front|api\/front, web\/front)/);
  await assert.rejects(f.api.network('host')!.delete(), (e) => e instanceof NetdError && /predefined networks cannot be deleted/.test(e.message));
  await net.delete({ force: true });
  assert.deepEqual(await f.store.list(NETWORKS), []);
  assert.deepEqual(await f.store.list(ENDPOINTS), []);
  assert.deepEqual(await f.store.list(IPAM), [], 'addresses released with their endpoints');
});

test('intent is written before kernel work: a crash after it leaves creating/deleting records', async () => {
  const f = await setup();
  let seen: string[] = [];
  const batch = f.api.controller.deps.host.batch;
  const run = batch.run.bind(batch);
  f.api.controller.deps.host.batch.run = async (ns, lines, o) => {
    if (seen.length === 0) seen = (await f.store.list<{ state: string }>(NETWORKS)).map((r) => r.value.state);
    return run(ns, lines, o);
  };
  await buildAll(f);
  assert.deepEqual(seen, ['creating']);
});

test('a retryable kernel error is retried with backoff, from the failing step on', async () => {
  const f = await setup();
  let busy = 2;
  let attempts = 0;
  const batch = f.api.controller.deps.host.batch;
  const run = batch.run.bind(batch);
  f.api.controller.deps.host.batch.run = async (ns, ops, o) => {
    const at = ops.findIndex((op) => op.op === 'link-add' && op.kind === 'veth');
    if (ns === undefined) attempts++;
    if (ns === undefined && at >= 0 && busy-- > 0) {
      if (at > 0) await run(ns, ops.slice(0, at), o); // the ops before it were applied
      throw Object.assign(new NetdError('retry', 'RTNETLINK answers: Device or resource busy'), { opIndex: at });
    }
    return run(ns, ops, o);
  };
  await buildAll(f);
  const host = f.batches.filter((b) => b.ns === undefined).map((b) => b.lines);
  assert.equal(attempts, 3, 'two busy answers, then the rest of the batch');
  assert.equal(host.length, 2);
  assert.ok(host[1]![0]!.includes('type veth'), 'the retry starts at the failing step, not at the top');
});

/** The kernel as buildAll left it: each sandbox's veth pair intact (host side and its marked peer). */
function builtKernel(f: Fake): KernelView {
  const eps = [...f.api.controller.endpoints.values()];
  return {
    ...EMPTY_KERNEL,
    host: { links: eps.map((e) => ({ name: e.hostVeth!, up: true, alias: `netd:endpoint:${e.id}` })), addresses: [], routes: [] },
    netnsNames: new Set(['web', 'api']),
    sandboxes: new Map(eps.map((e) => [e.container, { links: [{ name: 'eth0', up: true, alias: `netd:endpoint:${e.id}` }], addresses: [], routes: [] }])),
  };
}

for (const tc of [
  { name: 'it is deleted: the veth goes with it, waited for, its record deleted', fail: false, records: ['api'] },
  { name: 'deleting it fails: the endpoint record stays deleting for the next run', fail: true, records: ['api', 'web'] },
]) {
  test(`a namespace with its veths in one step (netns del, no link del); ${tc.name}`, async () => {
    const f = await setup(tc.fail ? /^netns del web/ : undefined);
    await buildAll(f);
    const c = f.api.controller;
    await c.load();
    c.kernel = builtKernel(f);
    const veth = c.endpointOf('web', 'front')!.hostVeth!;
    let waited: readonly string[] = [];
    c.deps.host.linksLeft = (names) => ((waited = names), Promise.resolve([]));
    f.batches.length = 0;
    c.begin();
    await f.api.sandbox('web')!.delete();
    const r = await c.commit();
    const lines = f.batches.filter((b) => !b.force).flatMap((b) => b.lines);
    assert.ok(lines.includes('netns del web'));
    assert.ok(!lines.some((l) => l.startsWith('link del')), lines.join(' | '));
    assert.deepEqual(waited, tc.fail ? [] : [veth]);
    assert.deepEqual(r.failed.map((s) => s.label).sort(), tc.fail ? ['delete container "web"', 'delete endpoint "web/front"'] : []);
    const eps = await f.store.list<{ container: string }>(ENDPOINTS);
    assert.deepEqual(eps.map((e) => e.value.container).sort(), tc.records);
  });
}

test('identity: a namespace netd creates is recorded with the identity read after its netns add; a re-created one, with its new one', async () => {
  const f = await setup();
  const c = f.api.controller;
  const ids = new Map([
    ['web', '4:1'],
    ['api', '4:2'],
  ]);
  const stored = async (): Promise<Map<string, string | undefined>> =>
    new Map((await f.store.list<SandboxRecord>(SANDBOXES)).map((kv) => [kv.value.container, kv.value.nsId]));
  c.deps.host.namespaceId = (ref) => {
    assert.ok(
      f.batches.some((b) => b.lines.includes(`netns add ${ref}`)),
      `${ref} is read after its netns add`,
    );
    return Promise.resolve(ids.get(ref));
  };
  await buildAll(f);
  assert.deepEqual(await stored(), new Map([...ids]));

  // web's namespace is gone: the repair re-creates it; until then the record claims no identity.
  await c.load();
  const built = builtKernel(f);
  c.kernel = { ...built, netnsNames: new Set(['api']), sandboxes: new Map([...built.sandboxes].filter(([ns]) => ns !== 'web')) };
  ids.set('web', '4:9');
  let during: string | undefined = 'unread';
  const batch = c.deps.host.batch;
  const run = batch.run.bind(batch);
  batch.run = async (ns, lines, o) => {
    during = (await stored()).get('web');
    return run(ns, lines, o);
  };
  f.batches.length = 0;
  c.begin();
  await repairSandbox(c, c.sandboxOf('web')!);
  await c.commit();
  assert.equal(during, undefined, 'the intent drops the old identity');
  assert.equal((await stored()).get('web'), '4:9');
});
