/**
 * Safe applies: the plan's totals, `--max-deletes`, `--prune=false`, and on a terminal the
 * confirmation before anything is deleted or replaced (driven through a real pty).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { ROOT } from '../helpers/cli.js';
import { TestHost } from '../helpers/netd.js';
import { planTotals, tooManyDeletes, withoutPrunes } from '../../src/plan/safety.js';
import type { Change } from '../../src/plan/types.js';

const ch = (action: Change['action'], name: string, reasons: string[] = []): Change => ({ action, kind: 'container', name, reasons });

test('plan totals, prunes and the delete count', () => {
  const plan = [
    ch('create', 'a'),
    ch('create', 'b'),
    ch('update', 'c'),
    ch('delete', 'd', ['not declared']),
    ch('delete', 'e', ['delete was interrupted']),
    ch('replace', 'f'),
  ];
  assert.equal(planTotals(plan), 'Plan: 2 to create, 1 to update, 2 to delete, 1 to replace');
  assert.equal(planTotals([...plan, ch('repair', 'g')]), 'Plan: 2 to create, 1 to update, 1 to repair, 2 to delete, 1 to replace');
  assert.deepEqual(
    withoutPrunes({ changes: plan }).changes.map((c) => c.name),
    ['a', 'b', 'c', 'e', 'f'],
    'an interrupted delete is finished, only prunes go',
  );
  assert.equal(tooManyDeletes(plan, 3), undefined);
  assert.equal(tooManyDeletes(plan, undefined), undefined);
  assert.equal(tooManyDeletes(plan, 2), 'the plan deletes or replaces 3 objects (container d, container e, container f), more than --max-deletes 2 allows');
});

const ONE = `version: 1
networks:
  sf: { subnet: 10.94.0.0/24 }
containers:
  sf1: {}
  sf2: {}
attachments:
  - { container: sf1, network: sf }
  - { container: sf2, network: sf }
`;
const JUST_SF1 = ONE.replace('  sf2: {}\n', '').replace('  - { container: sf2, network: sf }\n', '');
const netns = (): string => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });

test('--max-deletes refuses a plan that deletes too much, --prune=false leaves undeclared objects', { skip }, async () => {
  const host = new TestHost();
  try {
    const first = await host.apply(ONE);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^Plan: 5 to create, 0 to update, 0 to delete, 0 to replace$/m);

    const refused = await host.apply(JUST_SF1, '--max-deletes', '1');
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /the plan deletes or replaces 2 objects \(attachment sf2\/sf, container sf2\), more than --max-deletes 1 allows/);
    assert.match(refused.stderr, /nothing was changed/);
    assert.match(netns(), /sf2/);

    const kept = await host.apply(JUST_SF1, '--prune=false');
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, /in sync: nothing to do/);
    assert.match(netns(), /sf2/);
    const diff = await host.diff(JUST_SF1);
    assert.equal(diff.code, 2, 'diff still shows what was left');
    assert.match(diff.stdout, /- delete container sf2/);

    for (const [flag, msg] of [
      ['--prune=maybe', /--prune: "maybe" must be true or false/],
      ['--max-deletes=-1', /--max-deletes: "-1" is not a whole number/],
    ] as const) {
      const bad = await host.apply(JUST_SF1, flag);
      assert.equal(bad.code, 64, bad.stderr);
      assert.match(bad.stderr, msg);
    }
    assert.equal((await host.apply(JUST_SF1, '--max-deletes', '2')).code, 0);
    assert.doesNotMatch(netns(), /sf2/);
  } finally {
    await host.teardown();
  }
});

/** Runs netd in a pty (python's pty module), answers the prompt, returns the exit code and the output. */
function onTerminal(args: string[], answer: string): { code: number; out: string } {
  const script = [
    'import os, pty, sys',
    'pid, fd = pty.fork()',
    'if pid == 0:',
    '    os.execv(sys.argv[1], sys.argv[1:-1])',
    'out = b""',
    'answered = False',
    'while True:',
    '    try:',
    '        b = os.read(fd, 4096)',
    '    except OSError:',
    '        break',
    '    if not b:',
    '        break',
    '    out += b',
    '    if not answered and b"will be accepted" in out:',
    '        os.write(fd, sys.argv[-1].encode() + b"\\n")',
    '        answered = True',
    '_, status = os.waitpid(pid, 0)',
    'sys.stdout.write(out.decode(errors="replace"))',
    'sys.exit(os.waitstatus_to_exitcode(status))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, process.execPath, join(ROOT, 'dist/src/cli/bin.js'), ...args, answer], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout };
}

test('on a terminal, an apply that deletes asks first: no changes nothing, yes applies, --yes does not ask', { skip }, async () => {
  const host = new TestHost();
  try {
    assert.equal((await host.apply(ONE)).code, 0);
    const args = ['apply', '-f', host.file(JUST_SF1), '--state-dir', host.stateDir];
    const no = onTerminal(args, 'no');
    assert.equal(no.code, 1, no.out);
    assert.match(no.out, /This apply deletes or replaces 2 objects\. Only 'yes' will be accepted:/);
    assert.match(no.out, /the apply was cancelled at the prompt/);
    assert.match(netns(), /sf2/);
    const yes = onTerminal(args, 'yes');
    assert.equal(yes.code, 0, yes.out);
    assert.doesNotMatch(netns(), /sf2/);
    assert.equal((await host.apply(ONE)).code, 0, 'without a terminal, nothing asks');
    const skipped = onTerminal([...args, '--yes'], 'unused');
    assert.equal(skipped.code, 0, skipped.out);
    assert.doesNotMatch(skipped.out, /will be accepted/);
  } finally {
    await host.teardown();
  }
});
