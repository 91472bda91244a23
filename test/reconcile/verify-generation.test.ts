/**
 * Verify after a cold apply reads netd's nft tables from its own load, not by listing them,
 * when nothing else changed the ruleset since (nft-cache.ts): the ruleset generation moved by
 * netd's transaction alone. When another writer changed it between the load and verify, the
 * tables are listed and what it did is found. Without the addon (NETD_NETLINK=0) there is no
 * generation: verify lists.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { EMPTY, ALLOW_EMPTY, TestHost } from '../helpers/netd.js';
import { netlinkStatus } from '../../src/kernel/netlink/addon.js';
import { execute, planChanges, verify } from '../../src/reconcile/reconcile.js';

const YAML = `version: 1
networks:
  vg: { subnet: 10.96.0.0/24, bridge: vg0 }
  vq: { subnet: 10.96.1.0/24, bridge: vq0, icc: false }
containers:
  ga: {}
  gb: {}
attachments:
  - { container: ga, network: vg, ipv4: 10.96.0.10, ports: [{ hostPort: 8096, containerPort: 80 }] }
  - { container: gb, network: vq, ipv4: 10.96.1.10 }
`;

const host = new TestHost();
after(async () => {
  if (!skip) await host.teardown();
});

const withAddon = netlinkStatus().loaded;
const nftLists = (log: readonly { argv: string[] }[]): string[] =>
  log.filter((l) => l.argv.includes('nft') && l.argv.includes('list')).map((l) => l.argv.join(' '));

const cases: { name: string; other?: string[]; lists: boolean; drift: boolean }[] = [
  { name: 'nothing else wrote: the loaded tables are verified without listing', lists: !withAddon, drift: false },
  { name: 'another table created after the load: listed, in sync', other: ['add', 'table', 'ip', 'vg-other'], lists: true, drift: false },
  {
    name: 'a rule added to netd’s table after the load: listed, found',
    other: ['add', 'rule', 'inet', 'netd', 'forward', 'counter'],
    lists: true,
    drift: true,
  },
];

for (const c of cases) {
  test(`cold apply, then verify: ${c.name}`, { skip }, async () => {
    const desired = await host.desired(YAML);
    const e = await host.engine();
    try {
      const p = await planChanges(e, desired);
      const done = await execute(e, desired, p);
      assert.ok(
        e.runner.log.some((l) => l.argv.join(' ') === 'nft -f -'),
        'the cold apply loaded the tables',
      );
      if (c.other) execFileSync('nft', c.other);
      e.runner.reset();
      const remaining = await verify(e, desired, p, done);
      assert.equal(nftLists(e.runner.log).length > 0, c.lists, nftLists(e.runner.log).join('\n'));
      const firewall = remaining.filter((r) => r.kind === 'firewall');
      assert.equal(firewall.length > 0, c.drift, JSON.stringify(remaining));
      if (c.drift) assert.match(JSON.stringify(firewall), /table inet netd chain forward: extra rule \(handle \d+\)/);
      assert.equal(remaining.length, firewall.length, JSON.stringify(remaining));
    } finally {
      await e.store.close();
      if (c.other?.includes('vg-other')) execFileSync('nft', ['delete', 'table', 'ip', 'vg-other']);
      const r = await host.apply(EMPTY, ALLOW_EMPTY);
      assert.equal(r.code, 0, r.stderr);
    }
  });
}
