/**
 * Namespaces whose only fate is deletion are read as links only (reconcile/snapshot.ts
 * leavingNamespaces), on a real kernel inside the throwaway host: their identity is still
 * checked (a namespace re-created under netd's name by someone else is left alone, by prune and
 * by `netd delete`), the plan and the foreign objects are those a full reading gives, and
 * deleting everything leaves nothing behind, even when a process still holds a namespace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { kernelLeftovers, kernelSkip as skip } from '../helpers/kernel.js';
import { netdLeaks } from '../helpers/leaks.js';
import { picture } from '../helpers/picture.js';
import { ALLOW_EMPTY, EMPTY, TestHost } from '../helpers/netd.js';
import { loadRecorded, observeKernel } from '../../src/reconcile/snapshot.js';
import { ExecRunner, IpObserver, kernelObserver, namespaceId, netlinkStatus } from '../../src/kernel/index.js';
import { diff } from '../../src/plan/diff.js';
import { foreignObjects } from '../../src/plan/foreign.js';
import type { RecordedState } from '../../src/plan/types.js';

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const ALL = `version: 1
networks:
  lv-a: { subnet: 10.93.0.0/24, bridge: lv-br-a }
  lv-b: { subnet: 10.94.0.0/24, bridge: lv-br-b }
containers:
  web: {}
  api: {}
  db: {}
attachments:
  - { container: web, network: lv-a }
  - { container: api, network: lv-a }
  - { container: db, network: lv-a }
  - { container: db, network: lv-b }
`;
/** ALL without web: what prunes web, and what `netd delete` of web leaves. */
const KEEP = ALL.replace('  web: {}\n', '').replace('  - { container: web, network: lv-a }\n', '');
const WEB = 'version: 1\ncontainers:\n  web: {}\n';

async function recorded(host: TestHost): Promise<RecordedState> {
  const e = await host.engine();
  try {
    return await loadRecorded(e.store);
  } finally {
    await e.store.close();
  }
}

const hostLinks = (): number => ip('-o', 'link', 'show').split('\n').filter(Boolean).length;

/**
 * Replaces netd's namespace "web" with the admin's, holding an interface of the name netd's had;
 * returns once the kernel has destroyed the old namespace's veth (its host end too), which it does
 * after `netns del` returns: two observations must not see the host end come and go.
 */
async function replaceWeb(): Promise<void> {
  const before = hostLinks();
  ip('netns', 'del', 'web');
  for (let waited = 0; hostLinks() >= before && waited < 10_000; waited += 10) await sleep(10);
  assert.equal(hostLinks(), before - 1, "web's host veth is gone");
  ip('netns', 'add', 'web');
  ip('-n', 'web', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'admin0');
  ip('-n', 'web', 'addr', 'add', '192.0.2.1/24', 'dev', 'eth0');
}

const goes: { name: string; run: (h: TestHost) => Promise<{ code: number; stdout: string; stderr: string }> }[] = [
  { name: 'prune (apply without it)', run: (h) => h.apply(KEEP) },
  { name: 'netd delete -f', run: (h) => h.cli(['delete'], WEB) },
];

for (const tc of goes) {
  test(`leaving namespaces: ${tc.name} leaves a namespace re-created under netd's name alone`, { skip }, async () => {
    const host = new TestHost();
    let replaced = false;
    try {
      assert.equal((await host.apply(ALL)).code, 0);
      replaced = true;
      await replaceWeb();
      const [before, id] = [picture('web'), await namespaceId('/run/netns/web')];
      const r = await tc.run(host);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /namespace "web" was replaced by one netd did not create: only the record is deleted/);
      assert.deepEqual(picture('web'), before, "the admin's namespace is as it was");
      assert.equal(await namespaceId('/run/netns/web'), id, 'the same namespace');
      const left = await recorded(host);
      assert.deepEqual(left.sandboxes.map((s) => s.container).sort(), ['api', 'db'], "netd's record of web is gone, the others stay");
      assert.deepEqual(
        netdLeaks(left).filter((l) => l !== 'netns web has no record'),
        [],
      );
    } finally {
      if (replaced) ip('netns', 'del', 'web');
      await host.teardown();
    }
  });
}

test('leaving namespaces: links-only observation plans what a full one plans', { skip }, async () => {
  const host = new TestHost();
  let replaced = false;
  try {
    assert.equal((await host.apply(ALL)).code, 0);
    replaced = true;
    await replaceWeb();
    // Drift inside a namespace that goes whole is not reported: it goes with the namespace.
    ip('-n', 'api', 'addr', 'flush', 'dev', 'eth0');
    const rec = await recorded(host);
    const runner = new ExecRunner();
    for (const [yaml, goes] of [
      [EMPTY, 'db'],
      [KEEP, 'web'],
    ] as const) {
      const desired = await host.desired(yaml);
      const light = await observeKernel(runner, desired, rec, kernelObserver(runner));
      const full = await observeKernel(runner, desired, rec, new IpObserver(runner));
      // With the addon, what goes is read as links only (iproute2 reads everything).
      if (netlinkStatus().loaded) assert.deepEqual(light.sandboxes.get(goes)?.addresses, [], `${goes} was read as links only`);
      assert.ok((full.sandboxes.get(goes)?.addresses.length ?? 0) > 0, `${goes} read whole has addresses`);
      assert.deepEqual(light.sandboxes.get(goes)?.links, full.sandboxes.get(goes)?.links);
      assert.deepEqual(diff(desired, rec, light).changes, diff(desired, rec, full).changes, yaml);
      assert.deepEqual(foreignObjects(rec, light), foreignObjects(rec, full));
      assert.equal(foreignObjects(rec, light).length, 1, 'web is foreign');
    }
  } finally {
    if (replaced) ip('netns', 'del', 'web');
    await host.teardown();
  }
});

const all: { name: string; run: (h: TestHost) => Promise<{ code: number; stdout: string; stderr: string }> }[] = [
  { name: 'apply of nothing', run: (h) => h.apply(EMPTY, ALLOW_EMPTY) },
  { name: 'netd delete -f', run: (h) => h.cli(['delete'], ALL) },
];

for (const tc of all) {
  test(`leaving namespaces: ${tc.name} deletes everything and leaves nothing, a namespace a process holds too`, { skip }, async () => {
    const host = new TestHost();
    let holder: ReturnType<typeof spawn> | undefined;
    try {
      assert.equal((await host.apply(ALL)).code, 0);
      // A process in db's namespace keeps it alive after `netns del`: its veths must go all the same.
      holder = spawn('nsenter', ['--net=/run/netns/db', 'sleep', '60'], { stdio: 'ignore' });
      await new Promise((resolve) => holder!.once('spawn', resolve));
      const r = await tc.run(host);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const left = await recorded(host);
      assert.deepEqual(netdLeaks(left), []);
      assert.deepEqual([left.networks, left.sandboxes, left.endpoints, left.allocations], [[], [], [], []]);
      assert.deepEqual(kernelLeftovers(), []);
    } finally {
      holder?.kill('SIGKILL');
      await host.teardown();
    }
  });
}
