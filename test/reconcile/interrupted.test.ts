/**
 * What an interrupted replace leaves — the old record `deleting` beside its replacement under
 * the same name — on a real kernel: one apply deletes the old record by id and leaves the live
 * objects (veth, namespace, bridge, address) untouched; diff is clean and nothing leaks. Before
 * issue 11 the diff saw one record per name, so each apply "replaced" the live one and the old
 * one stayed (`get attachments` listed every container twice). Also: a delete killed after its
 * outcome txn, before the firewall: the next delete (with nothing left to delete) finishes it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { netdLeaks } from '../helpers/leaks.js';
import { TestHost } from '../helpers/netd.js';
import { loadRecorded } from '../../src/reconcile/snapshot.js';
import { newId } from '../../src/controller/controller.js';
import { endpointKey, hostVethName, networkKey, sandboxKey } from '../../src/state/records.js';
import type { RecordedState } from '../../src/plan/types.js';
import type { Op } from '../../src/store/store.js';

const YAML = `version: 1
networks:
  front: { subnet: 10.97.0.0/24, bridge: br-int }
containers:
  web: {}
  api: {}
attachments:
  - { container: web, network: front }
  - { container: api, network: front, ipv4: 10.97.0.20 }
`;

let host: TestHost;
before(() => {
  host = new TestHost();
});
after(async () => {
  if (!skip) await host.teardown();
});

const ifindex = (args: string[]): number => (JSON.parse(execFileSync('ip', ['-json', ...args], { encoding: 'utf8' })) as { ifindex: number }[])[0]!.ifindex;
/** What must survive untouched: the bridge, web's veth pair and api's (its static address inside). */
const live = (): string =>
  JSON.stringify([ifindex(['link', 'show', 'br-int']), ifindex(['-n', 'web', 'link', 'show', 'eth0']), ifindex(['-n', 'api', 'link', 'show', 'eth0'])]);

async function recorded(): Promise<RecordedState> {
  const e = await host.engine();
  try {
    return await loadRecorded(e.store);
  } finally {
    await e.store.close();
  }
}

/** A copy of a record under a new id, `deleting`: what a replace killed after its intent leaves. */
const cases: { name: string; stale: (r: RecordedState) => Op }[] = [
  {
    name: 'attachment',
    stale: (r) => {
      const ep = r.endpoints.find((e) => e.container === 'api')!;
      const id = newId();
      return { type: 'put', key: endpointKey(id), value: { ...ep, id, hostVeth: hostVethName(id), state: 'deleting' } };
    },
  },
  {
    name: 'container',
    stale: (r) => {
      const id = newId();
      return { type: 'put', key: sandboxKey(id), value: { ...r.sandboxes.find((s) => s.container === 'web')!, id, state: 'deleting' } };
    },
  },
  {
    name: 'network (its bridge declared)',
    stale: (r) => {
      const id = newId();
      return { type: 'put', key: networkKey(id), value: { ...r.networks[0]!, id, state: 'deleting' } };
    },
  },
];

for (const tc of cases) {
  test(`an old ${tc.name} record left deleting beside its replacement: one apply deletes it, the live objects stay`, { skip }, async () => {
    assert.equal((await host.apply(YAML)).code, 0);
    const before = live();
    const e = await host.engine();
    try {
      assert.ok((await e.store.txn([], [tc.stale(await loadRecorded(e.store))])).succeeded);
    } finally {
      await e.store.close();
    }
    assert.equal((await host.diff(YAML)).code, 2, 'diff sees the old record');
    const r = await host.apply(YAML);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /0 created, 1 deleted, 0 failed/);
    assert.equal(live(), before, 'the live bridge and veths were not rebuilt');
    assert.ok(existsSync('/etc/netns/web/hosts'), "the live container's files stay");
    const d = await host.diff(YAML);
    assert.equal(d.code, 0, d.stdout);
    const rec = await recorded();
    assert.deepEqual(rec.endpoints.map((x) => x.container).sort(), ['api', 'web'], 'one record per attachment');
    assert.deepEqual(
      rec.allocations.map((a) => a.address).sort(),
      [rec.endpoints.find((x) => x.container === 'web')!.ipv4, '10.97.0.20'].sort(),
      'the live addresses stay allocated',
    );
    assert.deepEqual(netdLeaks(rec), []);
  });
}

test('a delete killed after its outcome txn left the nft tables: the next delete -f, with nothing left to delete, removes them', { skip }, async () => {
  assert.equal((await host.apply(YAML)).code, 0);
  const ruleset = execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });
  assert.equal((await host.cli(['delete'], YAML)).code, 0);
  // What the kill left: the records are gone, the tables are not.
  execFileSync('nft', ['-f', '-'], { input: ruleset });
  const d = await host.cli(['delete'], YAML);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).trim(), '');
  assert.equal((await host.cli(['doctor'])).code, 0);
});
