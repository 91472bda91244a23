/**
 * A lost store (netd.db deleted under running containers): apply and delete refuse before
 * changing anything, diff says so, `recover` rebuilds the records so that diff is clean and
 * traffic still flows, and --force proceeds. The kernel is compared byte for byte.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { tcpRoundTrip } from '../helpers/traffic.js';
import { TestHost } from '../helpers/netd.js';
import { Readable, Writable } from 'node:stream';
import { DB_FILE } from '../../src/store/sqlite.js';
import { run } from '../../src/cli/run.js';

// front: declared subnet and bridge; back: subnet from the pools, derived bridge name (matched
// by its attachments); d: on the null network, no kernel object at all.
const YAML = `version: 1
networks:
  front: { subnet: 10.94.0.0/24, bridge: lost-front }
  back: {}
containers:
  a: {}
  b: {}
  c: {}
  d: {}
attachments:
  - { container: a, network: front, ipv4: 10.94.0.10 }
  - { container: b, network: front, ipv4: 10.94.0.11 }
  - { container: b, network: back, aliases: [bee] }
  - { container: c, network: back }
  - { container: d, network: none }
`;
const NAMESPACES = ['a', 'b', 'c', 'd'];
// 2 bridges, 4 veth pairs (both ends marked), 3 tables.
const MARKED = 13;

const sh = (...argv: string[]): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });

/**
 * The kernel's own clock is left out: bridge timers, a new bridge's operstate turning UP, and
 * IPv6 duplicate address detection finishing on the link-local addresses (their `tentative` flag).
 */
const settled = (json: string): string =>
  JSON.stringify(JSON.parse(json), (k, v: unknown) => {
    return k.endsWith('_timer') || k === 'tentative' || k === 'operstate' ? undefined : v;
  });

/** Everything netd could have changed: links, addresses and routes everywhere, the ruleset, the namespaces. */
function kernel(): Record<string, string> {
  const out: Record<string, string> = { netns: readdirSync('/run/netns').sort().join(','), nft: sh('nft', 'list', 'ruleset') };
  for (const ns of [undefined, ...NAMESPACES]) {
    const n = ns === undefined ? [] : ['-n', ns];
    out[`${ns ?? 'host'} links`] = settled(sh('ip', ...n, '-d', '-j', 'link', 'show'));
    out[`${ns ?? 'host'} addresses`] = settled(sh('ip', ...n, '-j', 'address', 'show'));
    // IPv4 only: the IPv6 routes the kernel adds as duplicate address detection ends are its own.
    out[`${ns ?? 'host'} routes`] = settled(sh('ip', ...n, '-4', '-j', 'route', 'show', 'table', 'all'));
  }
  return out;
}

let host: TestHost;
let file: string;
const loseStore = (): void => {
  for (const f of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`]) rmSync(join(host.stateDir, f), { force: true });
};
const backAddress = (container: string): string => {
  const addrs = JSON.parse(sh('ip', '-n', container, '-j', 'address', 'show')) as { addr_info: { family: string; local: string }[] }[];
  return addrs.flatMap((l) => l.addr_info).find((a) => a.family === 'inet' && !a.local.startsWith('10.94.') && a.local !== '127.0.0.1')!.local;
};
const traffic = async (): Promise<void> => {
  assert.ok(await tcpRoundTrip('a', 'b', '10.94.0.11'), 'a → b on front');
  assert.ok(await tcpRoundTrip('b', 'c', backAddress('c')), 'b → c on back');
};

before(async () => {
  if (skip) return;
  host = new TestHost();
  file = host.file(YAML);
  const r = await host.cli(['apply', '-f', file]);
  assert.equal(r.code, 0, r.stderr);
  await traffic();
});

after(async () => {
  if (skip) return;
  await host.teardown();
});

const lostMessage = (): RegExp => new RegExp(`the state in ${host.stateDir} was lost: ${MARKED} kernel objects carry netd's mark: run netd recover -f PATH`);

test('a lost store: apply, apply --dry-run and delete refuse (exit 1) and change nothing', { skip }, async () => {
  loseStore();
  const before = kernel();
  for (const args of [['apply'], ['apply', '--dry-run'], ['delete']]) {
    const r = await host.cli([...args, '-f', file]);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, lostMessage(), args.join(' '));
    assert.match(r.stderr, /--force/);
    assert.deepEqual(kernel(), before, `${args.join(' ')} changed the kernel`);
    assert.equal(existsSync(join(host.stateDir, DB_FILE)), false, `${args.join(' ')} created ${DB_FILE}`);
  }
});

test('a lost store: diff says so and exits 2; doctor advises recover, not deleting links', { skip }, async () => {
  const r = await host.cli(['diff', '-f', file]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, lostMessage());
  const doctor = JSON.parse((await host.cli(['doctor', '-o', 'json'])).stdout) as { name: string; status: string; detail: string; fix?: string }[];
  const links = doctor.filter((c) => c.name === 'links');
  assert.deepEqual(
    links.map((c) => [c.status, c.fix]),
    [['problem', 'netd recover -f PATH...']],
  );
  assert.match(links[0]!.detail, /10 link\(s\) carry a netd alias, but the store records nothing: the state was lost/);
});

test('a lost store: a watch pass refuses too and changes nothing', { skip }, async () => {
  const before = kernel();
  const ac = new AbortController();
  let err = '';
  const stderr = new Writable({
    write(chunk: Buffer, _enc, cb) {
      err += chunk.toString();
      if (err.includes('"trigger":"start"')) ac.abort(); // the first pass is over
      cb();
    },
  });
  const stdout = new Writable({ write: (_c, _e, cb) => cb() });
  const code = await run(['watch', '-f', file, '--state-dir', host.stateDir], { stdout, stderr, stdin: Readable.from([]), env: {}, signal: ac.signal });
  assert.equal(code, 0, err);
  const pass = err
    .split('\n')
    .filter((l) => l.includes('"trigger":"start"'))
    .map((l) => JSON.parse(l) as { outcome: string; refused: string[] })[0]!;
  assert.equal(pass.outcome, 'refused');
  assert.match(pass.refused.join('\n'), lostMessage());
  assert.deepEqual(kernel(), before);
});

test('recover rebuilds the records: diff is clean and traffic still flows', { skip }, async () => {
  const before = kernel();
  const r = await host.cli(['recover', '-f', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'recovered 2 networks, 4 containers, 5 attachments (4 addresses); netd diff shows what still differs from the files');
  assert.deepEqual(kernel(), before, 'recover changed the kernel');
  const d = await host.cli(['diff', '-f', file]);
  assert.equal(d.code, 0, d.stdout + d.stderr);
  await traffic();
  const again = await host.cli(['recover', '-f', file]);
  assert.equal(again.code, 1, again.stderr);
  assert.match(again.stderr, /holds records: recover rebuilds only a lost or emptied store/);
});

test('recover reports marked objects the files do not declare and leaves them', { skip }, async () => {
  loseStore();
  const only = host.file(YAML.replace(/ {2}- \{ container: c, network: back \}\n/, '').replace(/ {2}c: \{\}\n/, ''));
  const r = await host.cli(['recover', '-f', only]);
  assert.equal(r.code, 0, r.stderr);
  const left = r.stderr.split('\n').filter((l) => l.startsWith('recover: '));
  assert.equal(left.length, 1, r.stderr);
  assert.match(left[0]!, /^recover: veth nd[0-9a-f]{12} \(netd:endpoint:[0-9a-f]{64}\) is not declared in the files; left as is$/);
  // c's namespace is not declared, so its inner end is not looked at; with c back, all is clean.
  loseStore();
  assert.equal((await host.cli(['recover', '-f', file])).code, 0);
  assert.equal((await host.cli(['diff', '-f', file])).code, 0);
});

test('--force proceeds past a lost store', { skip }, async () => {
  loseStore();
  const a = await host.cli(['apply', '--force', '-f', file]);
  assert.equal(a.code, 1, a.stderr);
  assert.doesNotMatch(a.stderr, /was lost/);
  assert.match(a.stderr, /namespace "a" exists and is not netd's/);
  const d = await host.cli(['delete', '--force', '-f', file]);
  assert.equal(d.code, 0, d.stderr);
  // With no records the delete deletes nothing, and its firewall sync removes the tables.
  assert.equal(sh('nft', 'list', 'tables'), '');
  assert.equal((await host.cli(['recover', '-f', file])).code, 0);
  const diff = await host.cli(['diff', '-f', file]);
  assert.equal(diff.code, 2);
  assert.match(diff.stdout, /table inet netd: missing/);
  const r = await host.cli(['apply', '-f', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await host.cli(['diff', '-f', file])).code, 0);
  await traffic();
});
