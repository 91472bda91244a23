import { EXIT, escapeControls, messageOf } from '../../errors.js';
import { watchLoop, type Trigger } from '../../reconcile/watch.js';
import { ClusterFollower } from '../../reconcile/cluster-follow.js';
import { peerPass } from '../../reconcile/peers.js';
import type { DesiredState } from '../../desired/types.js';
import type { Store } from '../../store/store.js';
import { ALLOW_EMPTY_OPTION, FILE_OPTION, LOST_FORCE_HELP, LOST_FORCE_OPTION, type Command, type Context } from '../context.js';
import { LOCK_OPTION, parseDuration, withEngine } from '../engine.js';
import { applyPass, renderApply } from './apply.js';

/** SIGINT/SIGTERM stop the daemon after the pass in flight. */
function stopSignal(ctx: Context): AbortSignal {
  if (ctx.io.signal) return ctx.io.signal;
  const ac = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => ac.abort());
  return ac.signal;
}

export const watchCommand: Command = {
  name: 'watch',
  summary: 'daemon: apply on every change of the files, and repair drift every --resync',
  usage: 'netd watch -f PATH... [--resync 60s] [--allow-empty] [--force] [--lock-timeout 60s] [-o json]',
  options: { ...FILE_OPTION, ...LOCK_OPTION, ...ALLOW_EMPTY_OPTION, ...LOST_FORCE_OPTION, resync: { type: 'string' } },
  flagHelp: LOST_FORCE_HELP,
  writes: true,
  async run(ctx) {
    if (ctx.files.length === 0 || ctx.files.includes('-')) {
      ctx.err('netd watch: give the files to watch with -f PATH (stdin cannot be watched)');
      return EXIT.usage;
    }
    const resyncMs = parseDuration(typeof ctx.values.resync === 'string' ? ctx.values.resync : '60s', '--resync');
    let follower: ClusterFollower | undefined;
    /** The files as the last full pass read them: what peer passes route for. */
    let applied: DesiredState | undefined;
    const full = async (why: Trigger): Promise<void> => {
      // Invalid (or, without --allow-empty, empty) files are reported and nothing changes:
      // the last applied state stays.
      const desired = await ctx.loadDesiredState();
      if (typeof desired === 'number') return ctx.err(`netd watch (${why}): the files were refused (above); nothing was changed`);
      applied = desired;
      const store = follower?.store;
      const report = await applyPass(ctx, desired, {
        dryRun: false,
        quietInSync: true,
        force: ctx.values.force === true,
        ...(store ? { clusterStore: store } : {}),
      });
      // A pass that changed or tried to change something says so in one line: the summary.
      const code = renderApply(ctx, report, `netd watch (${why})`);
      if (ctx.output === 'json' && report.outcome !== 'in-sync') ctx.out(JSON.stringify(report));
      if (code !== EXIT.ok) ctx.err(`netd watch (${why}): apply did not converge (exit ${code}); trying again at the next change or resync`);
      await follower?.follow(desired);
    };
    /** A lease event or renewal: the narrow peer pass, or a full pass when it asks for one. */
    const peers = async (why: Trigger, desired: DesiredState, store: Store): Promise<void> => {
      const started = performance.now();
      const r = await withEngine(ctx, { lock: true }, (e) =>
        peerPass(e, desired, { runner: e.runner, stateDir: ctx.stateDir, store }, { renew: why === 'renew' }),
      );
      if (r.unreachable !== undefined) return ctx.err(`netd watch (${why}): ${escapeControls(r.unreachable)}; peers left as they are`);
      if (r.full === undefined) {
        if (r.ops > 0)
          ctx.err(
            `netd watch (${why}): ${r.ops} peer route, FDB and neighbour change${r.ops === 1 ? '' : 's'} (${Math.round(performance.now() - started)} ms)`,
          );
        return;
      }
      ctx.err(`netd watch (${why}): ${escapeControls(r.full)}; a full pass follows`);
      await full(why);
    };
    try {
      await watchLoop({
        paths: ctx.files,
        resyncMs,
        debounceMs: 200,
        signal: stopSignal(ctx),
        connect: (trigger) => (follower = new ClusterFollower(trigger)),
        pass: async (why) => {
          try {
            const store = follower?.store;
            if ((why === 'cluster' || why === 'renew') && applied && store) await peers(why, applied, store);
            else await full(why);
          } catch (e) {
            ctx.err(`netd watch (${why}): ${escapeControls(messageOf(e))}`);
          }
        },
      });
    } finally {
      await follower?.close();
    }
    return EXIT.ok;
  },
};
