/**
 * A container's extra hosts and labels on a real kernel (inside the throwaway host): the extra
 * hosts resolve inside the container (`getent hosts` under `ip netns exec`, which mounts the
 * hosts file netd wrote), labels are recorded, shown and selected by `get`, shown by
 * `inspect`, exported, and their change is an update of the record alone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parse } from 'yaml';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { TestHost } from '../helpers/netd.js';
import type { ApplyReport } from '../../src/reconcile/apply-report.js';

const yaml = (app: string, extra = '"db.internal:10.96.5.7", "db6:2001:db8::7"'): string => `version: 1
networks:
  eh-net: { subnet: 10.96.4.0/24 }
containers:
  eh-web: { extraHosts: [${extra}], labels: { app: ${app}, tier: front } }
  eh-db: {}
attachments:
  - { container: eh-web, network: eh-net }
  - { container: eh-db, network: eh-net }
`;

/** `getent hosts NAME` inside the namespace: the first matching line, whitespace collapsed. */
const getent = (ns: string, name: string): string =>
  execFileSync('ip', ['netns', 'exec', ns, 'getent', 'hosts', name], { encoding: 'utf8' }).trim().replace(/\s+/g, ' ');

let host: TestHost;
before(() => (host = new TestHost()));
after(async () => {
  if (!skip) await host.teardown();
});

test('extra hosts resolve inside the container; a peer still does', { skip }, async () => {
  const r = await host.apply(yaml('web'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(getent('eh-web', 'db.internal'), '10.96.5.7 db.internal');
  assert.equal(getent('eh-web', 'db6'), '2001:db8::7 db6');
  assert.match(getent('eh-web', 'eh-db'), /^10\.96\.4\.\d+ eh-db$/);
  // Another container's extra hosts are its own.
  assert.throws(() => getent('eh-db', 'db.internal'));
});

test('a changed extra host: an update, the hosts file rewritten', { skip }, async () => {
  const next = yaml('web', '"db.internal:10.96.5.8"');
  const d = await host.diff(next);
  assert.equal(d.code, 2, d.stderr);
  assert.match(
    d.stdout,
    /^~ update container eh-web\n {4}extraHosts \[db\.internal:10\.96\.5\.7, db6:2001:db8::7\] → \[db\.internal:10\.96\.5\.8\]\nPlan: 0 to create, 1 to update/,
  );
  const r = await host.apply(next);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(getent('eh-web', 'db.internal'), '10.96.5.8 db.internal');
  assert.equal((await host.diff(next)).code, 0);
});

test('a label change is an update of the record alone', { skip }, async () => {
  const before = yaml('web', '"db.internal:10.96.5.8"');
  const next = yaml('api', '"db.internal:10.96.5.8"');
  const d = await host.diff(next);
  assert.equal(d.code, 2, d.stderr);
  assert.match(d.stdout, /^~ update container eh-web\n {4}label app web → api\nPlan: 0 to create, 1 to update/);
  const r = await host.apply(next, '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ApplyReport;
  assert.deepEqual(
    report.plan.map((c) => `${c.action} ${c.kind} ${c.name}`),
    ['update container eh-web'],
  );
  assert.equal(report.kernel.writes, 0, JSON.stringify(report.kernel));
  // Adding and removing labels say so.
  const d2 = await host.diff(before.replace('tier: front', 'zone: a'));
  assert.match(d2.stdout, /\n {4}label app api → web\n {4}label tier front → none\n {4}label zone none → a\n/);
});

test('get shows and selects container labels; inspect shows them', { skip }, async () => {
  const wide = await host.cli(['get', 'containers', '-o', 'wide']);
  assert.equal(wide.code, 0, wide.stderr);
  assert.match(wide.stdout, /^NAME +NETNS +HOSTNAME +NETWORKS +STATE +LABELS +ID\n/);
  assert.match(wide.stdout, /\neh-web +eh-web +eh-web +eh-net +ready +app=api,tier=front +[0-9a-f]{64}\n/);
  const selected = await host.cli(['get', 'containers', '-l', 'app=api']);
  assert.deepEqual(
    selected.stdout
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => l.split(/\s+/)[0]),
    ['eh-web'],
  );
  assert.equal((await host.cli(['get', 'containers', '-l', 'app=web'])).stdout, 'no containers with app=web\n');
  const att = await host.cli(['get', 'attachments', '-l', 'app=api']);
  assert.equal(att.code, 64);
  assert.match(att.stderr, /-l selects networks and containers by their labels; attachments have none/);
  const i = await host.cli(['inspect', 'eh-web']);
  const [web] = JSON.parse(i.stdout) as { ExtraHosts: string[]; Labels: Record<string, string> }[];
  assert.deepEqual(web?.ExtraHosts, ['db.internal:10.96.5.8']);
  assert.deepEqual(web?.Labels, { app: 'api', tier: 'front' });
});

test('export carries extra hosts and labels, and re-applies to a no-op', { skip }, async () => {
  const e = await host.cli(['export']);
  assert.equal(e.code, 0, e.stderr);
  const doc = parse(e.stdout) as { containers: Record<string, unknown> };
  assert.deepEqual(doc.containers['eh-web'], { extraHosts: ['db.internal:10.96.5.8'], labels: { app: 'api', tier: 'front' } });
  assert.deepEqual(doc.containers['eh-db'], {});
  const d = await host.diff(e.stdout);
  assert.equal(d.code, 0, d.stdout + d.stderr);
});
