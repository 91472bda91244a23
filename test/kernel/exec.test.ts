/** ExecRunner without the kernel: output, input, exit codes, missing programs, deadlines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExecRunner, KernelError } from '../../src/kernel/index.js';

const runner = new ExecRunner();

const cases: { name: string; argv: string[]; input?: string; timeoutMs?: number; stdout?: string; error?: (e: KernelError) => boolean }[] = [
  { name: 'stdin reaches the command and stdout comes back whole', argv: ['cat'], input: 'a\nb\n', stdout: 'a\nb\n' },
  { name: 'LC_ALL=C is set', argv: ['printenv', 'LC_ALL'], stdout: 'C\n' },
  { name: 'input the command never reads is not an error', argv: ['true'], input: 'x'.repeat(1 << 20), stdout: '' },
  {
    name: 'a non-zero exit is a KernelError with its code and stderr',
    argv: ['ls', '/nonexistent-netd'],
    error: (e) => e.exitCode === 2 && e.kind === 'not-found' && /nonexistent-netd/.test(e.stderr),
  },
  {
    name: 'a missing program is an error of kind other, not "not found"',
    argv: ['netd-no-such-program'],
    error: (e) => e.kind === 'other' && /ENOENT/.test(e.stderr),
  },
  { name: 'the deadline kills the command: busy (retryable)', argv: ['sleep', '5'], timeoutMs: 100, error: (e) => e.kind === 'busy' && e.code === 'retry' },
];

for (const tc of cases) {
  test(`exec: ${tc.name}`, async () => {
    const opts = { ...(tc.input !== undefined ? { input: tc.input } : {}), ...(tc.timeoutMs ? { timeoutMs: tc.timeoutMs } : {}) };
    if (tc.error) {
      await assert.rejects(runner.run(tc.argv, opts), (e) => e instanceof KernelError && tc.error!(e));
    } else {
      assert.equal((await runner.run(tc.argv, opts)).stdout, tc.stdout);
    }
  });
}
