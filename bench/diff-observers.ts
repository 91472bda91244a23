/**
 * The no-op diff through the reconcile API with each observer, on the converged bench state:
 * the rtnetlink observer (the default when the native addon loaded) against the iproute2
 * fallback. Times and the processes each starts (nft and the host facts are the same for both).
 */
import { performance } from 'node:perf_hooks';
import { CountingRunner, ExecRunner, IpObserver, kernelObserver, netlinkStatus, type Observer } from '../src/kernel/index.js';
import { planLocal } from '../src/reconcile/reconcile.js';
import { loadDesiredState } from '../src/desired/validate.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { silentLogger } from '../src/log.js';

export type ObserverName = 'netlink' | 'iproute2';

export interface DiffRun {
  readonly ms: number;
  readonly processes: number;
  /** Processes by kind (`nft -j list`, `ip -details`, …). */
  readonly byKind: ReadonlyMap<string, number>;
  readonly changes: number;
}

export async function diffWith(which: ObserverName, file: string, stateDir: string): Promise<DiffRun> {
  if (which === 'netlink' && !netlinkStatus().loaded) throw new Error(`netlink observer unavailable: ${(netlinkStatus() as { reason: string }).reason}`);
  const loaded = await loadDesiredState([file]);
  if (!loaded.ok) throw new Error('bench yaml is invalid');
  const store = await openSqliteStore(stateDir);
  const runner = new CountingRunner(new ExecRunner());
  const observer: Observer = which === 'netlink' ? kernelObserver(runner) : new IpObserver(runner);
  try {
    const t0 = performance.now();
    const p = await planLocal({ store, runner, log: silentLogger, observer }, loaded.state, { runner, stateDir });
    return { ms: performance.now() - t0, processes: runner.calls, byKind: new Map(runner.byKind), changes: p.plan.changes.length };
  } finally {
    await store.close();
  }
}
