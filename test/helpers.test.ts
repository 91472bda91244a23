import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT, NetdError, exitCodeFor } from '../src/errors.js';

test('exit codes follow DESIGN.md §6', () => {
  assert.equal(exitCodeFor(new NetdError('invalid', 'x')), EXIT.invalid);
  assert.equal(exitCodeFor(new NetdError('usage', 'x')), EXIT.usage);
  assert.equal(exitCodeFor(new NetdError('lock-timeout', 'x')), EXIT.lockTimeout);
  assert.equal(exitCodeFor(new Error('x')), EXIT.error);
});
