/**
 * examples/overlay: each host file applies on its own (inside the throwaway host, a real etcd
 * in place of the example's endpoint, a veth `eth0` as the external interface), takes a lease,
 * and gives it back on delete.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listLeases } from '../../src/cluster/lease.js';
import { kernelSkip } from '../helpers/kernel.js';
import { etcdSkip } from '../helpers/etcd.js';
import { ROOT } from '../helpers/cli.js';
import { oneHost, type OneHost } from './one-host.js';

const skip = kernelSkip || etcdSkip;

let h: OneHost;
before(async () => {
  if (!skip) h = await oneHost('eth0', '192.0.2.10/24');
});
after(async () => {
  if (!skip) await h.close();
});

for (const file of ['host-a.yaml', 'host-b.yaml']) {
  test(`examples/overlay/${file} applies on its own and its delete gives the lease back`, { skip }, async () => {
    const text = readFileSync(join(ROOT, 'examples/overlay', file), 'utf8');
    assert.match(text, /"http:\/\/192\.0\.2\.1:2379"/);
    const yaml = text.replace('http://192.0.2.1:2379', h.etcd.endpoint);
    const r = await h.host.apply(yaml);
    assert.equal(r.code, 0, r.stderr);
    const leases = await listLeases(h.store, '/netd-example', 'ex-overlay');
    assert.deepEqual(
      leases.map((l) => [l.publicIp, l.backend, l.vni, l.expiresIn !== undefined && l.expiresIn > 86000]),
      [['192.0.2.10', 'vxlan', 42, true]],
    );
    assert.equal((await h.host.cli(['delete'], yaml)).code, 0);
    assert.deepEqual(await listLeases(h.store, '/netd-example', 'ex-overlay'), []);
  });
}
