/**
 * `netd graph` stays readable at 300 containers: rendered to PNG by Graphviz, the picture is
 * bounded in both directions (one container per row made a 24,000 px column before).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { renderDot, ROW } from '../../src/cli/graph.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../../src/state/records.js';
import type { RecordedState } from '../../src/plan/types.js';

const hasDot = spawnSync('dot', ['-V']).status === 0;
const id = (n: number): string => n.toString(16).padStart(64, '0');

function records(containers: number): RecordedState {
  const net = (i: number, name: string, internal: boolean): NetworkRecord => ({
    id: id(1000 + i),
    name,
    driver: 'bridge',
    bridge: `br-${name}`,
    ipv4: { subnet: `10.${100 + i}.0.0/16`, gateway: `10.${100 + i}.0.1`, reserved: [] },
    mtu: 1500,
    internal,
    masquerade: true,
    icc: true,
    labels: {},
    adopted: false,
    state: 'ready',
  });
  const networks = [net(0, 'web', false), net(1, 'db', true)];
  const sandboxes: SandboxRecord[] = [];
  const endpoints: EndpointRecord[] = [];
  for (let i = 0; i < containers; i++) {
    const name = `c${String(i).padStart(3, '0')}`;
    sandboxes.push({ id: id(i), container: name, netns: { kind: 'named', name }, created: true, hostname: name, state: 'ready' });
    const homes = i % 50 === 0 ? networks : [networks[i % 3 === 0 ? 1 : 0]!];
    homes.forEach((n, k) =>
      endpoints.push({
        id: id(10_000 + i * 2 + k),
        networkId: n.id,
        network: n.name,
        container: name,
        sandboxId: id(i),
        interface: `eth${k}`,
        hostVeth: `nd${id(10_000 + i * 2 + k).slice(-12)}`,
        ipv4: `10.${100 + networks.indexOf(n)}.${i >> 8}.${(i & 255) + 2}`,
        aliases: [],
        gatewayPriority: 0,
        ports: i % 40 === 1 ? [{ hostPort: 8000 + i, containerPort: 80, protocol: 'tcp' }] : [],
        state: 'ready',
      }),
    );
  }
  return { networks, sandboxes, endpoints, allocations: [], revisions: new Map() };
}

/** Width and height of a PNG, from its IHDR chunk. */
const pngSize = (png: Buffer): [number, number] => [png.readUInt32BE(16), png.readUInt32BE(20)];

test(
  'graph at 300 containers: rows of containers inside their networks, a bounded picture',
  { skip: hasDot ? false : 'Graphviz (dot) is not installed' },
  () => {
    const dot = renderDot(records(300));
    // 196 containers on web alone, 98 on db alone, 6 on both (outside the clusters).
    assert.equal((dot.match(/rank=same; "container:/g) ?? []).length, Math.ceil(196 / ROW) + Math.ceil(98 / ROW), 'rows of ROW');
    const r = spawnSync('dot', ['-Tpng', '-Gdpi=72'], { input: dot, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr.toString());
    const [w, h] = pngSize(r.stdout);
    assert.ok(w <= 4000 && h <= 4000, `the picture is ${w}×${h} px`);
  },
);
