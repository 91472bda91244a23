/**
 * Ownership by identity on a real kernel (inside the throwaway host): the admin deletes an
 * object netd built and makes its own under the same name — a namespace, a bridge, a host
 * veth. netd's diff names it (exit 2, in JSON too), apply refuses before changing anything
 * (exit 1, naming it and the way out), and once the files stop declaring it, apply prunes
 * netd's record but leaves the admin's object byte for byte as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { TestHost } from '../helpers/netd.js';
import { picture, type Picture } from '../helpers/picture.js';
import { loadRecorded } from '../../src/reconcile/snapshot.js';
import { namespaceId } from '../../src/kernel/netns.js';
import type { RecordedState } from '../../src/plan/types.js';

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const NETWORK = '  own: { subnet: 10.93.0.0/24, bridge: br-own }\n';
const WEB = '  - { container: web, network: own, ipv4: 10.93.0.10 }\n';
const API = '  - { container: api, network: own, ipv4: 10.93.0.11 }\n';
const yaml = (o: { network?: boolean; web?: boolean; attach?: boolean }): string => {
  const net = o.network !== false;
  const attachments = net ? `${o.attach !== false && o.web !== false ? WEB : ''}${API}` : '';
  return `version: 1\n${net ? `networks:\n${NETWORK}` : ''}containers:\n${o.web === false ? '' : '  web: {}\n'}  api: {}\n${attachments ? `attachments:\n${attachments}` : ''}`;
};

/** The admin's object, made after deleting netd's: where to look at it, and how it goes again. */
interface Made {
  readonly ns?: string;
  readonly hostLinks: readonly string[];
  readonly cleanup: () => void;
}

interface Case {
  readonly name: string;
  readonly replace: (r: RecordedState) => Made;
  /** The diff's head line for the object, and the reason it gives. */
  readonly object: string;
  readonly reason: RegExp;
  /** pre-flight's line: the object and the way out. */
  readonly refusal: RegExp;
  /** The files without the object. */
  readonly pruned: string;
  /** A file `netd delete -f` removes the object with (and its flags), and what is left declared after. */
  readonly delete: { readonly file: string; readonly flags: readonly string[]; readonly left: string };
  /** The record that must be gone after the prune. */
  readonly gone: (r: RecordedState) => boolean;
}

const cases: Case[] = [
  {
    name: 'a namespace re-created with ip netns add, an admin veth inside',
    replace: () => {
      ip('netns', 'del', 'web');
      ip('netns', 'add', 'web');
      // Named like netd's interface, with an address: what netd would have "repaired".
      ip('link', 'add', 'adm-a0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'web');
      ip('-n', 'web', 'addr', 'add', '192.0.2.10/24', 'dev', 'eth0');
      return {
        ns: 'web',
        hostLinks: ['adm-a0'],
        cleanup: () => {
          ip('link', 'del', 'adm-a0'); // its peer first: a namespace's veths go a little after it
          ip('netns', 'del', 'web');
        },
      };
    },
    object: '! repair container web',
    reason: /namespace "web" was replaced by one netd did not create/,
    refusal:
      /pre-flight: container "web": namespace "web" was replaced by one netd did not create: netd will not change it; delete it \(ip netns delete web\), or stop declaring container "web"/,
    pruned: yaml({ web: false }),
    delete: { file: 'version: 1\ncontainers:\n  web: {}\n', flags: [], left: yaml({ web: false }) },
    gone: (r) => !r.sandboxes.some((s) => s.container === 'web') && !r.endpoints.some((e) => e.container === 'web'),
  },
  {
    name: 'a bridge re-created by the admin with its own address',
    replace: () => {
      ip('link', 'del', 'br-own');
      ip('link', 'add', 'br-own', 'type', 'bridge');
      ip('addr', 'add', '192.0.2.1/24', 'dev', 'br-own');
      return { hostLinks: ['br-own'], cleanup: () => ip('link', 'del', 'br-own') };
    },
    object: '! repair network own',
    reason: /bridge "br-own" exists and is not netd's \(no netd:network mark\)/,
    refusal:
      /pre-flight: network "own": bridge "br-own" exists and is not netd's \(no netd:network mark\): netd will not change it; delete or rename it \(ip link delete br-own\), or stop declaring network "own"/,
    pruned: yaml({ network: false }),
    delete: { file: `version: 1\nnetworks:\n${NETWORK}`, flags: ['--force'], left: yaml({ network: false }) },
    gone: (r) => r.networks.length === 0 && r.endpoints.length === 0 && r.allocations.length === 0,
  },
  {
    name: 'a host veth re-created by the admin',
    replace: (r) => {
      const veth = r.endpoints.find((e) => e.container === 'web')!.hostVeth!;
      ip('link', 'del', veth);
      ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'adm-c1');
      ip('addr', 'add', '192.0.2.20/24', 'dev', veth);
      return { hostLinks: [veth, 'adm-c1'], cleanup: () => ip('link', 'del', veth) };
    },
    object: '! repair attachment web/own',
    reason: /veth "nd[0-9a-f]{12}" exists and is not netd's \(no netd:endpoint mark\)/,
    refusal:
      /pre-flight: attachment "web\/own": veth "(nd[0-9a-f]{12})" exists and is not netd's \(no netd:endpoint mark\): netd will not change it; delete or rename it \(ip link delete \1\), or stop declaring attachment "web\/own"/,
    pruned: yaml({ attach: false }),
    // Deleting the container deletes its attachments.
    delete: { file: 'version: 1\ncontainers:\n  web: {}\n', flags: [], left: yaml({ web: false }) },
    gone: (r) => !r.endpoints.some((e) => e.container === 'web') && !r.allocations.some((a) => a.address === '10.93.0.10'),
  },
];

const recorded = async (host: TestHost): Promise<RecordedState> => {
  const e = await host.engine();
  try {
    return await loadRecorded(e.store);
  } finally {
    await e.store.close();
  }
};

/** The admin's object as the kernel shows it: its host links and, for a namespace, all of it. */
const look = (m: Made): { host: Picture; ns?: Picture } => ({ host: picture(undefined, m.hostLinks), ...(m.ns ? { ns: picture(m.ns) } : {}) });

for (const [tc, via] of cases.flatMap((c) => [[c, 'prune'] as const, [c, 'delete -f'] as const])) {
  test(`ownership: ${tc.name} → diff reports it, apply refuses, ${via} keeps it`, { skip }, async () => {
    const host = new TestHost();
    let made: Made | undefined;
    try {
      const first = await host.apply(yaml({}));
      assert.equal(first.code, 0, first.stderr);
      const mine = await recorded(host);
      const web = mine.sandboxes.find((x) => x.container === 'web')!;
      assert.equal(web.nsId, await namespaceId('/run/netns/web'), "the record keeps the identity of netd's namespace");
      made = tc.replace(mine);
      const before = look(made);

      const d = await host.diff(yaml({}));
      assert.equal(d.code, 2, d.stdout + d.stderr);
      assert.ok(d.stdout.split('\n').includes(tc.object), `diff names "${tc.object}":\n${d.stdout}`);
      assert.match(d.stdout, tc.reason);
      const json = await host.diff(yaml({}), '-o', 'json');
      assert.equal(json.code, 2);
      const changes = (JSON.parse(json.stdout) as { changes: { action: string; kind: string; name: string; reasons: string[] }[] }).changes;
      assert.ok(
        changes.some((c) => `! ${c.action} ${c.kind} ${c.name}` === tc.object && tc.reason.test(c.reasons[0] ?? '')),
        json.stdout,
      );

      const refused = await host.apply(yaml({}));
      assert.equal(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(refused.stderr, tc.refusal);
      assert.match(refused.stderr, /nothing was changed/);
      assert.deepEqual(look(made), before, 'the refused apply left the admin object untouched');

      if (via === 'prune') {
        const pruned = await host.apply(tc.pruned);
        assert.equal(pruned.code, 0, pruned.stdout + pruned.stderr);
        assert.match(pruned.stdout, /only the record is deleted/);
      } else {
        const deleted = await host.cli(['delete', ...tc.delete.flags], tc.delete.file);
        assert.equal(deleted.code, 0, deleted.stdout + deleted.stderr);
        assert.match(deleted.stdout, /only the record is deleted/);
      }
      assert.ok(tc.gone(await recorded(host)), "netd's record is gone");
      assert.deepEqual(look(made), before, `the ${via} left the admin object untouched`);
      const clean = await host.diff(via === 'prune' ? tc.pruned : tc.delete.left);
      assert.equal(clean.code, 0, clean.stdout);
    } finally {
      made?.cleanup();
      await host.teardown();
    }
  });
}
