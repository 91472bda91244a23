/** The host id: made once, kept in the state dir, private; a symlink planted there is refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST_ID_FILE, loadHostId, parseHostId } from '../../src/cluster/host-id.js';
import { isNetdError } from '../../src/errors.js';

function inTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'netd-hostid-'));
  try {
    fn(join(dir, 'state'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('host id: made on first use (0600), the same ever after', () =>
  inTempDir((state) => {
    const id = loadHostId(state);
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(loadHostId(state), id);
    assert.equal(statSync(join(state, HOST_ID_FILE)).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(state, HOST_ID_FILE), 'utf8'), `${id}\n`);
  }));

test('host id: an unreadable (empty, torn) file is replaced', () =>
  inTempDir((state) => {
    loadHostId(state);
    writeFileSync(join(state, HOST_ID_FILE), '');
    assert.match(loadHostId(state), /^[0-9a-f]{32}$/);
  }));

test('host id: a symlink in its place is refused, not followed', () =>
  inTempDir((state) => {
    loadHostId(state);
    rmSync(join(state, HOST_ID_FILE));
    symlinkSync('/etc/hostname', join(state, HOST_ID_FILE));
    assert.throws(
      () => loadHostId(state),
      (e) => isNetdError(e),
    );
  }));

const parse: [string, string | undefined][] = [
  ['0123456789abcdef0123456789abcdef\n', '0123456789abcdef0123456789abcdef'],
  ['0123456789ABCDEF0123456789ABCDEF', undefined],
  ['', undefined],
  ['0123', undefined],
];
for (const [text, want] of parse) test(`host id: parse ${JSON.stringify(text)}`, () => assert.equal(parseHostId(text), want));
