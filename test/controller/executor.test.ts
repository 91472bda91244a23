/**
 * The executor's rule for deletions (issue 11, crash-safe deletes): deleting what is already
 * gone is success, like CNI DEL. A fake batch runner fails like `ip -batch` does — at a line,
 * with the kernel's words — and records what it ran.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelError, renderOp } from '../../src/kernel/index.js';
import { executeSteps, type OpRunner } from '../../src/controller/executor.js';
import { Step, type NsKey } from '../../src/controller/step.js';

/** ip's answer per failing line (matched by regex), or for the whole `ip -n NS` call. */
interface Failure {
  readonly line?: RegExp;
  readonly ns?: string;
  readonly stderr: string;
}

function runner(failures: Failure[]): { batch: OpRunner; ran: string[] } {
  const ran: string[] = [];
  const left = [...failures];
  const batch: OpRunner = {
    // eslint-disable-next-line @typescript-eslint/require-await -- fakes an async interface: async turns its throw into a rejection
    async run(ns: NsKey, ops, opts) {
      const lines = ops.map((o) => renderOp(o).join('; '));
      const argv = ['ip', ...(ns ? ['-n', ns] : []), ...(opts?.force ? ['-force'] : []), '-batch', '-'];
      const whole = left.findIndex((f) => f.ns !== undefined && f.ns === ns);
      if (whole >= 0) throw new KernelError({ argv, stderr: left.splice(whole, 1)[0]!.stderr, exitCode: 1 });
      for (const [i, l] of lines.entries()) {
        const f = left.findIndex((x) => x.line?.test(l));
        if (f >= 0 && !opts?.force) {
          const { stderr } = left.splice(f, 1)[0]!;
          throw new KernelError({ argv, stderr: `${stderr}\nCommand failed -:${i + 1}`, exitCode: 1, op: l, line: i + 1, opIndex: i });
        }
        ran.push(`${ns ?? 'host'}: ${l}`);
      }
    },
  };
  return { batch, ran };
}

interface Case {
  readonly name: string;
  readonly failures: Failure[];
  /** Labels of the steps that must fail. */
  readonly failed: string[];
  /** Lines that must have run (in order, among others). */
  readonly ran: string[];
}

const cases: Case[] = [
  {
    name: 'a veth already gone: its step goes on with its next line',
    failures: [{ line: /^link del dev ndgone/, stderr: 'Cannot find device "ndgone"' }],
    failed: [],
    ran: ['host: netns del web', 'host: link del dev br-x'],
  },
  {
    name: 'a namespace already gone ("No such file or directory") is deleted',
    failures: [{ line: /^netns del web/, stderr: 'Cannot remove namespace file "/run/netns/web": No such file or directory' }],
    failed: [],
    ran: ['host: link del dev br-x'],
  },
  {
    name: 'an address and a route already gone are deleted',
    failures: [
      { line: /^addr del/, stderr: 'RTNETLINK answers: Cannot assign requested address' },
      { line: /^route del/, stderr: 'RTNETLINK answers: No such process' },
    ],
    failed: [],
    ran: ['api: link set dev eth0 up'],
  },
  {
    name: 'a namespace that cannot be entered held only deletions: they went with it',
    failures: [{ ns: 'api', stderr: 'Cannot open network namespace "api": No such file or directory' }],
    failed: [],
    ran: ['host: link del dev br-x'],
  },
  {
    name: 'a deletion refused for another reason fails its step only',
    failures: [{ line: /^link del dev ndgone/, stderr: 'RTNETLINK answers: Operation not permitted' }],
    failed: ['delete container "web"'],
    ran: ['host: link del dev br-x'],
  },
  {
    name: 'a creation whose device is missing is a failure, not an idempotent success',
    failures: [{ line: /^link set dev eth0 up/, stderr: 'Cannot find device "eth0"' }],
    failed: ['fix api'],
    ran: [],
  },
];

/** web's veth and namespace, a network's bridge, and work inside api (addr/route del, then a fix). */
function steps(): Step[] {
  const web = new Step('delete container "web"');
  web.add({ op: 'link-del', name: 'ndgone' }, { op: 'netns-del', name: 'web' });
  const net = new Step('delete network "x"');
  net.add({ op: 'link-del', name: 'br-x' });
  const api = new Step('fix api');
  api.add({ op: 'addr-del', ns: 'api', dev: 'eth0', cidr: '10.0.0.9/24' }, { op: 'route-del', ns: 'api', dst: 'default' });
  api.add({ op: 'link-set', ns: 'api', name: 'eth0', up: true });
  return [web, net, api];
}

for (const tc of cases) {
  test(`execute: ${tc.name}`, async () => {
    const { batch, ran } = runner(tc.failures);
    const r = await executeSteps(batch, steps(), { retries: 0 });
    assert.deepEqual(
      r.failed.map((s) => s.label),
      tc.failed,
    );
    for (const l of tc.ran) assert.ok(ran.includes(l), `${l} ran: ${ran.join(' | ')}`);
    for (const f of tc.failures) if (f.line) assert.ok(!ran.some((l) => f.line!.test(l.replace(/^\S+: /, ''))), 'a failing line is not counted as run');
  });
}
