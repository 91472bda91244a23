/**
 * netd delete -f on a real kernel (inside the throwaway host): it removes exactly what the
 * files declare, forgets an adopted namespace without deleting it, refuses a network that
 * still carries attachments the files do not declare (unless --force), and leaves every other
 * owned object working.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { tcpRoundTrip } from '../helpers/traffic.js';
import { TestHost } from '../helpers/netd.js';

const A = `version: 1
networks:
  a-net: { subnet: 10.91.0.0/24 }
containers:
  a1: {}
  a2: {}
  a3: { netns: op-adopted, adopt: true }
attachments:
  - { container: a1, network: a-net, ipv4: 10.91.0.11 }
  - { container: a2, network: a-net }
  - { container: a3, network: a-net }
`;
const B = `version: 1
networks:
  b-net: { subnet: 10.92.0.0/24 }
containers:
  b1: {}
  b2: {}
attachments:
  - { container: b1, network: b-net, ipv4: 10.92.0.11 }
  - { container: b2, network: b-net, ipv4: 10.92.0.12 }
`;
/** A container of its own on A's network: an attachment A's files do not declare. */
const C = `version: 1
containers:
  c1: {}
attachments:
  - { container: c1, network: a-net }
`;

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const netns = (): string[] =>
  ip('netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean)
    .sort();
const names = async (kind: string): Promise<string[]> =>
  (JSON.parse((await host.cli(['get', kind, '-o', 'json'])).stdout) as { name: string }[]).map((o) => o.name);

let host: TestHost;
let files: { a: string; b: string; c: string };
before(() => {
  host = new TestHost();
  files = { a: host.file(A), b: host.file(B), c: host.file(C) };
  if (!skip) ip('netns', 'add', 'op-adopted');
});
after(async () => {
  if (skip) return;
  ip('netns', 'del', 'op-adopted');
  await host.teardown();
});

test('delete -f removes exactly the declared objects and leaves the others working', { skip }, async () => {
  const a = await host.cli(['apply', '-f', files.a, '-f', files.b]);
  assert.equal(a.code, 0, a.stderr);
  const r = await host.cli(['delete', '-f', files.a]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    r.stdout.split('\n').filter((l) => l.startsWith('-')),
    [
      '- delete attachment a1/a-net',
      '- delete attachment a2/a-net',
      '- delete attachment a3/a-net',
      '- delete container a1',
      '- delete container a2',
      '- delete container a3',
      '- delete network a-net',
    ],
  );
  assert.match(r.stderr, /0 created, 7 deleted, 0 failed/);
  assert.deepEqual(netns(), ['b1', 'b2', 'op-adopted'], 'a1 and a2 deleted; the adopted namespace stays');
  for (const ns of ['a1', 'a2', 'op-adopted']) assert.ok(!existsSync(`/etc/netns/${ns}`), `/etc/netns/${ns} removed`);
  assert.deepEqual(
    (JSON.parse(ip('-j', '-n', 'op-adopted', 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname),
    ['lo'],
    'its veth is gone',
  );
  assert.deepEqual(await names('networks'), ['b-net']);
  assert.deepEqual(await names('containers'), ['b1', 'b2']);
  assert.ok(await tcpRoundTrip('b1', 'b2', '10.92.0.12'), 'b1 → b2 still connected');
  assert.equal((await host.cli(['diff', '-f', files.b])).code, 0, 'what B declares is untouched');
  const again = await host.cli(['delete', '-f', files.a]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /nothing to delete/);
});

test('a network with attachments the files do not declare is refused, naming them, unless --force', { skip }, async () => {
  assert.equal((await host.cli(['apply', '-f', files.a, '-f', files.b, '-f', files.c])).code, 0);
  const r = await host.cli(['delete', '-f', files.a]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /network "a-net" still has attachments not declared in the files: c1\/a-net \(delete them too with --force\); nothing was deleted/);
  assert.ok(netns().includes('a1'), 'nothing was deleted');
  assert.equal((await host.cli(['diff', '-f', files.a, '-f', files.b, '-f', files.c])).code, 0);
  const f = await host.cli(['delete', '--force', '-f', files.a]);
  assert.equal(f.code, 0, f.stderr);
  assert.match(f.stdout, /- delete attachment c1\/a-net\n {4}network "a-net" is deleted \(--force\)/);
  assert.deepEqual(await names('containers'), ['b1', 'b2', 'c1'], 'c1 itself stays, only its attachment went');
  assert.deepEqual(netns(), ['b1', 'b2', 'c1', 'op-adopted']);
});

const bad: { name: string; args: string[]; yaml?: string; code: number; stderr: RegExp }[] = [
  { name: 'invalid file', args: ['delete'], yaml: 'version: 1\nnetworks:\n  n: { subnet: 10.1.0.7/24 }\n', code: 65, stderr: /has host bits set/ },
  { name: 'no -f', args: ['delete'], code: 64, stderr: /-f PATH is required/ },
];
for (const tc of bad) {
  test(`delete: ${tc.name}`, async () => {
    const r = await host.cli(tc.args, tc.yaml);
    assert.equal(r.code, tc.code, r.stderr);
    assert.match(r.stderr, tc.stderr);
  });
}
