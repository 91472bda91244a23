/**
 * Verify after apply reads back only what the apply wrote: the namespaces its steps touched,
 * the /etc/netns files it wrote and netd's nft tables only when it loaded them. What it did
 * write is still checked (the hosts files of every peer of a changed address).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { TestHost } from '../helpers/netd.js';
import { apply, planChanges } from '../../src/reconcile/reconcile.js';

const yaml = (db: string): string => `version: 1
networks:
  vr: { subnet: 10.97.0.0/24, bridge: vr0 }
containers:
  va: {}
  vb: {}
  vc: {}
attachments:
  - { container: va, network: vr, ipv4: 10.97.0.10 }
  - { container: vb, network: vr, ipv4: 10.97.0.11 }
  - { container: vc, network: vr, ipv4: ${db} }
`;

const host = new TestHost();
after(async () => {
  if (!skip) await host.teardown();
});

const nftLists = (log: readonly { argv: string[] }[]): number => log.filter((l) => l.argv.includes('nft') && l.argv.includes('list')).length;

test('verify reads back what apply wrote, not the whole host again', { skip }, async () => {
  assert.equal((await host.apply(yaml('10.97.0.12'))).code, 0);
  const changed = await host.desired(yaml('10.97.0.13'));
  const probe = await host.engine();
  let once: number;
  try {
    await planChanges(probe, changed);
    once = nftLists(probe.runner.log);
  } finally {
    await probe.store.close();
  }
  const e = await host.engine();
  try {
    const r = await apply(e, changed);
    assert.equal(r.plan.changes.length, 1, JSON.stringify(r.plan.changes));
    assert.deepEqual(r.remaining, []);
    // One observation's nft listing (the plan's); the firewall was not reloaded, so verify reuses it.
    assert.equal(nftLists(e.runner.log), once, e.runner.log.map((l) => l.argv.join(' ')).join('\n'));
  } finally {
    await e.store.close();
  }
  // The peers' hosts files were rewritten (and checked by verify): the next diff is clean.
  assert.match(readFileSync('/etc/netns/va/hosts', 'utf8'), /10\.97\.0\.13\tvc/);
  const d = await host.diff(yaml('10.97.0.13'));
  assert.equal(d.code, 0, d.stdout);
});
