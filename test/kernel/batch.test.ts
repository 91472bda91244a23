import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  IpBatch,
  KernelError,
  renderOps,
  type KernelOp,
  CountingRunner,
  classifyStderr,
  ipArgv,
  mapPool,
  runBatch,
  runBatches,
} from '../../src/kernel/index.js';
import { isNetdError } from '../../src/errors.js';
import { FakeRunner } from '../../src/kernel/fake-runner.js';

test('hairpin mode: a line of its own, after the master it needs', () => {
  const ops: KernelOp[] = [
    { op: 'link-set', name: 'nd1', master: 'br0', up: true, hairpin: true },
    { op: 'link-set', name: 'nd2', hairpin: false },
  ];
  assert.deepEqual(renderOps(ops, 'ip'), {
    lines: ['link set dev nd1 master br0 up', 'link set dev nd1 type bridge_slave hairpin on', 'link set dev nd2 type bridge_slave hairpin off'],
    opOf: [0, 0, 1],
  });
});

const lineCases: { name: string; build: (b: IpBatch) => IpBatch; want: string[] }[] = [
  {
    name: 'bridge with alias sets the alias on a second line',
    build: (b) => b.linkAddBridge('br0', { mtu: 1400, alias: 'netd:network:ab', up: true }),
    want: ['link add br0 mtu 1400 up type bridge', 'link set dev br0 alias netd:network:ab'],
  },
  {
    name: 'veth peer created in the namespace',
    build: (b) => b.linkAddVeth('nd1', 'eth0', { peerNetns: 'web', peerMac: '02:42:0A:00:00:02', peerMtu: 1450 }),
    want: ['link add nd1 type veth peer name eth0 netns web address 02:42:0a:00:00:02 mtu 1450'],
  },
  {
    name: 'digit-only namespace passed as a path',
    build: (b) => b.linkAddVeth('nd1', 'eth0', { peerNetns: '42' }),
    want: ['link add nd1 type veth peer name eth0 netns /run/netns/42'],
  },
  {
    name: 'vxlan',
    build: (b) => b.linkAddVxlan('vx1', { vni: 7, port: 4789, local: '192.0.2.1', learning: false }),
    want: ['link add vx1 type vxlan id 7 dstport 4789 local 192.0.2.1 nolearning'],
  },
  {
    name: 'link set',
    build: (b) => b.linkSet('v', { master: null, name: 'w', up: false }).linkSet('w', { master: 'br0', up: true }),
    want: ['link set dev v nomaster name w down', 'link set dev w master br0 up'],
  },
  { name: 'v6 default route', build: (b) => b.routeReplace({ dst: 'default', via: 'fd00::1' }), want: ['route replace ::/0 via fd00::1 proto 78'] },
  { name: 'v4 route', build: (b) => b.routeAdd({ dst: '10.1.0.0/16', dev: 'br0', metric: 5 }), want: ['route add 10.1.0.0/16 dev br0 proto 78 metric 5'] },
  {
    name: 'addresses',
    build: (b) => b.addrAdd('eth0', 'fd00::2/64', { nodad: true }).addrDel('eth0', '10.0.0.2/24'),
    want: ['addr add fd00::2/64 dev eth0 nodad', 'addr del 10.0.0.2/24 dev eth0'],
  },
  {
    name: 'neighbour',
    build: (b) => b.neighReplace('vx1', '10.5.0.0', '02:00:00:00:00:01'),
    want: ['neigh replace 10.5.0.0 lladdr 02:00:00:00:00:01 dev vx1 nud permanent'],
  },
];

for (const tc of lineCases) test(`batch lines: ${tc.name}`, () => assert.deepEqual(tc.build(new IpBatch()).lines(), tc.want));

const invalid: { name: string; build: (b: IpBatch) => void }[] = [
  { name: 'name longer than IFNAMSIZ', build: (b) => b.linkAddBridge('a-very-long-bridge') },
  { name: 'whitespace in alias', build: (b) => b.linkAddBridge('br0', { alias: 'a b' }) },
  { name: 'injected line', build: (b) => b.linkDel('x\nlink') },
  { name: 'bad cidr', build: (b) => b.addrAdd('eth0', '10.0.0.1/33') },
  { name: 'bad mac', build: (b) => b.linkSet('eth0', { mac: 'zz' }) },
  { name: 'bad namespace path', build: (b) => b.linkAddVeth('a', 'b', { peerNetns: '/proc/../x' }) },
];
for (const tc of invalid)
  test(`batch rejects: ${tc.name}`, () =>
    assert.throws(
      () => tc.build(new IpBatch()),
      (e) => isNetdError(e, 'invalid'),
    ));

test('fdb lines go to a bridge batch after the ip batch', async () => {
  const f = new FakeRunner();
  await runBatch(f, 'web', new IpBatch().linkAddVxlan('vx1', { vni: 1, port: 8472 }).fdbAppend('vx1', '02:00:00:00:00:01', '192.0.2.2'));
  assert.deepEqual(
    f.calls.map((c) => c.argv),
    [
      ['ip', '-n', 'web', '-batch', '-'],
      ['nsenter', '--net=/run/netns/web', 'bridge', '-batch', '-'],
    ],
  );
  assert.equal(f.calls[1]!.opts.input, 'fdb append 02:00:00:00:00:01 dev vx1 dst 192.0.2.2 self permanent\n');
});

test('a failed batch names the failing line', async () => {
  const f = new FakeRunner((argv) => {
    throw new KernelError({ argv, stderr: 'RTNETLINK answers: File exists\nCommand failed -:2\n', exitCode: 1 });
  });
  const b = new IpBatch().linkAddBridge('br0').linkAddBridge('br1');
  await assert.rejects(runBatch(f, undefined, b), (e: unknown) => {
    assert.ok(e instanceof KernelError);
    assert.equal(e.kind, 'exists');
    assert.equal(e.code, 'conflict');
    assert.equal(e.line, 2);
    assert.equal(e.op, 'link add br1 type bridge');
    assert.match(e.message, /"link add br1 type bridge": RTNETLINK answers: File exists$/);
    return true;
  });
});

test('empty batch spawns nothing; CountingRunner counts writes', async () => {
  const c = new CountingRunner(new FakeRunner());
  await runBatches(c, { host: new IpBatch(), namespaces: new Map([['a', new IpBatch()]]) });
  assert.equal(c.calls, 0);
  await runBatches(c, {
    host: new IpBatch().linkDel('x'),
    namespaces: new Map([
      ['a', new IpBatch().linkDel('y')],
      ['/proc/1/ns/net', new IpBatch().linkDel('z')],
    ]),
  });
  assert.deepEqual([c.calls, c.writes], [3, 3]);
  assert.deepEqual(c.log[2]!.argv, ['nsenter', '--net=/proc/1/ns/net', 'ip', '-batch', '-']);
  c.reset();
  assert.deepEqual([c.calls, c.writes], [0, 0]);
});

test('ipArgv: names use -n, paths nsenter', () => {
  assert.deepEqual(ipArgv(undefined, ['link']), ['ip', 'link']);
  assert.deepEqual(ipArgv('web', ['link']), ['ip', '-n', 'web', 'link']);
  assert.deepEqual(ipArgv('/proc/7/ns/net', ['link']), ['nsenter', '--net=/proc/7/ns/net', 'ip', 'link']);
});

test('mapPool bounds concurrency, keeps order, stops on failure', async () => {
  let live = 0;
  let peak = 0;
  const out = await mapPool([1, 2, 3, 4, 5, 6], 2, async (n) => {
    peak = Math.max(peak, ++live);
    await new Promise((r) => setTimeout(r, 5));
    live--;
    return n * 2;
  });
  assert.deepEqual(out, [2, 4, 6, 8, 10, 12]);
  assert.equal(peak, 2);
  const started: number[] = [];
  await assert.rejects(
    mapPool([1, 2, 3, 4], 1, async (n) => (started.push(n), n === 2 ? Promise.reject(new Error('x')) : n)),
    /x/,
  );
  assert.deepEqual(started, [1, 2]);
});

const kinds: { name: string; stderr: string; want: string }[] = [
  { name: 'exists', stderr: 'RTNETLINK answers: File exists', want: 'exists' },
  { name: 'address exists', stderr: 'Error: ipv4: Address already assigned.', want: 'exists' },
  { name: 'missing device', stderr: 'Cannot find device "x"', want: 'not-found' },
  { name: 'missing netns', stderr: 'Cannot open network namespace "x": No such file or directory', want: 'not-found' },
  { name: 'missing route', stderr: 'RTNETLINK answers: No such process', want: 'not-found' },
  { name: 'permission', stderr: 'RTNETLINK answers: Operation not permitted', want: 'forbidden' },
  { name: 'busy', stderr: 'RTNETLINK answers: Device or resource busy', want: 'busy' },
  { name: 'invalid', stderr: 'Error: Attribute failed policy validation.', want: 'invalid' },
  { name: 'unknown', stderr: 'something odd', want: 'other' },
];
for (const tc of kinds) test(`classify: ${tc.name}`, () => assert.equal(classifyStderr(tc.stderr), tc.want));
