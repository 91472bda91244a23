/**
 * netd watch in-process on a real kernel: it applies at start, applies again when the file
 * changes, repairs drift at the resync, keeps the last state when the file turns invalid,
 * and stops cleanly on its signal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { runCli } from '../helpers/cli.js';
import { TestHost } from '../helpers/netd.js';

const ONE = `version: 1
networks:
  w: { subnet: 10.95.0.0/24 }
containers:
  w1: {}
attachments:
  - { container: w1, network: w }
`;
const TWO = ONE.replace('  w1: {}\n', '  w1: {}\n  w2: {}\n') + '  - { container: w2, network: w }\n';

const netns = (): string[] =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean)
    .sort();

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('watch: start, file change, drift repair at resync, invalid file, stop', { skip }, async () => {
  const host = new TestHost();
  const file = host.file(ONE);
  const ac = new AbortController();
  const done = runCli(['watch', '-f', file, '--resync', '500ms', '--state-dir', host.stateDir], { signal: ac.signal });
  try {
    await until('w1 after start', () => netns().includes('w1'));
    writeFileSync(file, TWO);
    await until('w2 after the file changed', () => netns().includes('w2'));
    const veth = (JSON.parse(execFileSync('ip', ['-j', 'link', 'show', 'type', 'veth'], { encoding: 'utf8' })) as { ifname: string }[])[0]!.ifname;
    execFileSync('ip', ['link', 'del', veth]);
    assert.equal((await host.diff(TWO)).code, 2, 'drift is visible');
    await until('the resync to repair the deleted veth', async () => (await host.diff(TWO)).code === 0);
    writeFileSync(file, TWO.replace('10.95.0.0/24', '10.95.0.1/24'));
    await sleep(1500);
    assert.deepEqual(netns(), ['w1', 'w2'], 'an invalid file changes nothing');
  } finally {
    ac.abort();
  }
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /host bits set/);
  // Not a terminal: one JSON event per line (pino); the files' errors are in the refused pass's event.
  const events = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map(
      (l) =>
        JSON.parse(l) as {
          level: number;
          msg: string;
          time: string;
          trigger?: string;
          outcome?: string;
          totals?: Record<string, number>;
          changes?: string[];
          errors?: { kind: string; message: string }[];
        },
    );
  assert.ok(
    events.every((e) => !Number.isNaN(Date.parse(e.time))),
    'every event has an ISO time',
  );
  assert.match(events[0]!.msg, /^watching .*; state dir .*; resync every 500ms$/);
  const passes = events.filter((e) => e.msg.startsWith('pass ('));
  const done3 = passes.find((e) => e.trigger === 'start')!;
  assert.deepEqual([done3.outcome, done3.totals?.created, done3.changes?.length], ['applied', 3, 3]);
  assert.match(done3.msg, /^pass \(start\): 3 created, 0 deleted, 0 failed \(\d+ ms\)$/);
  assert.ok(passes.some((e) => e.trigger === 'change' && e.totals?.created === 2));
  assert.ok(passes.some((e) => e.trigger === 'resync' && e.totals?.repaired === 1));
  const refused = passes.find((e) => e.outcome === 'refused')!;
  assert.match(refused.msg, /the files were refused, nothing was changed: .*host bits set/);
  assert.equal(refused.errors?.[0]?.kind, 'invalid');
  assert.match(refused.errors?.[0]?.message ?? '', /^.+\.yaml:\d+:\d+: .*host bits set/);
  assert.ok(
    r.stderr.split('\n').every((l) => l === '' || l.startsWith('{')),
    'nothing but JSON events on stderr',
  );
  // Passes in sync are debug events: not shown at the default level.
  assert.ok(passes.every((e) => e.outcome !== 'in-sync'));
  assert.equal(events.at(-1)!.msg, 'stopped');
  await host.teardown();
});
