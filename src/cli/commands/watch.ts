import { existsSync } from 'node:fs';
import { EXIT, escapeControls, isNetdError, messageOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import { daemonLogger, logPass } from '../daemon-log.js';
import { DaemonMetrics, parseListen, serveMetrics } from '../metrics.js';
import type { Server } from 'node:http';
import { acquireStateLock } from '../../store/lock.js';
import { runResolver, stopResolver } from '../../dns/supervise.js';
import { watchLoop, type Trigger } from '../../reconcile/watch.js';
import { ClusterFollower } from '../../reconcile/cluster-follow.js';
import { peerPass } from '../../reconcile/peers.js';
import type { DesiredState } from '../../desired/types.js';
import type { Store } from '../../store/store.js';
import type { Context } from '../context.js';
import { parseDuration, readRecorded, withEngine } from '../engine.js';
import { applyPass, safetyOf } from './apply.js';

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

/**
 * SIGINT/SIGTERM stop the daemon after the pass in flight; a second one stops it at once.
 * The listeners stay installed for the daemon's life: a library's exit handler that finds
 * itself the last listener re-raises the signal (signal-exit does), which killed a pass
 * half done (exit 143) before.
 */
function stopSignal(ctx: Context, log: Logger): { signal: AbortSignal; dispose: () => void } {
  if (ctx.io.signal) return { signal: ctx.io.signal, dispose: () => undefined };
  const ac = new AbortController();
  const on = (sig: keyof typeof SIGNALS) => (): void => {
    if (ac.signal.aborted) process.exit(128 + SIGNALS[sig]);
    log.info({ signal: sig }, `${sig}: stopping after the pass in flight (${sig} again stops at once)`);
    ac.abort();
  };
  const handlers = (Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]).map((sig) => [sig, on(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  return { signal: ac.signal, dispose: () => handlers.forEach(([sig, h]) => process.off(sig, h)) };
}

/** 90000 → 1m30s; 500 → 500ms. */
function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${r || (!h && !m) ? `${r}s` : ''}`;
}

export async function run(ctx: Context): Promise<number> {
  if (ctx.files.length === 0 || ctx.files.includes('-')) {
    ctx.err('netd watch: give the files to watch with -f PATH (stdin cannot be watched)');
    return EXIT.usage;
  }
  const safety = safetyOf(ctx);
  const resyncMs = parseDuration(typeof ctx.values.resync === 'string' ? ctx.values.resync : '60s', '--resync', { positive: true });
  // A file that is not there at start is a typo, not a file still to come.
  const missing = ctx.files.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    for (const f of missing) ctx.err(`netd watch: -f ${escapeControls(f)}: no such file or directory`);
    return EXIT.invalid;
  }
  const listen = typeof ctx.values.listen === 'string' ? parseListen(ctx.values.listen) : undefined;
  // One daemon per state dir: two would undo each other's work (refused at once, exit 75).
  const daemon = await acquireStateLock(ctx.stateDir, { name: 'watch', timeoutMs: 0 });
  const metrics = new DaemonMetrics();
  let server: Server | undefined;
  try {
    server = listen && (await serveMetrics(metrics, listen));
  } catch (e) {
    daemon.release();
    throw e;
  }
  const log = daemonLogger(ctx);
  const stop = stopSignal(ctx, log);
  const resync = formatMs(resyncMs);
  const serving = listen ? `; metrics on ${ctx.values.listen as string}` : '';
  log.info(
    { files: ctx.files, stateDir: ctx.stateDir, resync, ...(listen ? { listen: ctx.values.listen } : {}) },
    `watching ${ctx.files.join(', ')}; state dir ${ctx.stateDir}; resync every ${resync}${serving}`,
  );
  // The daemon serves DNS itself (DESIGN.md §10): a `netd dns` an apply started gives way.
  const stopped = await stopResolver(ctx.stateDir);
  if (stopped !== undefined) log.info({ pid: stopped }, `dns: stopped the resolver (pid ${stopped}): watch serves in-process`);
  const dnsStop = new AbortController();
  const dns = runResolver({ stateDir: ctx.stateDir, log, signal: dnsStop.signal, lockTimeoutMs: 5000 }).catch((e: unknown) =>
    log.error({ errors: [{ kind: isNetdError(e) ? e.code : 'internal', message: messageOf(e) }] }, `dns: ${messageOf(e)}`),
  );
  let follower: ClusterFollower | undefined;
  /** The files as the last full pass read them: what peer passes route for. */
  let applied: DesiredState | undefined;
  const full = async (why: Trigger): Promise<void> => {
    // Invalid (or, without --allow-empty, empty) files are reported and nothing changes:
    // the last applied state stays.
    let reasons: string[] = [];
    const desired = await ctx.loadDesiredState((r) => (reasons = r));
    if (typeof desired === 'number') {
      const errors = reasons.map((message) => ({ kind: 'invalid', message }));
      metrics.failed(why, 'invalid', reasons[0] ?? 'the files were refused');
      return log.warn({ trigger: why, outcome: 'refused', errors }, `pass (${why}): the files were refused, nothing was changed: ${reasons.join('; ')}`);
    }
    applied = desired;
    const store = follower?.store;
    const report = await applyPass(ctx, desired, {
      ...safety,
      dryRun: false,
      daemon: true,
      force: ctx.values.force === true,
      ...(store ? { clusterStore: store } : {}),
    });
    logPass(log, why, report);
    metrics.pass(why, report);
    metrics.objects(await readRecorded(ctx));
    if (ctx.output === 'json' && report.outcome !== 'in-sync') ctx.out(JSON.stringify(report));
    await follower?.follow(desired);
  };
  /** A lease event or renewal: the narrow peer pass, or a full pass when it asks for one. */
  const peers = async (why: Trigger, desired: DesiredState, store: Store): Promise<void> => {
    const started = performance.now();
    const r = await withEngine(ctx, { lock: true }, (e) =>
      peerPass(e, desired, { runner: e.runner, stateDir: ctx.stateDir, store }, { renew: why === 'renew' }),
    );
    const fields = { trigger: why, ops: r.ops, renewed: r.renewed, durationMs: Math.round(performance.now() - started) };
    for (const [network, ttl] of Object.entries(r.ttls ?? {})) metrics.leaseTtl(network, ttl);
    if (r.unreachable !== undefined) return log.warn({ ...fields, errors: [{ kind: 'retry', message: r.unreachable }] }, `peers (${why}): left as they are`);
    if (r.full === undefined) {
      const line = `peers (${why}): ${r.ops} route, FDB and neighbour change${r.ops === 1 ? '' : 's'} (${fields.durationMs} ms)`;
      if (r.notes) log.warn({ ...fields, notes: r.notes }, `peers (${why}): ${r.notes.join('; ')}`);
      return r.ops > 0 ? log.info(fields, line) : log.debug(fields, line);
    }
    log.info({ ...fields, reason: r.full }, `peers (${why}): ${r.full}; a full pass follows`);
    await full(why);
  };
  try {
    await watchLoop({
      paths: ctx.files,
      resyncMs,
      debounceMs: 200,
      signal: stop.signal,
      connect: (trigger) => (follower = new ClusterFollower(trigger)),
      pass: async (why) => {
        try {
          const store = follower?.store;
          if ((why === 'cluster' || why === 'renew') && applied && store) await peers(why, applied, store);
          else await full(why);
        } catch (e) {
          metrics.failed(why, isNetdError(e) ? e.code : 'internal', messageOf(e));
          log.error({ trigger: why, errors: [{ kind: isNetdError(e) ? e.code : 'internal', message: messageOf(e) }] }, `pass (${why}): ${messageOf(e)}`);
        }
      },
    });
  } finally {
    dnsStop.abort();
    await dns;
    await follower?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    stop.dispose();
    daemon.release();
  }
  log.info('stopped');
  return EXIT.ok;
}
