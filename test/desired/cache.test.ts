/**
 * The validated-state cache: a hit gives the state a parse would (every example, through JSON
 * and back), a changed text or another build misses, invalid files are never kept (their errors
 * keep their places), and the state dir's file is private, replaced whole, and never trusted torn.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { desiredCache, DESIRED_CACHE_FILE } from '../../src/cli/desired-cache.js';
import type { DesiredState } from '../../src/desired/types.js';
import { loadDesiredState, type DesiredCache } from '../../src/desired/validate.js';
import { ROOT, runCli, tempFiles } from '../helpers/cli.js';

/** A cache in memory that counts what it is asked. */
function counting(): DesiredCache & { gets: number; hits: number; puts: number } {
  const m = new Map<string, string>();
  return {
    gets: 0,
    hits: 0,
    puts: 0,
    get(key) {
      this.gets++;
      const s = m.get(key);
      if (s !== undefined) this.hits++;
      return s === undefined ? undefined : (JSON.parse(s) as DesiredState);
    },
    put(key, state) {
      this.puts++;
      m.set(key, JSON.stringify(state));
    },
  };
}

const EXAMPLES = [
  join(ROOT, 'netd.yaml'),
  ...['examples', 'examples/overlay'].flatMap((d) =>
    readdirSync(join(ROOT, d))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(ROOT, d, f)),
  ),
];

for (const file of EXAMPLES) {
  test(`desired cache: ${file.slice(ROOT.length + 1)} from the cache equals it parsed, frozen`, async () => {
    const store = counting();
    const first = await loadDesiredState([file], { cache: { store, build: 'b1' } });
    const again = await loadDesiredState([file], { cache: { store, build: 'b1' } });
    assert.ok(first.ok && again.ok);
    assert.deepEqual({ gets: store.gets, hits: store.hits, puts: store.puts }, { gets: 2, hits: 1, puts: 1 });
    assert.deepEqual(again.state, first.state);
    assert.deepEqual(again.sources, first.sources);
    assert.ok(Object.isFrozen(again.state.networks[0]), 'a hit is frozen as a parse is');
  });
}

const cases = [
  { name: 'another build misses', second: { build: 'b2', text: 'same' }, hits: 0 },
  { name: 'a changed text misses', second: { build: 'b1', text: 'changed' }, hits: 0 },
  { name: 'the same text and build hit', second: { build: 'b1', text: 'same' }, hits: 1 },
] as const;

for (const tc of cases) {
  test(`desired cache: ${tc.name}`, async () => {
    const text = (s: string) => `version: 1\nnetworks:\n  web: { subnet: ${s === 'same' ? '10.1.0.0/24' : '10.2.0.0/24'} }\n`;
    const files = tempFiles({ 'n.yaml': text('same') });
    try {
      const f = files.path('n.yaml');
      const store = counting();
      assert.ok((await loadDesiredState([f], { cache: { store, build: 'b1' } })).ok);
      writeFileSync(f, text(tc.second.text));
      const r = await loadDesiredState([f], { cache: { store, build: tc.second.build } });
      assert.ok(r.ok);
      assert.equal(store.hits, tc.hits);
      assert.equal(r.state.networks[0]?.ipv4?.subnet, tc.second.text === 'same' ? '10.1.0.0/24' : '10.2.0.0/24');
    } finally {
      files.remove();
    }
  });
}

test('desired cache: an invalid file is never kept, and its errors keep their places every time', async () => {
  const files = tempFiles({ 'bad.yaml': 'version: 1\nnetworks:\n  web: { subnet: 10.1.0.0/33 }\n' });
  try {
    const f = files.path('bad.yaml');
    const store = counting();
    for (let i = 0; i < 2; i++) {
      const r = await loadDesiredState([f], { cache: { store, build: 'b1' } });
      assert.equal(r.ok, false);
      assert.ok(!r.ok && r.errors.every((e) => e.line === 3), JSON.stringify(r));
    }
    assert.equal(store.puts, 0);
  } finally {
    files.remove();
  }
});

test('desired cache: the same file named twice is not the file named once', async () => {
  const files = tempFiles({ 'n.yaml': 'version: 1\nnetworks:\n  web: { subnet: 10.1.0.0/24 }\n' });
  try {
    const f = files.path('n.yaml');
    const store = counting();
    assert.ok((await loadDesiredState([f], { cache: { store, build: 'b1' } })).ok);
    const twice = await loadDesiredState([f, f], { cache: { store, build: 'b1' } });
    assert.equal(twice.ok, false, 'declared twice, as without a cache');
    assert.equal(store.hits, 0);
  } finally {
    files.remove();
  }
});

test('desired cache: the state dir file is private, replaced whole, a torn one is a miss; no state dir, no cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netd-cache-'));
  try {
    assert.equal(desiredCache(join(dir, 'missing')), undefined, 'the cache never creates the state dir');
    const c = desiredCache(dir);
    assert.ok(c, 'npm run build gave this build an id');
    const state = { networks: [], containers: [], attachments: [] } as unknown as DesiredState;
    c.store.put('k1', state);
    assert.equal(statSync(join(dir, DESIRED_CACHE_FILE)).mode & 0o777, 0o600);
    assert.deepEqual(c.store.get('k1'), state);
    assert.equal(c.store.get('k2'), undefined);
    writeFileSync(join(dir, DESIRED_CACHE_FILE), '{"key":"k1","state":{"netw');
    assert.equal(c.store.get('k1'), undefined);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f !== DESIRED_CACHE_FILE),
      [],
      'no temporary file left',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('desired cache: netd validate writes no cache, even into an existing state dir', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netd-cache-'));
  try {
    const r = await runCli(['validate', '-f', join(ROOT, 'netd.yaml'), '--state-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
