/**
 * Drift repair on a real kernel (inside the throwaway host): for each case, tamper with what
 * netd built through iproute2/nft/the filesystem directly, then `diff` exits 2 naming the
 * object and why, `apply` repairs it, `diff` is clean again and traffic flows as declared.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { tcpRoundTrip } from '../helpers/traffic.js';
import { TestHost } from '../helpers/netd.js';
import { loadRecorded } from '../../src/reconcile/snapshot.js';
import type { RecordedState } from '../../src/plan/types.js';

const YAML = `version: 1
networks:
  front: { subnet: 10.91.0.0/24 }
  back: { subnet: 10.92.0.0/24 }
containers:
  web: {}
  api: {}
  db: {}
attachments:
  - { container: web, network: front, ipv4: 10.91.0.10 }
  - { container: api, network: front, ipv4: 10.91.0.11 }
  - { container: api, network: back, ipv4: 10.92.0.11 }
  - { container: db, network: back }
`;

const run = (argv: string[]): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** What the cases need to know about the applied example, read from the store. */
interface Applied {
  veth: (container: string, network: string) => string;
  bridge: (network: string) => string;
  address: (container: string, network: string) => string;
}

function applied(r: RecordedState): Applied {
  const ep = (c: string, n: string) => r.endpoints.find((e) => e.container === c && e.network === n)!;
  return {
    veth: (c, n) => ep(c, n).hostVeth!,
    bridge: (n) => r.networks.find((x) => x.name === n)!.bridge!,
    address: (c, n) => ep(c, n).ipv4!,
  };
}

interface Case {
  name: string;
  tamper: (a: Applied) => void | Promise<void>;
  /** The diff line that names the object, and one of its reasons. */
  object: string;
  reason: RegExp;
  /** Traffic that must hold after the repair (and, where `broken`, not before it). */
  check?: (a: Applied) => Promise<boolean>;
  broken?: boolean;
}

const cases: Case[] = [
  {
    name: 'a deleted host veth',
    tamper: (a) => void run(['ip', 'link', 'del', a.veth('web', 'front')]),
    object: 'repair attachment web/front',
    reason: /veth nd[0-9a-f]{12} missing/,
    check: () => tcpRoundTrip('web', 'api', '10.91.0.11'),
    broken: true,
  },
  {
    name: 'a bridge set down',
    tamper: (a) => void run(['ip', 'link', 'set', 'dev', a.bridge('front'), 'down']),
    object: 'repair network front',
    reason: /bridge nd-[0-9a-f]{12} down → up/,
    check: () => tcpRoundTrip('web', 'api', '10.91.0.11'),
    broken: true,
  },
  {
    name: 'a changed container address',
    tamper: () => {
      run(['ip', '-n', 'web', 'addr', 'flush', 'dev', 'eth0']);
      run(['ip', '-n', 'web', 'addr', 'add', '10.91.0.99/24', 'dev', 'eth0']);
    },
    object: 'repair attachment web/front',
    reason: /interface eth0 in web address 10\.91\.0\.10\/24 missing/,
    check: () => tcpRoundTrip('api', 'web', '10.91.0.10'),
    broken: true,
  },
  {
    name: 'a flushed nft table',
    tamper: () => void run(['nft', 'flush', 'table', 'inet', 'netd']),
    object: 'repair firewall nftables',
    reason: /./,
    // Isolation is back: web (front only) cannot reach db (back only).
    check: async (a) => !(await tcpRoundTrip('web', 'db', a.address('db', 'back'))),
    broken: true,
  },
  {
    name: 'a deleted namespace',
    tamper: () => void run(['ip', 'netns', 'del', 'web']),
    object: 'repair container web',
    reason: /namespace web missing/,
    check: () => tcpRoundTrip('web', 'api', '10.91.0.11'),
  },
  {
    // What `ip netns add` leaves when killed before its bind mount: listed, not enterable.
    name: 'a namespace file without a namespace',
    tamper: () => {
      run(['ip', 'netns', 'del', 'web']);
      writeFileSync('/run/netns/web', '');
    },
    object: 'repair container web',
    reason: /namespace web missing/,
    check: () => tcpRoundTrip('web', 'api', '10.91.0.11'),
  },
  {
    name: 'an edited hosts file',
    tamper: () => appendFileSync('/etc/netns/web/hosts', '10.91.0.200\tintruder\n'),
    object: 'repair container web',
    reason: /\/etc\/netns\/web\/hosts differs/,
  },
  {
    name: 'a deleted default route',
    tamper: () => void run(['ip', '-n', 'web', 'route', 'del', 'default']),
    object: 'repair attachment web/front',
    reason: /default route via 10\.91\.0\.1 dev eth0 in web missing/,
    // The other network's gateway is a host address: reached only through the default route.
    check: () => tcpRoundTrip('web', undefined, '10.92.0.1'),
    broken: true,
  },
];

let host: TestHost;
let example: Applied;
before(async () => {
  host = new TestHost();
  if (skip) return;
  const r = await host.apply(YAML);
  assert.equal(r.code, 0, r.stderr);
  const e = await host.engine();
  example = applied(await loadRecorded(e.store));
  await e.store.close();
});
after(async () => {
  if (!skip) await host.teardown();
});

for (const tc of cases) {
  test(`tamper: ${tc.name} → diff names it, apply repairs it`, { skip }, async () => {
    await tc.tamper(example);
    if (tc.check && tc.broken) assert.equal(await tc.check(example), false, 'the tamper breaks traffic');
    const d = await host.diff(YAML);
    assert.equal(d.code, 2, d.stdout + d.stderr);
    assert.ok(d.stdout.split('\n').includes(`! ${tc.object}`), `diff names "${tc.object}":\n${d.stdout}`);
    assert.match(d.stdout, tc.reason);
    const r = await host.apply(YAML);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const again = await host.diff(YAML);
    assert.equal(again.code, 0, again.stdout);
    if (tc.check) assert.ok(await tc.check(example), 'traffic after the repair');
  });
}
