/** The three-host simulation itself (test/helpers/hosts.ts): hosts, underlay, etcd, cleanup. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoLeaks, kernelSkip } from '../helpers/kernel.js';
import { etcdSkip } from '../helpers/etcd.js';
import { UNDERLAY, ipJsonOn, netdOn, reboot, runOn, startSim } from '../helpers/hosts.js';
import { tcpExchange } from '../helpers/traffic.js';

const skip = kernelSkip || etcdSkip;

test('three simulated hosts reach each other, the outside and etcd over the underlay, and stop leaves nothing', { skip }, async () => {
  const sim = await startSim();
  try {
    const [a, b, c] = [sim.host('a'), sim.host('b'), sim.host('c')];
    for (const [from, to] of [
      [a, b],
      [b, c],
      [c, a],
    ] as const) {
      const r = await runOn(from, ['ping', '-c', '1', '-W', '2', to.ip]);
      assert.equal(r.code, 0, `${from.name} → ${to.name}: ${r.stdout}${r.stderr}`);
    }
    // Each host is its own network: only lo and eth0, and its own (empty) named namespaces.
    const links = await ipJsonOn<{ ifname: string }>(a, ['link', 'show']);
    assert.deepEqual(links.map((l) => l.ifname).sort(), ['eth0', 'lo']);
    assert.equal((await runOn(a, ['ls', '/run/netns'])).stdout, '');
    // The outside (the throwaway host) sees a host by its underlay address.
    assert.equal(await tcpExchange(b.prefix(), undefined, UNDERLAY.address, 7101), b.ip);
    const health = await runOn(c, [process.execPath, '-e', `fetch('${sim.etcd.endpoint}/health').then(r=>r.json()).then(j=>console.log(j.health))`]);
    assert.equal(health.stdout.trim(), 'true', health.stderr);
    // netd runs there with the host's own state dir.
    const v = await netdOn(c, ['version']);
    assert.equal(v.code, 0, v.stderr);
    // A reboot: the same host, address and MAC, a fresh kernel.
    const before = a.pid;
    const mac = async (): Promise<string | undefined> => (await ipJsonOn<{ address: string }>(a, ['link', 'show', 'eth0']))[0]?.address;
    const macBefore = await mac();
    await runOn(a, ['ip', 'netns', 'add', 'left-over']);
    await reboot(a);
    assert.notEqual(a.pid, before);
    assert.equal(await mac(), macBefore, 'eth0 keeps its MAC, as a NIC does');
    assert.equal((await runOn(a, ['ls', '/run/netns'])).stdout, '');
    assert.equal((await runOn(a, ['ping', '-c', '1', '-W', '2', c.ip])).code, 0);
  } finally {
    await sim.stop();
  }
  assertNoLeaks();
});
