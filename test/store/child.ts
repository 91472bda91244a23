/**
 * Helper process for the multi-process store tests (spawned by process.test.ts, never run
 * as a test itself). Modes:
 *   burst DIR            transactions that keep c/a and c/b equal, forever; "ready" after a few
 *   incr DIR COUNT       COUNT compare-and-swap increments of "counter", retrying conflicts
 *   lock DIR             take the state lock, say "locked", hold it until killed
 *   lockwait DIR MS      take the state lock within MS; say "waiting PID" / "locked"; exit 75 on timeout
 */
import { exitCodeFor, messageOf } from '../../src/errors.js';
import { acquireStateLock } from '../../src/store/lock.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

const [mode, dir, arg] = process.argv.slice(2);
const say = (s: string): boolean => process.stdout.write(`${s}\n`);

async function burst(): Promise<void> {
  const s = await openSqliteStore(dir!);
  for (let i = 0; ; i++) {
    const a = await s.get<{ n: number }>('c/a');
    const n = (a?.value.n ?? 0) + 1;
    const r = await s.txn(
      [{ key: 'c/a', modRevision: a?.modRevision ?? 0 }],
      [
        { type: 'put', key: 'c/a', value: { n, pad: 'x'.repeat(n % 500) } },
        { type: 'put', key: 'c/b', value: { n } },
      ],
    );
    if (!r.succeeded) throw new Error('burst: lost a CAS with no other writer');
    if (i === 20) say('ready');
  }
}

async function incr(count: number): Promise<void> {
  const s = await openSqliteStore(dir!);
  let conflicts = 0;
  for (let done = 0; done < count;) {
    const cur = await s.get<number>('counter');
    const r = await s.txn([{ key: 'counter', modRevision: cur?.modRevision ?? 0 }], [{ type: 'put', key: 'counter', value: (cur?.value ?? 0) + 1 }]);
    if (r.succeeded) done++;
    else conflicts++;
  }
  await s.close();
  say(`conflicts ${conflicts}`);
}

async function lock(timeoutMs?: number): Promise<void> {
  const l = await acquireStateLock(dir!, { ...(timeoutMs !== undefined ? { timeoutMs } : {}), retryMs: 20, onWait: (pid) => say(`waiting ${pid}`) });
  say('locked');
  if (timeoutMs === undefined) setInterval(() => {}, 60_000);
  else l.release();
}

const modes: Record<string, () => Promise<void>> = {
  burst,
  incr: () => incr(Number(arg)),
  lock: () => lock(),
  lockwait: () => lock(Number(arg)),
};
const run = modes[mode ?? ''];
if (!run || !dir) {
  process.stderr.write('usage: child.js burst|incr|lock|lockwait DIR [ARG]\n');
  process.exit(64);
}
run().catch((e: unknown) => {
  process.stderr.write(`${messageOf(e)}\n`);
  process.exit(exitCodeFor(e));
});
