/** The container's default route: highest gatewayPriority, ties broken by network name in byte order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRoutes } from '../../src/state/derive.js';
import type { EndpointRecord, NetworkRecord } from '../../src/state/records.js';
import { fam, network } from '../ipam/fixtures.js';

const net = (name: string, third: number): NetworkRecord => ({
  ...network(name, fam(`10.66.${third}.0/24`, `10.66.${third}.1`)),
  bridge: `br-${third}`,
});

function endpoint(net: NetworkRecord, third: number, gatewayPriority: number): EndpointRecord {
  return {
    id: `${net.name}-ep`,
    networkId: net.id,
    network: net.name,
    container: 'c',
    sandboxId: 's',
    interface: `eth${third}`,
    hostVeth: `nd${third}`,
    mac: '02:42:0a:42:00:0a',
    ipv4: `10.66.${third}.10`,
    aliases: [],
    gatewayPriority,
    ports: [],
    state: 'ready',
  };
}

const cases: { name: string; nets: [string, number][]; want: string }[] = [
  {
    name: 'higher gatewayPriority wins',
    nets: [
      ['zz', 5],
      ['aa', 0],
    ],
    want: 'zz',
  },
  // localeCompare would put "a_b" first; libnetwork (and byte order) puts "a0" first.
  {
    name: 'a tie goes to the name first in byte order',
    nets: [
      ['a_b', 0],
      ['a0', 0],
    ],
    want: 'a0',
  },
  {
    name: "'-' sorts before digits",
    nets: [
      ['a0', 0],
      ['a-b', 0],
    ],
    want: 'a-b',
  },
];

for (const tc of cases) {
  test(`default route: ${tc.name}`, () => {
    const nets = tc.nets.map(([name], i) => net(name, i + 1));
    const eps = tc.nets.map(([, prio], i) => endpoint(nets[i]!, i + 1, prio));
    const routes = defaultRoutes('c', eps, new Map(nets.map((n) => [n.id, n])));
    assert.deepEqual(
      routes.map((r) => r.endpoint.network),
      [tc.want],
    );
  });
}
