/**
 * sameNamespace, purely: two namespace identities (`<st_dev>:<st_ino>[:<cookie>]`) are the same
 * namespace when dev and inode agree and their cookies, where both are known, too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameNamespace } from '../../src/state/marks.js';

const cases: { name: string; recorded: string; observed: string; same: boolean }[] = [
  { name: 'the same namespace, cookies known', recorded: '4:4026532317:8193', observed: '4:4026532317:8193', same: true },
  { name: 'a reused inode with another cookie', recorded: '4:4026532317:8193', observed: '4:4026532317:9001', same: false },
  { name: 'another inode, the same cookie (never both: not the same)', recorded: '4:4026532317:8193', observed: '4:4026532318:8193', same: false },
  { name: 'another nsfs device', recorded: '4:4026532317:8193', observed: '5:4026532317:8193', same: false },
  { name: 'cookie unknown to the observer (no addon): the inode tells', recorded: '4:4026532317:8193', observed: '4:4026532317', same: true },
  { name: 'cookie unknown to the observer, another inode', recorded: '4:4026532317:8193', observed: '4:4026532400', same: false },
  { name: 'a record written before cookies, the same inode', recorded: '4:4026532317', observed: '4:4026532317:9001', same: true },
  { name: 'a record written before cookies, another inode', recorded: '4:4026532317', observed: '4:4026532400:9001', same: false },
  { name: 'neither knows a cookie, the same inode', recorded: '4:4026532317', observed: '4:4026532317', same: true },
  { name: 'an inode that only starts like the other', recorded: '4:40265323', observed: '4:4026532317', same: false },
];

for (const tc of cases) {
  test(`sameNamespace: ${tc.name}`, () => {
    assert.equal(sameNamespace(tc.recorded, tc.observed), tc.same);
    assert.equal(sameNamespace(tc.observed, tc.recorded), tc.same, 'either way round');
  });
}
