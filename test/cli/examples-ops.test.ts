/**
 * The operations examples stay true to the CLI: the systemd unit's ExecStart and the cron
 * job's command are netd invocations whose flags this netd accepts (run here with a file
 * that does not exist, they fail on the file — exit 65 — not on a flag — exit 64), and the
 * unit has what an init system needs. `systemd-analyze verify` runs where it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';

const unit = readFileSync(join(ROOT, 'examples/systemd/netd-watch.service'), 'utf8');
const cron = readFileSync(join(ROOT, 'examples/cron/netd-drift'), 'utf8');

/** The netd arguments of a command line, with /etc/netd and /var/lib/netd swapped for paths here. */
function netdArgs(line: string, dir: string): string[] {
  const words = line.trim().split(/\s+/);
  const at = words.findIndex((w) => w === 'netd' || w.endsWith('/netd'));
  const end = words.findIndex((w, i) => i > at && /^[>;|&]/.test(w));
  return words
    .slice(at + 1, end < 0 ? undefined : end)
    .map((w) => (w === '/etc/netd' ? join(dir, 'missing.yaml') : w === '/var/lib/netd' ? join(dir, 'state') : w));
}

test('the systemd unit: ExecStart parses, the signal and restart policy are set', async () => {
  const keys = new Map(
    unit
      .split('\n')
      .filter((l) => /^\w+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
  for (const [k, v] of [
    ['KillSignal', 'SIGTERM'],
    ['Restart', 'on-failure'],
    ['Type', 'simple'],
    ['WantedBy', 'multi-user.target'],
  ] as const)
    assert.equal(keys.get(k), v, k);
  assert.match(keys.get('After') ?? '', /network-online\.target/);
  const dir = mkdtempSync(join(tmpdir(), 'netd-unit-'));
  const args = netdArgs(keys.get('ExecStart')!, dir);
  assert.equal(args[0], 'watch');
  const r = await runCli(args);
  assert.equal(r.code, 65, r.stderr);
  assert.match(r.stderr, /missing\.yaml: no such file or directory/);
  const verify = spawnSync('systemd-analyze', ['verify', join(ROOT, 'examples/systemd/netd-watch.service')], { encoding: 'utf8' });
  if (verify.error === undefined) assert.doesNotMatch(verify.stderr, /Unknown (key|section)|Invalid|Failed to parse/, verify.stderr);
});

test('the cron job: a diff whose flags parse, and a line cron can read', async () => {
  const job = cron.split('\n').find((l) => /^[*\d]/.test(l))!;
  assert.match(job, /^(\S+\s+){5}root\s+netd diff /, 'five time fields, the user, the command');
  const dir = mkdtempSync(join(tmpdir(), 'netd-cron-'));
  const args = netdArgs(job.split(/\s+/).slice(6).join(' '), dir);
  assert.deepEqual(args.slice(0, 1), ['diff']);
  const r = await runCli(args);
  assert.equal(r.code, 65, r.stderr);
});
