/**
 * export round trip on a real kernel (inside the throwaway host): apply the examples, export,
 * and the exported file validates and diffs to nothing — dynamic addresses, IPv6, ipRange,
 * reserved, MTU, labels, DNS, ports, aliases and gatewayPriority included. The predefined
 * networks host and none are attached to without being declared, and exported the same way.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { ROOT } from '../helpers/cli.js';
import { TestHost } from '../helpers/netd.js';
import { TWO_NETS } from './fixture.js';
import type { Document } from '../../src/desired/types.js';

const EXAMPLES = ['multi-homed.yaml', 'dual-stack.yaml'].map((f) => join(ROOT, 'examples', f));

let host: TestHost;
before(() => {
  host = new TestHost();
});
after(async () => {
  if (!skip) await host.teardown();
});

test('export of the examples validates and re-applies to a no-op diff', { skip }, async () => {
  const a = await host.cli(['apply', ...EXAMPLES.flatMap((f) => ['-f', f])]);
  assert.equal(a.code, 0, a.stderr);
  const ex = await host.cli(['export']);
  assert.equal(ex.code, 0, ex.stderr);
  const file = host.file(ex.stdout);
  const v = await host.cli(['validate', '-f', file]);
  assert.equal(v.code, 0, `${v.stderr}\n${ex.stdout}`);
  const d = await host.cli(['diff', '-f', file]);
  assert.equal(d.code, 0, `${d.stdout}\n${ex.stdout}`);
  const doc = parse(ex.stdout) as Document;
  assert.deepEqual(doc.networks?.['ex-dual'], {
    subnet: '10.88.5.0/24',
    gateway: '10.88.5.1',
    ipRange: '10.88.5.128/25',
    reserved: ['10.88.5.2'],
    ipv6: { subnet: 'fd00:88:5::/64', gateway: 'fd00:88:5::1' },
    mtu: 1400,
    dns: true,
  });
  assert.equal(doc.networks['ex-back']!.masquerade, false);
  const dynamic = doc.attachments!.find((x) => x.container === 'netd-ex-dynamic')!;
  assert.match(dynamic.ipv4 ?? '', /^10\.88\.5\.(12[89]|1[3-9]\d|2\d\d)$/, 'the dynamic address, from ipRange, pinned');
  assert.equal(dynamic.mac, undefined, 'a derived MAC is not exported');
  const fixedMac = doc.attachments!.find((x) => x.container === 'netd-ex-static')!;
  assert.equal(fixedMac.mac, undefined, 'the declared MAC equals the derived one: nothing to say');
});

test('export leaves derived bridge names out and keeps declared ones; json has the same document', { skip }, async () => {
  assert.equal((await host.apply(TWO_NETS)).code, 0);
  const y = parse((await host.cli(['export'])).stdout) as Document;
  const j = JSON.parse((await host.cli(['export', '-o', 'json'])).stdout) as unknown;
  assert.deepEqual(j, y);
  assert.equal(y.networks!.back!.bridge, 'br-back');
  assert.equal(y.networks!.front!.bridge, undefined);
  assert.deepEqual(y.containers!.web, { hostname: 'www', dns: { nameservers: ['10.88.0.1'], search: ['corp.example'] } });
  const d = await host.diff((await host.cli(['export'])).stdout);
  assert.equal(d.code, 0, d.stdout);
});

const PREDEFINED = `version: 1
containers:
  onhost: {}
  alone: {}
attachments:
  - { container: onhost, network: host }
  - { container: alone, network: none }
`;

test('predefined host and none: attached undeclared, in sync after apply, exported undeclared', { skip }, async () => {
  const a = await host.apply(PREDEFINED);
  assert.equal(a.code, 0, a.stderr);
  const d = await host.diff(PREDEFINED);
  assert.equal(d.code, 0, d.stdout);
  assert.ok(existsSync('/run/netns/alone'), 'a container on none gets its own namespace');
  assert.ok(!existsSync('/run/netns/onhost'), 'a container on host shares the host namespace');
  const lo = JSON.parse(execFileSync('ip', ['-n', 'alone', '-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[];
  assert.deepEqual(
    lo.map((l) => l.ifname),
    ['lo'],
    'none: loopback only',
  );
  const ex = await host.cli(['export']);
  const doc = parse(ex.stdout) as Document;
  assert.equal(doc.networks, undefined, 'host and none are not exported as networks');
  assert.deepEqual(doc.attachments, [
    { container: 'alone', network: 'none' },
    { container: 'onhost', network: 'host' },
  ]);
  const again = await host.diff(ex.stdout);
  assert.equal(again.code, 0, `${again.stdout}\n${ex.stdout}`);
});
