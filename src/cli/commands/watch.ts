import { EXIT, escapeControls, messageOf } from '../../errors.js';
import { watchLoop } from '../../reconcile/watch.js';
import { ALLOW_EMPTY_OPTION, FILE_OPTION, LOST_FORCE_HELP, LOST_FORCE_OPTION, type Command, type Context } from '../context.js';
import { LOCK_OPTION, parseDuration } from '../engine.js';
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
    await watchLoop({
      paths: ctx.files,
      resyncMs,
      debounceMs: 200,
      signal: stopSignal(ctx),
      pass: async (why) => {
        try {
          // Invalid (or, without --allow-empty, empty) files are reported and nothing changes:
          // the last applied state stays.
          const desired = await ctx.loadDesiredState();
          if (typeof desired === 'number') return ctx.err(`netd watch (${why}): the files were refused (above); nothing was changed`);
          const report = await applyPass(ctx, desired, { dryRun: false, quietInSync: true, force: ctx.values.force === true });
          // A pass that changed or tried to change something says so in one line: the summary.
          const code = renderApply(ctx, report, `netd watch (${why})`);
          if (ctx.output === 'json' && report.outcome !== 'in-sync') ctx.out(JSON.stringify(report));
          if (code !== EXIT.ok) ctx.err(`netd watch (${why}): apply did not converge (exit ${code}); trying again at the next change or resync`);
        } catch (e) {
          ctx.err(`netd watch (${why}): ${escapeControls(messageOf(e))}`);
        }
      },
    });
    return EXIT.ok;
  },
};
