/**
 * With the native addon, the kernel work of an apply runs in netd's own process: a cold apply
 * of 50 containers starts no more processes than one of 5 (nft, the pre-flight tool checks),
 * none per container. Counted by the apply report (CountingRunner), not timed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelSkip } from '../helpers/kernel.js';
import { TestHost } from '../helpers/netd.js';
import { netlinkStatus } from '../../src/kernel/index.js';
import type { ApplyReport } from '../../src/reconcile/apply-report.js';

const status = netlinkStatus();
const skip = kernelSkip || (status.loaded ? false : `netlink addon not loaded: ${status.reason}`);

function yaml(n: number): string {
  const lines = ['version: 1', 'networks:', '  pc: { subnet: 10.97.0.0/16, bridge: br-pc }', 'containers:'];
  for (let i = 0; i < n; i++) lines.push(`  pc${i}: {}`);
  lines.push('attachments:');
  for (let i = 0; i < n; i++) lines.push(`  - { container: pc${i}, network: pc }`);
  return `${lines.join('\n')}\n`;
}

async function coldApply(n: number): Promise<ApplyReport['kernel']> {
  const host = new TestHost();
  try {
    const r = await host.apply(yaml(n), '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as ApplyReport).kernel;
  } finally {
    await host.teardown();
  }
}

test('a cold apply of 50 containers starts no more processes than one of 5', { skip }, async () => {
  const [few, many] = [await coldApply(5), await coldApply(50)];
  assert.ok(many.calls <= few.calls, `5: ${JSON.stringify(few)}\n50: ${JSON.stringify(many)}`);
  assert.ok(many.calls < 25, JSON.stringify(many));
  assert.ok((many.byKind['netlink apply'] ?? 0) > 0, 'the writes went through netlink');
});
