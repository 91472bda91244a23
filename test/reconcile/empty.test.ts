/**
 * An input that declares nothing would prune everything netd owns: apply, diff and watch
 * refuse it (65, nothing changed) unless --allow-empty; validate accepts it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kernelLeftovers, kernelSkip as skip } from '../helpers/kernel.js';
import { ROOT, runCli, type Captured } from '../helpers/cli.js';
import { ALLOW_EMPTY, EMPTY, TestHost } from '../helpers/netd.js';

const YAML = `version: 1
networks:
  e1: { subnet: 10.98.0.0/24 }
containers:
  ec1: {}
attachments:
  - { container: ec1, network: e1 }
`;
const REFUSED = /nothing declared: refusing to remove everything netd owns; pass --allow-empty to do that\n/;

let host: TestHost;
before(async () => {
  host = new TestHost();
  if (!skip) assert.equal((await host.apply(YAML)).code, 0);
});
after(async () => {
  if (!skip) await host.teardown();
});

/** `cat missing.yaml | netd apply -f -`, as a shell runs it. */
function catMissingIntoApply(): Captured {
  const bin = join(ROOT, 'dist/src/cli/bin.js');
  const r = spawnSync(
    'sh',
    ['-c', 'cat "$1" | "$2" "$3" apply -f - --state-dir "$4"', 'sh', join(host.dir, 'missing.yaml'), process.execPath, bin, host.stateDir],
    { encoding: 'utf8' },
  );
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const cases: { name: string; run: () => Promise<Captured> | Captured }[] = [
  { name: 'apply of a 0-byte file', run: () => host.apply('') },
  { name: 'apply of a file with only "version: 1"', run: () => host.apply(EMPTY) },
  { name: 'apply of an empty stdin', run: () => runCli(['apply', '-f', '-', '--state-dir', host.stateDir], { stdin: '' }) },
  { name: 'cat missing.yaml | netd apply -f -', run: catMissingIntoApply },
  { name: 'apply of empty sections and comments', run: () => host.apply('# nothing yet\nversion: 1\nnetworks: {}\ncontainers: {}\nattachments: []\n') },
  { name: 'apply --dry-run of an empty file', run: () => host.apply('', '--dry-run') },
  { name: 'diff of an empty file', run: () => host.diff('') },
];

for (const tc of cases) {
  test(`refused with 65, nothing deleted: ${tc.name}`, { skip }, async () => {
    const was = kernelLeftovers();
    const r = await tc.run();
    assert.equal(r.code, 65, r.stderr);
    assert.match(r.stderr, REFUSED);
    assert.equal(r.stdout, '');
    assert.deepEqual(kernelLeftovers(), was);
    assert.equal((await host.diff(YAML)).code, 0, 'everything applied is still there');
  });
}

test('validate accepts an empty file', async () => {
  const r = await runCli(['validate', '-f', '-'], { stdin: '' });
  assert.equal(r.code, 0, r.stderr);
});

test('watch reports an emptied file, changes nothing and keeps running', { skip }, async () => {
  const file = host.file(YAML);
  const ac = new AbortController();
  const done = runCli(['watch', '-f', file, '--resync', '300ms', '--state-dir', host.stateDir], { signal: ac.signal });
  try {
    await sleep(500);
    writeFileSync(file, '');
    await sleep(1000); // the change and at least one resync
    assert.equal((await host.diff(YAML)).code, 0, 'nothing was deleted');
  } finally {
    ac.abort();
  }
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /"msg":"pass \((change|resync)\): the files were refused, nothing was changed: netd watch: nothing declared/);
});

test('--allow-empty: diff shows every delete, apply prunes everything netd owns', { skip }, async () => {
  const d = await host.diff('', ALLOW_EMPTY);
  assert.equal(d.code, 2, d.stderr);
  assert.match(d.stdout, /- delete network e1/);
  const r = await host.apply('', ALLOW_EMPTY);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /0 created, 3 deleted, 0 failed/);
  assert.deepEqual(kernelLeftovers(), []);
});
