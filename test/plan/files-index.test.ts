/** renderSandboxFiles indexes endpoints once; what it renders is what renderHosts renders from all of them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostsPath, renderHosts, renderSandboxFiles } from '../../src/state/files.js';
import type { EndpointRecord, LifeState, SandboxRecord } from '../../src/state/records.js';

const sandbox = (c: string, state: LifeState = 'ready'): SandboxRecord => ({
  id: `sb-${c}`,
  container: c,
  netns: { kind: 'named', name: `ns-${c}` },
  created: true,
  hostname: c,
  state,
});

let n = 0;
function ep(container: string, network: string, state: LifeState = 'ready', aliases: string[] = []): EndpointRecord {
  n++;
  return {
    id: `ep${n}`,
    networkId: `id-${network}`,
    network,
    container,
    sandboxId: `sb-${container}`,
    interface: `eth${n}`,
    ipv4: `10.9.${n >> 8}.${n & 255}`,
    aliases,
    gatewayPriority: 0,
    ports: [],
    state,
  };
}

/** An endpoint of a network without IPv4 (its address is left out). */
function noAddress(e: EndpointRecord): EndpointRecord {
  const { ipv4: _, ...rest } = e;
  return rest;
}

const cases: { name: string; sandboxes: SandboxRecord[]; endpoints: EndpointRecord[] }[] = [
  { name: 'one network', sandboxes: ['b', 'a', 'c'].map((c) => sandbox(c)), endpoints: [ep('b', 'n1'), ep('a', 'n1'), ep('c', 'n1', 'ready', ['cc'])] },
  {
    name: 'networks shared in part, record order not name order',
    sandboxes: ['z', 'a', 'm', 'lone'].map((c) => sandbox(c)),
    endpoints: [ep('z', 'web'), ep('a', 'db'), ep('m', 'web'), ep('a', 'web'), ep('m', 'db'), ep('z', 'Zeta'), ep('lone', 'solo'), ep('m', 'Zeta')],
  },
  {
    name: 'deleting endpoints and sandboxes',
    sandboxes: [sandbox('a'), sandbox('b'), sandbox('gone', 'deleting')],
    endpoints: [ep('a', 'n1'), ep('b', 'n1', 'deleting'), ep('a', 'n2', 'deleting'), ep('b', 'n2'), ep('gone', 'n1')],
  },
  { name: 'a container without endpoints', sandboxes: [sandbox('x'), sandbox('y')], endpoints: [ep('y', 'n1')] },
  {
    name: 'one network each: a deleting own endpoint, dual-stack and address-less peers',
    sandboxes: ['d', 'six', 'none', 'p'].map((c) => sandbox(c)),
    endpoints: [ep('d', 'n1', 'deleting'), { ...ep('six', 'n1'), ipv6: 'fd00::6' }, noAddress(ep('none', 'n1')), ep('p', 'n1', 'ready', ['pp', 'ppp'])],
  },
];

for (const c of cases) {
  test(`renderSandboxFiles: ${c.name}`, () => {
    const files = renderSandboxFiles(c.sandboxes, c.endpoints, { nameservers: ['9.9.9.9'], search: [], options: [] });
    for (const s of c.sandboxes.filter((s) => s.state !== 'deleting')) {
      assert.equal(files.get(hostsPath(`ns-${s.container}`)), renderHosts(s, c.endpoints), s.container);
    }
  });
}
