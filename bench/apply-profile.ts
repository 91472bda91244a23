/**
 * Where the time of one cold `netd apply` goes: the same work through the reconcile API
 * with a runner and a store that time every kernel command and store call, grouped by kind.
 * Commands run in parallel, so per kind both the summed time and the wall time (the union
 * of their intervals) are shown.
 */
import { performance } from 'node:perf_hooks';
import { ExecRunner, type RunOptions, type RunResult } from '../src/kernel/index.js';
import { apply, planChanges } from '../src/reconcile/reconcile.js';
import { loadDesiredState } from '../src/desired/validate.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { Store } from '../src/store/store.js';
import { silentLogger } from '../src/log.js';

type Span = { kind: string; t0: number; t1: number };
const spans: Span[] = [];

function kindOf(argv: string[]): string {
  const a = argv.join(' ');
  if (argv[0] === 'ip' && a.includes('-json')) return a.includes(' -n ') ? 'ip observe (namespace)' : 'ip observe (host)';
  if (argv[0] === 'ip' && a.includes('-batch')) return a.includes(' -n ') ? 'ip batch (namespace)' : 'ip batch (host)';
  if (a.includes('nft')) return a.includes(' -f ') ? 'nft load' : 'nft list';
  return argv.slice(0, argv[0] === 'nsenter' ? 3 : 1).join(' ');
}

/** The real kernel to netd (an ExecRunner: the netlink path runs as under the CLI), every process timed. */
class TimingRunner extends ExecRunner {
  override async run(argv: string[], opts?: RunOptions): Promise<RunResult> {
    const t0 = performance.now();
    try {
      return await super.run(argv, opts);
    } finally {
      spans.push({ kind: kindOf(argv), t0, t1: performance.now() });
    }
  }
}

/** Every Store method, timed as `store <method>`. */
function timedStore(store: Store): Store {
  return new Proxy(store, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (typeof v !== 'function' || prop === 'watch') return typeof v === 'function' ? (v.bind(target) as unknown) : v;
      return async (...a: unknown[]) => {
        const t0 = performance.now();
        try {
          return await (v as (...x: unknown[]) => Promise<unknown>).apply(target, a);
        } finally {
          spans.push({ kind: `store ${String(prop)}`, t0, t1: performance.now() });
        }
      };
    },
  });
}

function wall(xs: Span[]): number {
  let total = 0;
  let end = -Infinity;
  for (const s of [...xs].sort((a, b) => a.t0 - b.t0)) {
    if (s.t1 <= end) continue;
    total += s.t1 - Math.max(s.t0, end);
    end = s.t1;
  }
  return total;
}

async function phase(label: string, fn: () => Promise<unknown>): Promise<void> {
  const from = spans.length;
  const t0 = performance.now();
  await fn();
  const total = performance.now() - t0;
  const mine = spans.slice(from);
  process.stdout.write(`  ${label.padEnd(40)} ${total.toFixed(0).padStart(6)} ms\n`);
  const kinds = [...new Set(mine.map((s) => s.kind))].sort();
  for (const k of kinds) {
    const ks = mine.filter((s) => s.kind === k);
    const sum = ks.reduce((n, s) => n + s.t1 - s.t0, 0);
    process.stdout.write(
      `    ${k.padEnd(38)} ${String(ks.length).padStart(5)}×  sum ${sum.toFixed(0).padStart(6)} ms  wall ${wall(ks).toFixed(0).padStart(6)} ms\n`,
    );
  }
  process.stdout.write(`    ${'not in a command or store call'.padEnd(38)}        ${''.padStart(10)} wall ${(total - wall(mine)).toFixed(0).padStart(6)} ms\n`);
}

export async function profileApply(files: { full: string; empty: string }, stateDir: string): Promise<void> {
  process.stdout.write('profile of one cold apply (reconcile API, timed runner and store)\n');
  const loaded = await loadDesiredState([files.full]);
  if (!loaded.ok) throw new Error('bench yaml is invalid');
  const store = timedStore(await openSqliteStore(stateDir));
  const e = { store, runner: new TimingRunner(), log: silentLogger };
  try {
    let planned: Awaited<ReturnType<typeof planChanges>> | undefined;
    await phase('observe + diff', async () => (planned = await planChanges(e, loaded.state)));
    await phase('execute + verify', () => apply(e, loaded.state, planned));
    await phase('no-op diff', () => planChanges(e, loaded.state));
    const empty = await loadDesiredState([files.empty]);
    if (empty.ok) await apply(e, empty.state);
  } finally {
    await store.close();
  }
}
