/**
 * Adopted objects on a real kernel (inside the throwaway host): netd adds its own interfaces,
 * addresses and routes to an adopted namespace or bridge and removes only those. It never
 * deletes an interface it did not create (a declared interface name that exists and is not
 * netd's is an error naming it), never removes an adopted bridge's own addresses (on apply
 * nor on delete), and never replaces an adopted namespace's default route unless the
 * attachment's gatewayPriority asks for it — then the previous route comes back when netd's
 * attachment goes. What the admin made is compared byte for byte before and after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { ALLOW_EMPTY, EMPTY, TestHost } from '../helpers/netd.js';
import { picture, type Picture } from '../helpers/picture.js';
import { loadRecorded } from '../../src/reconcile/snapshot.js';
import { namespaceId } from '../../src/kernel/netns.js';

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
/** Cleanup: what a failing netd removed is already gone. */
const tryIp = (...args: string[]): void => {
  try {
    ip(...args);
  } catch {
    // already gone
  }
};

/**
 * The admin's container namespace `adp`: lo up, an `eth0` whose veth peer `adp-h` is in the
 * host (192.0.2.1 ↔ 192.0.2.2), and a default route through it. No IPv6 link-local addresses
 * (addrgenmode none): nothing in it changes by itself.
 */
function adminNamespace(): { host: () => Picture; ns: () => Picture } {
  ip('netns', 'add', 'adp');
  ip('link', 'add', 'adp-h', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'adp');
  ip('link', 'set', 'dev', 'adp-h', 'addrgenmode', 'none');
  ip('-n', 'adp', 'link', 'set', 'dev', 'eth0', 'addrgenmode', 'none');
  ip('addr', 'add', '192.0.2.1/24', 'dev', 'adp-h');
  ip('-n', 'adp', 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0');
  for (const args of [
    ['link', 'set', 'adp-h', 'up'],
    ['-n', 'adp', 'link', 'set', 'eth0', 'up'],
    ['-n', 'adp', 'link', 'set', 'lo', 'up'],
  ])
    ip(...args);
  ip('-n', 'adp', 'route', 'add', 'default', 'via', '192.0.2.1');
  settle(() => [...picture(undefined, ['adp-h']).links, ...picture('adp', ['eth0']).links]);
  return {
    host: () => picture(undefined, ['adp-h']),
    ns: () => picture('adp'),
  };
}

function removeAdminNamespace(): void {
  tryIp('link', 'del', 'adp-h'); // its peer first: a namespace's veths go a little after it
  tryIp('netns', 'del', 'adp');
}

/** Waits until the links' carrier settled (operstate UP), so that the "before" picture is final. */
function settle(links: () => unknown[]): void {
  for (let i = 0; i < 500; i++) {
    if (links().every((l) => (l as { operstate?: string }).operstate === 'UP')) return;
    execFileSync('sleep', ['0.01']);
  }
  assert.fail('the admin links never came up');
}

const ADOPTED = (attachment: string): string => `version: 1
networks:
  adn: { subnet: 10.94.0.0/24 }
containers:
  x: { netns: adp, adopt: true }
attachments:
  - { container: x, network: adn${attachment} }
`;
const WITHOUT_X = 'version: 1\nnetworks:\n  adn: { subnet: 10.94.0.0/24 }\n';

/** Runs body against a fresh netd and the admin's namespace; netd's objects go first, then the admin's. */
async function withAdopted(body: (host: TestHost, admin: ReturnType<typeof adminNamespace>) => Promise<void>): Promise<void> {
  const host = new TestHost();
  try {
    await body(host, adminNamespace());
  } finally {
    await host.apply(EMPTY, ALLOW_EMPTY);
    removeAdminNamespace();
    await host.teardown();
  }
}

const defaults = (p: Picture): unknown[] => p.routes.filter((r) => (r as { dst?: string }).dst === 'default');

test("adopt: a declared interface that exists in the adopted namespace and is not netd's is an error naming it; nothing in it changes", { skip }, () =>
  withAdopted(async (host, admin) => {
    const before = { host: admin.host(), ns: admin.ns() };
    const r = await host.apply(ADOPTED(''));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /container "x"|attachment "x\/adn"/);
    assert.match(r.stderr, /eth0\b.*not netd's/);
    assert.deepEqual({ host: admin.host(), ns: admin.ns() }, before, "the admin's eth0, its peer and its default route are untouched");
  }),
);

test("adopt: netd's interface joins the adopted namespace beside the admin's, its default route stays; pruning leaves the namespace as it was", { skip }, () =>
  withAdopted(async (host, admin) => {
    const before = { host: admin.host(), ns: admin.ns() };
    const r = await host.apply(ADOPTED(', interface: eth1'));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const during = admin.ns();
    assert.ok(
      during.addresses.some((a) => (a as { ifname?: string }).ifname === 'eth1'),
      "netd's eth1 is there",
    );
    assert.deepEqual(defaults(during), defaults(before.ns), "the admin's default route is not replaced (gatewayPriority 0)");
    const d = await host.diff(ADOPTED(', interface: eth1'));
    assert.equal(d.code, 0, `the admin's route is not drift:\n${d.stdout}`);
    const pruned = await host.apply(WITHOUT_X);
    assert.equal(pruned.code, 0, pruned.stdout + pruned.stderr);
    assert.deepEqual({ host: admin.host(), ns: admin.ns() }, before, 'only what netd added went');
  }),
);

for (const tc of [
  { goes: 'the attachment goes (the container stays)', file: `${WITHOUT_X}containers:\n  x: { netns: adp, adopt: true }\n` },
  { goes: 'the container goes', file: WITHOUT_X },
]) {
  test(`adopt: a gatewayPriority that asks for the default route replaces the admin's, which comes back when ${tc.goes}`, { skip }, () =>
    withAdopted(async (host, admin) => {
      const before = { host: admin.host(), ns: admin.ns() };
      const r = await host.apply(ADOPTED(', interface: eth1, gatewayPriority: 10'));
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const route = defaults(admin.ns()) as { gateway?: string; dev?: string }[];
      assert.deepEqual(
        route.map((x) => [x.gateway, x.dev]),
        [['10.94.0.1', 'eth1']],
        "netd's default route",
      );
      const pruned = await host.apply(tc.file);
      assert.equal(pruned.code, 0, pruned.stdout + pruned.stderr);
      assert.deepEqual({ host: admin.host(), ns: admin.ns() }, before, "the admin's default route is restored exactly");
    }),
  );
}

test(
  'adopt: an adopted namespace replaced under its name is not the one netd adopted: diff reports it, apply refuses, prune forgets it and leaves it',
  { skip },
  () =>
    withAdopted(async (host) => {
      const file = ADOPTED(', interface: eth1');
      const r = await host.apply(file);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const e = await host.engine();
      const adopted = (await loadRecorded(e.store)).sandboxes.find((x) => x.container === 'x');
      await e.store.close();
      assert.equal(adopted?.nsId, await namespaceId('/run/netns/adp'), 'the identity is taken when adopting');
      removeAdminNamespace();
      ip('netns', 'add', 'adp');
      const before = picture('adp');
      const d = await host.diff(file);
      assert.equal(d.code, 2, d.stdout + d.stderr);
      assert.match(d.stdout, /! repair container x\n {4}namespace "adp" is no longer the one netd adopted/);
      const refused = await host.apply(file);
      assert.equal(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /pre-flight: container "x": namespace "adp" is no longer the one netd adopted: netd will not change it/);
      const pruned = await host.apply(WITHOUT_X);
      assert.equal(pruned.code, 0, pruned.stdout + pruned.stderr);
      assert.deepEqual(picture('adp'), before, 'the namespace is left as it was');
    }),
);

const BRIDGE = `version: 1
networks:
  adb: { subnet: 10.95.0.0/24, bridge: br-adp, adopt: true }
containers:
  y: {}
attachments:
  - { container: y, network: adb }
`;

/** The bridge's addresses (its flags and carrier follow its ports: netd's veth comes and goes). */
const bridgeAddresses = (): unknown[] => (picture(undefined, ['br-adp']).addresses as { addr_info: unknown[] }[]).flatMap((a) => a.addr_info);

for (const via of ['prune', 'delete -f'] as const) {
  test(`adopt: an adopted bridge keeps its own address on apply and on ${via}`, { skip }, async () => {
    const host = new TestHost();
    try {
      ip('link', 'add', 'br-adp', 'type', 'bridge');
      ip('link', 'set', 'dev', 'br-adp', 'addrgenmode', 'none');
      ip('addr', 'add', '192.0.2.1/24', 'dev', 'br-adp');
      ip('link', 'set', 'br-adp', 'up');
      const before = bridgeAddresses();
      const r = await host.apply(BRIDGE);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const during = bridgeAddresses() as { local?: string }[];
      assert.deepEqual(
        during.map((a) => a.local),
        ['192.0.2.1', '10.95.0.1'],
        "the admin's address stays beside netd's gateway",
      );
      assert.deepEqual(during[0], before[0], "the admin's address is untouched");
      const d = await host.diff(BRIDGE);
      assert.equal(d.code, 0, `the admin's address is not drift:\n${d.stdout}`);
      const gone = via === 'prune' ? await host.apply('version: 1\ncontainers:\n  y: {}\n') : await host.cli(['delete'], BRIDGE);
      assert.equal(gone.code, 0, gone.stdout + gone.stderr);
      assert.deepEqual(bridgeAddresses(), before, "only netd's gateway went");
    } finally {
      await host.apply(EMPTY, ALLOW_EMPTY);
      tryIp('link', 'del', 'br-adp');
      await host.teardown();
    }
  });
}
