/** Pre-flight finds its tools on PATH as execvp would, without running them: an executable file, not a directory or a plain file. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TOOLS, installed } from '../../src/reconcile/doctor-checks.js';

const nft = TOOLS.find((t) => t.name === 'nftables')!;

const cases: { name: string; make: (dir: string) => void; status: 'ok' | 'problem' }[] = [
  { name: 'an executable file', make: (d) => (writeFileSync(join(d, 'nft'), '#!/bin/sh\n'), chmodSync(join(d, 'nft'), 0o755)), status: 'ok' },
  { name: 'a file that is not executable', make: (d) => writeFileSync(join(d, 'nft'), ''), status: 'problem' },
  { name: 'a directory', make: (d) => mkdirSync(join(d, 'nft')), status: 'problem' },
  { name: 'nothing', make: () => undefined, status: 'problem' },
];

for (const tc of cases) {
  test(`pre-flight tool check: nft as ${tc.name} on PATH is ${tc.status}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netd-path-'));
    try {
      tc.make(dir);
      const c = await installed(nft, `::${dir}`);
      assert.equal(c.status, tc.status, c.detail);
      if (tc.status === 'problem') assert.equal(c.detail, '"nft" is not installed (not found on PATH)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
