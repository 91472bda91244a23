/**
 * Files below a managed directory are never reached through a symlink: a symlinked base or
 * directory is refused with its path, a symlink (or FIFO) where the file should be reads as
 * missing and is replaced by a write, and the symlink's target is never touched.
 * On a temporary base (the kernel tests do the same through netd apply on /etc/netns).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDirsBelow, readBelow, removeBelow, writeBelow } from '../../src/kernel/nofollow.js';

const root = mkdtempSync(join(tmpdir(), 'netd-nofollow-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A fresh base (not created), and an outside directory holding `target` with known content. */
function fixture(): { base: string; outside: string; target: string } {
  const dir = join(root, `c${n++}`);
  const outside = join(dir, 'outside');
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'target'), 'outside\n');
  return { base: join(dir, 'netns'), outside, target: join(outside, 'target') };
}

const untouched = (f: { outside: string; target: string }): void => {
  assert.deepEqual(readdirSync(f.outside), ['target']);
  assert.equal(readFileSync(f.target, 'utf8'), 'outside\n');
};

test('writes create the directories and a 0644 file, leaving no temporary file', async () => {
  const f = fixture();
  await writeBelow(f.base, ['web', 'hosts'], 'a\n');
  await writeBelow(f.base, ['web', 'hosts'], 'b\n');
  assert.equal(await readBelow(f.base, ['web', 'hosts']), 'b\n');
  assert.equal(statSync(join(f.base, 'web', 'hosts')).mode & 0o777, 0o644);
  assert.deepEqual(readdirSync(join(f.base, 'web')), ['hosts']);
  assert.equal(await readBelow(f.base, ['api', 'hosts']), null);
  await checkDirsBelow(f.base, ['api']);
});

const fileCases: { name: string; plant(f: { target: string; outside: string }, path: string): void }[] = [
  { name: 'a symlink to a file outside', plant: (f, path) => symlinkSync(f.target, path) },
  { name: 'a dangling symlink', plant: (f, path) => symlinkSync(join(f.outside, 'missing'), path) },
  { name: 'a FIFO', plant: (_f, path) => void execFileSync('mkfifo', [path]) },
];

for (const tc of fileCases) {
  test(`${tc.name} where the file should be reads as missing and is replaced by a write`, async () => {
    const f = fixture();
    const path = join(f.base, 'web', 'resolv.conf');
    mkdirSync(join(f.base, 'web'), { recursive: true });
    tc.plant(f, path);
    assert.equal(await readBelow(f.base, ['web', 'resolv.conf']), null);
    await writeBelow(f.base, ['web', 'resolv.conf'], 'nameserver 10.0.0.1\n');
    assert.ok(lstatSync(path).isFile(), 'a regular file now');
    assert.equal(readFileSync(path, 'utf8'), 'nameserver 10.0.0.1\n');
    untouched(f);
  });
}

const dirCases: { name: string; plant(f: { base: string; outside: string }): string }[] = [
  {
    name: 'a symlinked namespace directory',
    plant: (f) => {
      mkdirSync(f.base);
      symlinkSync(f.outside, join(f.base, 'web'));
      return join(f.base, 'web');
    },
  },
  {
    name: 'a symlinked base directory',
    plant: (f) => {
      symlinkSync(f.outside, f.base);
      return f.base;
    },
  },
];

for (const tc of dirCases) {
  test(`${tc.name} is refused for reads, writes and checks, naming the path`, async () => {
    const f = fixture();
    const shown = tc.plant(f);
    const refused = { code: 'forbidden', message: `"${shown}" is a symlink: netd never writes through one; remove it` };
    await assert.rejects(writeBelow(f.base, ['web', 'hosts'], 'x\n'), refused);
    await assert.rejects(readBelow(f.base, ['web', 'hosts']), refused);
    await assert.rejects(checkDirsBelow(f.base, ['web']), refused);
    untouched(f);
  });
}

test('remove takes the directory and its files; a symlink there is removed itself, its target kept', async () => {
  const f = fixture();
  await writeBelow(f.base, ['web', 'hosts'], 'x\n');
  await removeBelow(f.base, 'web');
  assert.deepEqual(readdirSync(f.base), []);
  symlinkSync(f.outside, join(f.base, 'api'));
  await removeBelow(f.base, 'api');
  assert.deepEqual(readdirSync(f.base), []);
  await removeBelow(f.base, 'missing');
  untouched(f);
});

test('remove under a symlinked base is refused; a missing base is nothing to remove', async () => {
  const f = fixture();
  await removeBelow(f.base, 'web');
  assert.equal(existsSync(f.base), false);
  symlinkSync(f.outside, f.base);
  await assert.rejects(removeBelow(f.base, 'target'), { message: `"${f.base}" is a symlink: netd never writes through one; remove it` });
  untouched(f);
});

test('a path that leaves the base is an internal error, not a write', async () => {
  const f = fixture();
  await assert.rejects(writeBelow(f.base, ['..', 'outside', 'target'], 'x'), { code: 'internal' });
  await assert.rejects(removeBelow(f.base, '..'), { code: 'internal' });
  untouched(f);
});
