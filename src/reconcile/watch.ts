/**
 * The watch loop: a level-based reconciler (STYLE.md 5). Events only say "look again": a
 * change to a watched file (debounced) or the resync timer triggers one pass, and a pass
 * always reads the files, the store and the kernel afresh — so a missed or coalesced event
 * costs nothing, and drift nobody announced is repaired at the next resync. The cluster's
 * lease events (`cluster`) and lease renewals (`renew`) ask for the narrow peer pass.
 * Passes never overlap; triggers during a pass schedule exactly one more, the widest asked for.
 */
import { watch } from 'chokidar';

export type Trigger = 'start' | 'change' | 'resync' | 'renew' | 'cluster';

/** Wider passes cover narrower ones: a full pass renews leases and routes peers too. */
const WIDTH: Record<Trigger, number> = { cluster: 0, renew: 1, resync: 2, change: 3, start: 4 };
const isFull = (why: Trigger): boolean => WIDTH[why] >= WIDTH.resync;

export interface WatchLoopOptions {
  /** Files and directories whose changes trigger a pass. */
  readonly paths: readonly string[];
  /** A pass at least this often, even without changes (drift repair). */
  readonly resyncMs: number;
  /** Changes closer together than this make one pass. */
  readonly debounceMs: number;
  readonly signal: AbortSignal;
  /** One reconcile pass; must not throw (it reports its own errors). */
  readonly pass: (why: Trigger) => Promise<void>;
  /** Given the trigger once the loop is ready, for sources beyond the files and the timer (the cluster). */
  readonly connect?: (trigger: (why: Trigger) => void) => void;
}

export async function watchLoop(o: WatchLoopOptions): Promise<void> {
  if (o.signal.aborted) return;
  const watcher = watch([...o.paths], { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 } });
  let running: Promise<void> | undefined;
  let again: Trigger | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let resync: NodeJS.Timeout | undefined;

  const trigger = (why: Trigger): void => {
    if (o.signal.aborted) return;
    if (running) {
      if (again === undefined || WIDTH[why] > WIDTH[again]) again = why;
      return;
    }
    // Only a full pass resets the resync clock: peer passes must not postpone drift repair.
    if (isFull(why)) clearTimeout(resync);
    running = o.pass(why).finally(() => {
      running = undefined;
      if (isFull(why) && !o.signal.aborted) resync = setTimeout(() => trigger('resync'), o.resyncMs);
      const next = again;
      again = undefined;
      if (next) trigger(next);
    });
  };

  watcher.on('all', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => trigger('change'), o.debounceMs);
  });
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  o.connect?.(trigger);
  trigger('start');
  // A signal before the watcher was ready aborted already: 'abort' will not fire again.
  if (!o.signal.aborted) await new Promise<void>((resolve) => o.signal.addEventListener('abort', () => resolve(), { once: true }));
  clearTimeout(debounce);
  clearTimeout(resync);
  await watcher.close();
  await running;
}
