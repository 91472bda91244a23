/**
 * The watch loop: a level-based reconciler (STYLE.md 5). Events only say "look again": a
 * change to a watched file (debounced) or the resync timer triggers one pass, and a pass
 * always reads the files, the store and the kernel afresh — so a missed or coalesced event
 * costs nothing, and drift nobody announced is repaired at the next resync.
 * Passes never overlap; a trigger during a pass schedules exactly one more.
 */
import { watch } from 'chokidar';

export interface WatchLoopOptions {
  /** Files and directories whose changes trigger a pass. */
  readonly paths: readonly string[];
  /** A pass at least this often, even without changes (drift repair). */
  readonly resyncMs: number;
  /** Changes closer together than this make one pass. */
  readonly debounceMs: number;
  readonly signal: AbortSignal;
  /** One reconcile pass; must not throw (it reports its own errors). */
  readonly pass: (why: 'start' | 'change' | 'resync') => Promise<void>;
}

export async function watchLoop(o: WatchLoopOptions): Promise<void> {
  if (o.signal.aborted) return;
  const watcher = watch([...o.paths], { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 } });
  let running: Promise<void> | undefined;
  let again: 'change' | 'resync' | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let resync: NodeJS.Timeout | undefined;

  const trigger = (why: 'start' | 'change' | 'resync'): void => {
    if (o.signal.aborted) return;
    if (running) {
      again = why === 'change' || again === 'change' ? 'change' : 'resync';
      return;
    }
    clearTimeout(resync);
    running = o.pass(why).finally(() => {
      running = undefined;
      const next = again;
      again = undefined;
      if (next) trigger(next);
      else if (!o.signal.aborted) resync = setTimeout(() => trigger('resync'), o.resyncMs);
    });
  };

  watcher.on('all', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => trigger('change'), o.debounceMs);
  });
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  trigger('start');
  await new Promise<void>((resolve) => o.signal.addEventListener('abort', () => resolve(), { once: true }));
  clearTimeout(debounce);
  clearTimeout(resync);
  await watcher.close();
  await running;
}
