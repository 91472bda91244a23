/**
 * The /etc/netns files checked by size and digest on a real host (inside the throwaway host):
 * apply records what it wrote, a no-op diff renders no file, a hosts file edited by hand (to
 * the same size or not) is named by diff and repaired by apply, and records written before
 * digests were kept (none) still diff by rendering, until the next apply records them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { TestHost } from '../helpers/netd.js';
import { sha256 } from '../../src/digest.js';
import { filesRendered, hostsPath, resolvPath } from '../../src/state/files.js';
import { FILES, type FileRecord } from '../../src/state/records.js';

const YAML = `version: 1
networks:
  fd-net: { subnet: 10.236.0.0/24 }
containers:
  fd-a: {}
  fd-b: {}
  fd-c: {}
attachments:
  - { container: fd-a, network: fd-net, ipv4: 10.236.0.10 }
  - { container: fd-b, network: fd-net, ipv4: 10.236.0.11 }
  - { container: fd-c, network: fd-net, ipv4: 10.236.0.12 }
`;
const PATHS = ['fd-a', 'fd-b', 'fd-c'].flatMap((ns) => [hostsPath(ns), resolvPath(ns)]);
const HOSTS = hostsPath('fd-a');

let host: TestHost;
let want: string;
before(async () => {
  host = new TestHost();
  if (skip) return;
  const r = await host.apply(YAML);
  assert.equal(r.code, 0, r.stderr);
  want = readFileSync(HOSTS, 'utf8');
});
after(async () => {
  if (!skip) await host.teardown();
});

async function fileRecords(): Promise<Map<string, FileRecord>> {
  const e = await host.engine();
  try {
    return new Map((await e.store.list<FileRecord>(FILES)).map((kv) => [kv.value.path, kv.value]));
  } finally {
    await e.store.close();
  }
}

async function assertRecorded(): Promise<void> {
  const records = await fileRecords();
  assert.deepEqual([...records.keys()].sort(), [...PATHS].sort());
  for (const path of PATHS) {
    const bytes = readFileSync(path);
    assert.deepEqual({ size: records.get(path)!.size, sha256: records.get(path)!.sha256 }, { size: bytes.length, sha256: sha256(bytes) }, path);
  }
}

/** diff names the edited hosts file, apply writes it back, and the next diff is clean. */
async function assertRepaired(edit: (text: string) => string): Promise<void> {
  writeFileSync(HOSTS, edit(want));
  const d = await host.diff(YAML);
  assert.equal(d.code, 2, d.stdout + d.stderr);
  assert.match(d.stdout, /^! repair container fd-a$/m);
  assert.match(d.stdout, /\/etc\/netns\/fd-a\/hosts differs/);
  const a = await host.apply(YAML);
  assert.equal(a.code, 0, a.stdout + a.stderr);
  assert.equal(readFileSync(HOSTS, 'utf8'), want);
  assert.equal((await host.diff(YAML)).code, 0);
}

test('apply records the size and sha256 of every file it wrote', { skip }, assertRecorded);

test('a no-op diff renders no file', { skip }, async () => {
  const before = filesRendered();
  const d = await host.diff(YAML);
  assert.equal(d.code, 0, d.stdout + d.stderr);
  assert.equal(filesRendered(), before);
});

const edits: { name: string; edit: (text: string) => string }[] = [
  { name: 'edited in place to the same size', edit: (t) => t.replace('10.236.0.11\tfd-b', '10.236.0.99\tfd-b') },
  { name: 'cut short', edit: (t) => t.slice(0, -5) },
  { name: 'a line added', edit: (t) => `${t}10.236.0.200\tintruder\n` },
];

for (const tc of edits) {
  test(`a hosts file ${tc.name}: diff names it, apply repairs it`, { skip }, async () => {
    assert.equal(tc.edit(want).length === want.length, tc.name.includes('same size'));
    await assertRepaired(tc.edit);
  });
}

test('records without digests (an older netd): diff renders and compares, the next repair records them', { skip }, async () => {
  const e = await host.engine();
  try {
    for (const kv of await e.store.list(FILES)) await e.store.delete(kv.key);
  } finally {
    await e.store.close();
  }
  const d = await host.diff(YAML);
  assert.equal(d.code, 0, d.stdout + d.stderr);
  await assertRepaired((t) => t.replace('10.236.0.12\tfd-c', '10.236.0.98\tfd-c'));
  await assertRecorded();
});
