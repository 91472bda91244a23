/**
 * Files checked by size and digest (state/file-digest.ts): a file whose recorded inputs are
 * the wanted ones is decided without rendering it; the inputs' digest changes exactly where
 * the rendered content may change, and a change on one network leaves the others' files alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFile, fileRecordOf, type WantedFile } from '../../src/state/file-digest.js';
import { sha256 } from '../../src/digest.js';
import { hostsPath, sandboxFiles } from '../../src/state/files.js';
import type { FileDigest } from '../../src/state/view.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../../src/state/records.js';
import type { HostResolv } from '../../src/state/resolv.js';

const OLD = '127.0.0.1\tlocalhost\n10.0.0.2\told\n';
const NEW = '127.0.0.1\tlocalhost\n10.0.0.3\tnew\n'; // the same size as OLD
const LONGER = `${NEW}10.0.0.4\tmore\n`;
const digestOf = (text: string): FileDigest => ({ size: Buffer.byteLength(text), sha256: sha256(text) });
const recordOf = (text: string, inputs: string) => fileRecordOf('/etc/netns/a/hosts', text, inputs);

/** A wanted file whose render throws unless `text` is given: proves a check rendered nothing. */
const wanted = (inputs: string, text?: string): WantedFile => ({
  inputs,
  render: () => {
    if (text === undefined) throw new Error('rendered');
    return text;
  },
});

const checks: { name: string; want: WantedFile; seen: string | FileDigest; recorded?: ReturnType<typeof recordOf>; same: boolean; rendered: boolean }[] = [
  {
    name: 'same inputs, same bytes: in sync, not rendered',
    want: wanted('i1'),
    seen: digestOf(OLD),
    recorded: recordOf(OLD, 'i1'),
    same: true,
    rendered: false,
  },
  {
    name: 'same inputs, edited to the same size: differs, not rendered',
    want: wanted('i1'),
    seen: digestOf(NEW),
    recorded: recordOf(OLD, 'i1'),
    same: false,
    rendered: false,
  },
  {
    name: 'same inputs, another size (bytes unread): differs, not rendered',
    want: wanted('i1'),
    seen: { size: 99 },
    recorded: recordOf(OLD, 'i1'),
    same: false,
    rendered: false,
  },
  {
    name: 'new inputs, the file still as written: differs',
    want: wanted('i2', NEW),
    seen: digestOf(OLD),
    recorded: recordOf(OLD, 'i1'),
    same: false,
    rendered: true,
  },
  {
    name: 'new inputs rendering what the file holds: in sync',
    want: wanted('i2', OLD),
    seen: digestOf(OLD),
    recorded: recordOf(OLD, 'i1'),
    same: true,
    rendered: true,
  },
  { name: 'new inputs of another size: differs', want: wanted('i2', LONGER), seen: digestOf(OLD), recorded: recordOf(OLD, 'i1'), same: false, rendered: true },
  { name: 'no record (written before digests were kept), the same text: in sync', want: wanted('i1', OLD), seen: OLD, same: true, rendered: true },
  { name: 'no record, an edited text: differs', want: wanted('i1', OLD), seen: NEW, same: false, rendered: true },
  {
    name: 'a record, but the text read whole (an earlier snapshot): compared whole',
    want: wanted('i1', OLD),
    seen: OLD,
    recorded: recordOf(OLD, 'i1'),
    same: true,
    rendered: true,
  },
];

for (const c of checks) {
  test(`checkFile: ${c.name}`, () => {
    const r = checkFile(c.want, c.seen, c.recorded);
    assert.equal(r.same, c.same);
    assert.equal(r.text !== undefined, c.rendered);
  });
}

const NET_A = 'a'.repeat(64);
const NET_B = 'b'.repeat(64);
const network = (id: string, name: string, dns = false): NetworkRecord => ({
  id,
  name,
  driver: 'bridge',
  ipv4: { subnet: id === NET_A ? '10.1.0.0/24' : '10.2.0.0/24', gateway: id === NET_A ? '10.1.0.1' : '10.2.0.1', reserved: [] },
  mtu: 1500,
  internal: false,
  masquerade: true,
  icc: true,
  ...(dns ? { dns: true } : {}),
  labels: {},
  adopted: false,
  state: 'ready',
});
const sandbox = (c: string): SandboxRecord => ({ id: `sb-${c}`, container: c, netns: { kind: 'named', name: c }, created: true, hostname: c, state: 'ready' });
const ep = (container: string, net: NetworkRecord, ipv4: string, aliases: string[] = []): EndpointRecord => ({
  id: `ep-${container}-${net.name}`,
  networkId: net.id,
  network: net.name,
  container,
  sandboxId: `sb-${container}`,
  interface: 'eth0',
  ipv4,
  aliases,
  gatewayPriority: 0,
  ports: [],
  state: 'ready',
});

interface World {
  networks: NetworkRecord[];
  sandboxes: SandboxRecord[];
  endpoints: EndpointRecord[];
  host: HostResolv;
}

/** a and b on A, c on B, d on both. */
function world(): World {
  const [a, b] = [network(NET_A, 'na'), network(NET_B, 'nb')];
  return {
    networks: [a, b],
    sandboxes: ['a', 'b', 'c', 'd'].map(sandbox),
    endpoints: [
      ep('a', a, '10.1.0.10'),
      ep('b', a, '10.1.0.11'),
      ep('c', b, '10.2.0.10'),
      ep('d', a, '10.1.0.12'),
      { ...ep('d', b, '10.2.0.12'), interface: 'eth1' },
    ],
    host: { nameservers: ['9.9.9.9'], search: [], options: [] },
  };
}

const edits: { name: string; edit: (w: World) => void; changed: string[] }[] = [
  { name: 'nothing', edit: () => undefined, changed: [] },
  { name: "a peer's address on A", edit: (w) => void (w.endpoints[1] = { ...w.endpoints[1]!, ipv4: '10.1.0.99' }), changed: ['a', 'b', 'd'] },
  { name: "a peer's alias on B", edit: (w) => void (w.endpoints[2] = { ...w.endpoints[2]!, aliases: ['cc'] }), changed: ['c', 'd'] },
  {
    name: 'an extra host of one container',
    edit: (w) => void (w.sandboxes[0] = { ...w.sandboxes[0]!, extraHosts: [{ name: 'x', address: '10.9.9.9' }] }),
    changed: ['a'],
  },
  {
    name: 'a container leaving A (its endpoint deleting)',
    edit: (w) => void (w.endpoints[0] = { ...w.endpoints[0]!, state: 'deleting' }),
    changed: ['a', 'b', 'd'],
  },
  { name: "B served by netd's resolver: its peers leave the hosts files", edit: (w) => void (w.networks[1] = network(NET_B, 'nb', true)), changed: ['c', 'd'] },
];

for (const e of edits) {
  test(`sandboxFiles inputs: ${e.name} changes the hosts files of ${e.changed.join(', ') || 'none'}, exactly where the content changes`, () => {
    const w = world();
    const files = (x: World) => sandboxFiles(x.sandboxes, x.endpoints, x.host, x.networks);
    const before = files(w);
    e.edit(w);
    const after = files(w);
    const changed = ['a', 'b', 'c', 'd'].filter((c) => before.get(hostsPath(c))!.inputs !== after.get(hostsPath(c))!.inputs);
    assert.deepEqual(changed, e.changed);
    for (const [path, f] of after) {
      const same = before.get(path)!.render() === f.render();
      if (before.get(path)!.inputs === f.inputs) assert.ok(same, `${path}: equal inputs rendered different content`);
      else assert.ok(!same || path.endsWith('resolv.conf'), `${path}: new inputs but the same content`);
    }
  });
}

test("sandboxFiles inputs: the host's resolv.conf changes every resolv.conf, no hosts file", () => {
  const w = world();
  const before = sandboxFiles(w.sandboxes, w.endpoints, w.host, w.networks);
  const after = sandboxFiles(w.sandboxes, w.endpoints, { ...w.host, nameservers: ['1.1.1.1'] }, w.networks);
  for (const [path, f] of after) assert.equal(f.inputs !== before.get(path)!.inputs, path.endsWith('resolv.conf'), path);
});
