/**
 * An admin's own `table inet netd` (no netd marker, a set and a rule of its own): diff reports
 * it, apply, delete -f and a prune refuse before changing anything, and the table stays byte
 * for byte as it was — both on a host where netd has no state yet and after the admin
 * replaced netd's table with theirs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { ALLOW_EMPTY, EMPTY, TestHost } from '../helpers/netd.js';

const YAML = `version: 1
networks:
  fw: { subnet: 10.95.0.0/24 }
containers:
  fw1: {}
attachments:
  - { container: fw1, network: fw }
`;

const ADMIN = `table inet netd {
  set admins { type ipv4_addr; elements = { 192.0.2.7 } }
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr @admins counter accept
  }
}
`;

const sh = (argv: string[], input?: string): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', ...(input === undefined ? {} : { input }) });
const table = (): string => sh(['nft', 'list', 'table', 'inet', 'netd']);
const links = (): string[] => (JSON.parse(sh(['ip', '-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname);

let host: TestHost;
let file: string;

before(() => {
  if (skip) return;
  sh(['nft', '-f', '-'], ADMIN);
  host = new TestHost();
  file = host.file(YAML);
});

after(async () => {
  if (skip) return;
  sh(['nft', 'delete', 'table', 'inet', 'netd']);
  await host.teardown();
});

const FOREIGN = "table inet netd exists and is not netd's (no netd marker)";

/** diff reports the table; apply, delete -f and (with state) a prune refuse; the table and the links stay. */
async function refusesAll(prune: boolean): Promise<void> {
  const mine = table();
  const linksBefore = links();
  const d = await host.cli(['diff', '-f', file]);
  assert.equal(d.code, 2, d.stderr);
  assert.ok(d.stdout.includes(FOREIGN), d.stdout);
  const runs = [['apply', '-f', file], ['delete', '-f', file], ...(prune ? [['apply', ALLOW_EMPTY, '-f', host.file(EMPTY)]] : [])];
  for (const args of runs) {
    const r = await host.cli(args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.includes(FOREIGN), r.stderr);
    assert.match(r.stderr, /delete or rename it \(nft delete table inet netd\)/);
    assert.equal(table(), mine, `${args.join(' ')} changed the admin's table`);
    assert.deepEqual(links(), linksBefore, `${args.join(' ')} changed the links`);
  }
}

test('no state yet: an admin table inet netd is reported and never touched', { skip }, async () => {
  await refusesAll(false);
  const doctor = JSON.parse((await host.cli(['doctor', '-o', 'json'])).stdout) as { name: string; status: string; detail: string; fix?: string }[];
  assert.deepEqual(
    doctor.find((c) => c.name === 'firewall'),
    {
      group: 'leaks',
      name: 'firewall',
      status: 'problem',
      detail: FOREIGN,
      fix: 'nft delete table inet netd (or rename it)',
    },
  );
  assert.deepEqual(readdirSync('/run/netns'), []);
});

test("an admin's table in place of netd's: reported, refused, never overwritten nor deleted", { skip }, async () => {
  sh(['nft', 'delete', 'table', 'inet', 'netd']);
  const r = await host.cli(['apply', '-f', file]);
  assert.equal(r.code, 0, r.stderr);
  sh(['nft', 'delete', 'table', 'inet', 'netd']);
  sh(['nft', '-f', '-'], ADMIN);
  await refusesAll(true);
});
