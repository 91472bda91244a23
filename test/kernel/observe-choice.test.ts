/**
 * Which observer reads the kernel: rtnetlink when the addon loaded and the runner is the real
 * kernel; iproute2 through a runner a test fakes or wraps, and whenever the addon is not
 * loaded (NETD_NETLINK=0 in `npm run test:fallback`), which is logged once at debug level.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { CountingRunner, ExecRunner, IpObserver, kernelObserver, NetlinkObserver, netlinkStatus, type Runner } from '../../src/kernel/index.js';
import { FakeRunner } from '../../src/kernel/fake-runner.js';
import { createLogger } from '../../src/log.js';

const status = netlinkStatus();

test('the observer follows the addon and the runner', () => {
  const real = status.loaded ? NetlinkObserver : IpObserver;
  const wrapped: Runner = { run: (argv, opts) => new ExecRunner().run(argv, opts) };
  const cases: { name: string; runner: Runner; want: typeof IpObserver | typeof NetlinkObserver }[] = [
    { name: 'the real kernel', runner: new ExecRunner(), want: real },
    { name: 'the real kernel, counted', runner: new CountingRunner(new CountingRunner(new ExecRunner())), want: real },
    { name: 'a fake runner', runner: new FakeRunner(), want: IpObserver },
    { name: 'a counted fake runner', runner: new CountingRunner(new FakeRunner()), want: IpObserver },
    { name: 'a runner a test wraps', runner: wrapped, want: IpObserver },
  ];
  for (const tc of cases) assert.ok(kernelObserver(tc.runner) instanceof tc.want, tc.name);
});

test('the fallback is said once, at debug level, with its reason', () => {
  let out = '';
  const log = createLogger('debug', new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) }));
  for (let i = 0; i < 3; i++) kernelObserver(new ExecRunner(), log);
  const lines = out.split('\n').filter((l) => l.includes('netlink addon not loaded'));
  assert.equal(lines.length, status.loaded ? 0 : 1, out);
  if (!status.loaded) assert.equal((JSON.parse(lines[0]!) as { reason: string }).reason, status.reason);
});
