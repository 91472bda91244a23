/**
 * Ownership by identity when the kernel reuses an nsfs inode (inside the throwaway host): a
 * freed namespace's inode goes to the next namespace made (the lowest free number), so the
 * admin's `ip netns del web; ip netns add web` can give a namespace netd's record names by
 * device and inode. Its cookie (never reused) differs: netd refuses it as not its own rather
 * than "repairing" it. Without the addon the cookie is unknown and only the inode can tell.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { kernelSkip } from '../helpers/kernel.js';
import { TestHost } from '../helpers/netd.js';
import { picture } from '../helpers/picture.js';
import { loadRecorded } from '../../src/reconcile/snapshot.js';
import { namespaceId } from '../../src/kernel/netns.js';
import { netlinkStatus } from '../../src/kernel/netlink/addon.js';
import { sandboxKey, type SandboxRecord } from '../../src/state/records.js';

const skip = kernelSkip || (netlinkStatus().loaded ? false : 'needs the native addon: without it a namespace has no cookie');
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const YAML = 'version: 1\ncontainers:\n  web: {}\n  api: {}\n';
const inode = (name: string): string => String(statSync(`/run/netns/${name}`, { bigint: true }).ino);
/** Namespaces kept aside while provoking the reuse: they hold the free inodes below netd's. */
const ASIDE = 200;

async function webRecord(host: TestHost): Promise<SandboxRecord | undefined> {
  const e = await host.engine();
  try {
    return (await loadRecorded(e.store)).sandboxes.find((s) => s.container === 'web');
  } finally {
    await e.store.close();
  }
}

/**
 * Deletes netd's namespace and makes the admin's under its name until the new one has the old
 * inode: each miss is kept aside (bound to another name) so that the next one takes the next
 * free inode. Bounded: another process on the host may take that inode first.
 */
function recreateOnSameInode(ino: string, aside: string[]): boolean {
  ip('netns', 'del', 'web');
  for (let i = 0; i < ASIDE; i++) {
    ip('netns', 'add', 'web');
    if (inode('web') === ino) return true;
    const keep = `/run/netns/nsid-aside${i}`;
    writeFileSync(keep, '');
    aside.push(keep);
    execFileSync('mount', ['--bind', '/run/netns/web', keep]);
    ip('netns', 'del', 'web');
  }
  ip('netns', 'add', 'web');
  return false;
}

test("ownership: a namespace re-created on netd's nsfs inode has another cookie → diff and apply call it replaced, prune keeps it", { skip }, async (t) => {
  const host = new TestHost();
  const aside: string[] = [];
  let made = false;
  try {
    assert.equal((await host.apply(YAML)).code, 0);
    const mine = (await webRecord(host))!;
    const [dev, ino, cookie] = mine.nsId!.split(':');
    assert.ok(cookie, `with the addon the identity carries the cookie: ${mine.nsId}`);

    made = true;
    const reused = recreateOnSameInode(ino!, aside);
    t.diagnostic(reused ? `the inode was reused after ${aside.length} kept aside` : 'the inode was not reused: the record is made to claim it');
    if (!reused) {
      // The inode went elsewhere: the record is made to claim the admin's inode, with netd's cookie.
      const e = await host.engine();
      try {
        await e.store.put(sandboxKey(mine.id), { ...mine, nsId: `${dev}:${inode('web')}:${cookie}` });
      } finally {
        await e.store.close();
      }
    }
    const admin = await namespaceId('/run/netns/web');
    const recorded = (await webRecord(host))!.nsId!;
    assert.equal(admin!.split(':').slice(0, 2).join(':'), recorded.split(':').slice(0, 2).join(':'), 'the same device and inode');
    assert.notEqual(admin, recorded, 'another cookie');
    const before = picture('web');

    const d = await host.diff(YAML);
    assert.equal(d.code, 2, d.stdout + d.stderr);
    assert.ok(d.stdout.split('\n').includes('! repair container web'), d.stdout);
    assert.match(d.stdout, /namespace "web" was replaced by one netd did not create/);
    const refused = await host.apply(YAML);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /pre-flight: container "web": namespace "web" was replaced by one netd did not create/);
    assert.deepEqual(picture('web'), before, 'the refused apply left the admin namespace untouched');

    const pruned = await host.apply('version: 1\ncontainers:\n  api: {}\n');
    assert.equal(pruned.code, 0, pruned.stdout + pruned.stderr);
    assert.match(pruned.stdout, /only the record is deleted/);
    assert.equal(await webRecord(host), undefined, "netd's record is gone");
    assert.equal(await namespaceId('/run/netns/web'), admin, 'the admin namespace is still there, the same one');
  } finally {
    for (const path of aside) ip('netns', 'del', path.slice('/run/netns/'.length));
    if (made) ip('netns', 'del', 'web');
    await host.teardown();
  }
});
