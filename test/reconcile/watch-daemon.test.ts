/**
 * `netd watch` as an init system runs it, in its own process: SIGTERM in the middle of a pass
 * lets the pass finish and exits 0 (nothing left `creating` or `deleting`); a second daemon
 * on the same state dir is refused; a missing -f path and a zero --resync are refused before
 * anything starts. NETD_DAEMON_TRIALS sets the SIGTERM rounds (default 20, as the issue asks).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { EMPTY, ALLOW_EMPTY, TestHost } from '../helpers/netd.js';
import { humanLine } from '../../src/cli/daemon-log.js';
import { freePort } from '../helpers/etcd.js';

const BIN = join(ROOT, 'dist/src/cli/bin.js');
const TRIALS = Number(process.env.NETD_DAEMON_TRIALS ?? 20);

const many = (n: number): string =>
  [
    'version: 1',
    'networks:',
    '  d: { subnet: 10.96.0.0/24 }',
    'containers:',
    ...Array.from({ length: n }, (_, i) => `  dm${i}: {}`),
    'attachments:',
    ...Array.from({ length: n }, (_, i) => `  - { container: dm${i}, network: d }`),
    '',
  ].join('\n');

interface Daemon {
  readonly child: ChildProcess;
  out: string;
  err: string;
  readonly exited: Promise<number | string | null>;
}

function daemon(args: string[]): Daemon {
  const child = spawn(process.execPath, [BIN, 'watch', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const d: Daemon = { child, out: '', err: '', exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal))) };
  child.stdout.on('data', (b: Buffer) => (d.out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (d.err += b.toString()));
  return d;
}

const netns = (): string[] =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('watch: SIGTERM during a pass finishes the pass and exits 0; nothing is left half done', { skip }, async () => {
  const host = new TestHost();
  try {
    for (let i = 0; i < TRIALS; i++) {
      // Alternate building and pruning, so that the signal lands in creates and in deletes.
      const file = host.file(i % 2 === 0 ? many(12) : many(2));
      const build = i % 2 === 0;
      const d = daemon(['-f', file, '--state-dir', host.stateDir, '--resync', '1h']);
      try {
        // The kernel work has begun: a namespace the last round did not leave appears, or (pruning) one goes.
        await until('the pass to be under way', () => (build ? netns().includes('dm11') : !netns().includes('dm11')), 30_000);
      } finally {
        d.child.kill('SIGTERM');
      }
      assert.equal(await d.exited, 0, `round ${i}: ${d.err}\n${netns().join(' ')}`);
      assert.match(d.err, /"signal":"SIGTERM".*stopping after the pass in flight/);
      assert.match(d.err, /"trigger":"start","outcome":"applied"/);
      const diff = await host.diff(build ? many(12) : many(2));
      assert.equal(diff.code, 0, `round ${i}: the pass converged before the daemon exited\n${diff.stdout}${diff.stderr}`);
    }
  } finally {
    assert.equal((await host.apply(EMPTY, ALLOW_EMPTY)).code, 0);
    await host.teardown();
  }
});

test('watch: a second daemon on one state dir is refused with the holder pid (exit 75)', { skip }, async () => {
  const host = new TestHost();
  const file = host.file(EMPTY);
  const first = daemon(['-f', file, '--allow-empty', '--state-dir', host.stateDir]);
  try {
    await until('the first daemon to start', () => /"msg":"watching /.test(first.err));
    const second = await runCli(['watch', '-f', file, '--allow-empty', '--state-dir', host.stateDir]);
    assert.equal(second.code, 75, second.stderr);
    assert.match(second.stderr, new RegExp(`another netd watch \\(pid ${first.child.pid}\\) runs on state dir`));
  } finally {
    first.child.kill('SIGINT');
    assert.equal(await first.exited, 0, first.err);
    await host.teardown();
  }
});

test('watch: refused before it starts: a missing file (65), a zero or malformed --resync (64); 1m30s and 1h are durations', { skip }, async () => {
  const host = new TestHost();
  const file = host.file(EMPTY);
  const cases: [string[], number, RegExp][] = [
    [['-f', join(host.dir, 'nope.yaml')], 65, /-f .*nope\.yaml: no such file or directory/],
    [['-f', file, '--resync', '0'], 64, /--resync: must be longer than 0/],
    [['-f', file, '--resync=-5s'], 64, /--resync: "-5s" is not a duration/],
    [['-f', file, '--resync', '1m30'], 64, /is not a duration/],
  ];
  for (const [args, code, stderr] of cases) {
    const r = await runCli(['watch', ...args, '--state-dir', host.stateDir]);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, stderr);
  }
  for (const [resync, shown] of [
    ['1m30s', '1m30s'],
    ['1h', '1h'],
    ['500ms', '500ms'],
  ]) {
    const d = daemon(['-f', file, '--allow-empty', '--resync', resync!, '--state-dir', host.stateDir]);
    try {
      await until('the start line', () => /"msg":"watching /.test(d.err));
    } finally {
      d.child.kill('SIGTERM');
    }
    assert.equal(await d.exited, 0, d.err);
    assert.match(d.err, new RegExp(`"resync":"${shown}"`));
  }
  await host.teardown();
});

test('watch on a terminal: the same events as human lines with timestamps, lists indented', () => {
  const line = JSON.stringify({
    level: 50,
    time: '2026-11-30T17:10:00.123Z',
    msg: 'pass (change): 1 created, 0 deleted, 1 failed (180 ms); did not converge',
    changes: ['+ create container a'],
    errors: [{ kind: 'conflict', message: 'create network "n": it exists' }],
  });
  assert.equal(
    humanLine(line),
    '2026-11-30 17:10:00.123 ERROR pass (change): 1 created, 0 deleted, 1 failed (180 ms); did not converge\n' +
      '    + create container a\n' +
      '    conflict: create network "n": it exists\n',
  );
});

test('watch --listen: /metrics counts passes and changes, /healthz flips to 503 when the host cannot be converged', { skip }, async () => {
  const host = new TestHost();
  const file = host.file(many(1));
  const port = await freePort();
  const d = daemon(['-f', file, '--state-dir', host.stateDir, '--resync', '300ms', '--listen', `127.0.0.1:${port}`]);
  const get = async (path: string): Promise<{ status: number; body: string }> => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: r.status, body: await r.text() };
  };
  const metric = (body: string, name: string): number => Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(body)?.[1] ?? NaN);
  try {
    await until('the first pass', () => /"trigger":"start","outcome":"applied"/.test(d.err));
    const m = await get('/metrics');
    assert.equal(m.status, 200);
    assert.equal(metric(m.body, 'netd_passes_total{trigger="start",outcome="applied"}'), 1);
    assert.equal(metric(m.body, 'netd_changes_total{kind="container",action="create"}'), 1);
    assert.equal(metric(m.body, 'netd_objects{kind="attachment"}'), 1);
    assert.ok(metric(m.body, 'netd_last_success_timestamp_seconds') > 1.7e9);
    assert.match(m.body, /^netd_pass_duration_seconds_count\{trigger="start"\} 1$/m);
    // A resync (300 ms) may already have found the host in sync.
    const healthy = await get('/healthz');
    assert.equal(healthy.status, 200);
    assert.match(healthy.body, /^ok: (applied|in-sync)\n$/);
    // The namespace replaced by one netd did not create: netd refuses to touch it, every pass.
    execFileSync('ip', ['netns', 'del', 'dm0']);
    execFileSync('ip', ['netns', 'add', 'dm0']);
    const deadline = Date.now() + 20_000;
    let h = await get('/healthz');
    while (h.status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      h = await get('/healthz');
    }
    assert.equal(h.status, 503);
    assert.match(h.body, /^unhealthy: refused: .*dm0/);
    assert.ok(metric((await get('/metrics')).body, 'netd_passes_total{trigger="resync",outcome="refused"}') >= 1);
    assert.equal((await get('/nope')).status, 404);
  } finally {
    d.child.kill('SIGTERM');
  }
  assert.equal(await d.exited, 0, d.err);
  execFileSync('ip', ['netns', 'del', 'dm0']);
  await host.teardown();
});
