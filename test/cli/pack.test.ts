/**
 * `npm pack` makes an installable tarball whose `netd` works after a global install. Slow (a
 * minute and a half: the install builds better-sqlite3), so it runs only with NETD_PACK=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

const skip = process.env.NETD_PACK === '1' ? false : 'slow: set NETD_PACK=1 (npm pack, then a global install from the tarball)';

const npm = (args: string[], cwd: string): string => {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `npm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

test('npm pack: the tarball installs globally and its netd runs', { skip, timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'netd-pack-'));
  try {
    npm(['pack', '--pack-destination', dir], ROOT);
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    npm(['install', '-g', '--prefix', join(dir, 'g'), '--no-audit', '--no-fund', join(dir, tgz)], dir);
    const netd = (args: string[]) => spawnSync(join(dir, 'g/bin/netd'), args, { encoding: 'utf8' });
    const v = netd(['version']);
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /^netd \d+\.\d+\.\d+ \(commit [0-9a-f]{12}\)/);
    const ok = netd(['validate', '-f', join(ROOT, 'netd.yaml')]);
    assert.equal(ok.status, 0, ok.stderr);
    const get = netd(['get', 'networks', '--state-dir', join(dir, 'state')]);
    assert.deepEqual([get.status, get.stdout], [0, 'no networks\n'], get.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
