import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDesiredState } from '../../src/desired/validate.js';
import type { DesiredState } from '../../src/desired/types.js';

async function state(yaml: string): Promise<DesiredState> {
  const r = await loadDesiredState(['-'], { stdin: yaml });
  if (!r.ok) assert.fail(JSON.stringify(r.errors));
  return r.state;
}

test('defaults are applied and the state is frozen', async () => {
  const s = await state(
    'version: 1\nnetworks:\n  n: {subnet: 10.88.0.0/24, ipv6: {subnet: "FD00:0:0::/64"}}\ncontainers:\n  c: {}\nattachments:\n  - {container: c, network: n, ports: [{hostPort: 80, containerPort: 8080}]}\n',
  );
  const n = s.networks[0]!;
  assert.deepEqual(n.ipv4, { subnet: '10.88.0.0/24', gateway: '10.88.0.1', reserved: [] });
  assert.deepEqual(n.ipv6, { subnet: 'fd00::/64', gateway: 'fd00::1', reserved: [] });
  assert.deepEqual([n.driver, n.mtu, n.masquerade, n.icc, n.internal], ['bridge', 1500, true, true, false]);
  assert.deepEqual(s.containers[0]!.netns, { kind: 'named', name: 'c' });
  assert.equal(s.containers[0]!.hostname, 'c');
  assert.deepEqual(s.attachments[0]!.ports, [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }]);
  assert.deepEqual(n.loc, { file: '<stdin>', line: 3, column: 3 });
  assert.ok(Object.isFrozen(s) && Object.isFrozen(s.networks[0]) && Object.isFrozen(n.ipv4));
});

test('default interfaces: lowest unused ethN per container, in declaration order', async () => {
  const nets = ['a', 'b', 'c', 'd'].map((x, i) => `  ${x}: {subnet: 10.88.${i}.0/24}`).join('\n');
  const s = await state(
    `version: 1\nnetworks:\n${nets}\ncontainers:\n  x: {}\n  y: {}\nattachments:\n  - {container: x, network: a}\n  - {container: x, network: b, interface: eth0}\n  - {container: x, network: c}\n  - {container: y, network: d}\n`,
  );
  assert.deepEqual(
    s.attachments.map((a) => a.interface),
    ['eth1', 'eth0', 'eth2', 'eth0'],
  );
});

test('overlay and cluster defaults', async () => {
  const s = await state('version: 1\ncluster:\n  etcd: {endpoints: ["http://127.0.0.1:2379"]}\nnetworks:\n  o: {driver: overlay, subnet: 10.89.0.0/16}\n');
  assert.deepEqual(s.networks[0]!.overlay, { range: '10.89.0.0/16', subnetLen: 24, backend: 'vxlan', vni: 1, port: 8472 });
  assert.equal(s.networks[0]!.ipv4!.gateway, undefined);
  assert.deepEqual([s.cluster!.etcd.prefix, s.cluster!.leaseTtl], ['/netd', 86400]);
});

test('path netns, host networks and a network without subnet', async () => {
  const s = await state(
    'version: 1\nnetworks:\n  h: {driver: host}\n  p: {}\ncontainers:\n  l: {netns: /proc/42/ns/net}\n  q: {}\nattachments:\n  - {container: l, network: h}\n  - {container: q, network: p}\n',
  );
  assert.deepEqual(s.containers[0]!.netns, { kind: 'path', path: '/proc/42/ns/net' });
  assert.equal(s.networks[0]!.ipv4, undefined);
  assert.deepEqual(s.networks[1]!.ipv4, { reserved: [] });
  assert.deepEqual(
    s.attachments.map((a) => a.interface),
    ['', 'eth0'],
  );
});
