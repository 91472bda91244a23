import { EXIT, escapeControls } from '../../errors.js';
import { deleteDeclared } from '../../reconcile/delete.js';
import { releaseLeases } from '../../reconcile/cluster.js';
import { foreignTableProblems, lostProblem } from '../../reconcile/lost.js';
import { observe, type Engine, type Observed } from '../../reconcile/reconcile.js';
import { hostPreflight, recordedNamespacePreflight } from '../../reconcile/preflight.js';
import type { Context } from '../context.js';
import { problemsBeforeState, withEngine } from '../engine.js';
import { printPlan, summary } from '../plan-output.js';
import { namespaceProgress, refuse } from './apply.js';
import { superviseDns } from '../resolver.js';
import { tally } from '../../reconcile/apply-report.js';

export async function run(ctx: Context): Promise<number> {
  const desired = await ctx.loadDesiredState();
  if (typeof desired === 'number') return desired;
  const host = await hostPreflight(ctx.stateDir, { writes: true });
  if (host.length > 0) return refuse(ctx, host);
  const force = ctx.values.force === true;
  const checked = async (e: Engine): Promise<{ observed: Observed; problems: string[] }> => {
    const observed = await observe(e, desired, undefined, undefined, 'delete');
    const lost = lostProblem(ctx.stateDir, observed, force);
    return { observed, problems: lost ? [lost] : [...foreignTableProblems(observed.kernel), ...(await recordedNamespacePreflight(observed.recorded))] };
  };
  const early = await problemsBeforeState(ctx, async (e) => (await checked(e)).problems);
  if (early.length > 0) return refuse(ctx, early);
  return withEngine(ctx, { lock: true }, async (opened) => {
    // On a terminal, the namespaces removed so far (300 containers take a while).
    const e = ctx.io.isTTY ? { ...opened, progress: namespaceProgress(ctx) } : opened;
    const { observed, problems } = await checked(e);
    if (problems.length > 0) return refuse(ctx, problems);
    const r = await deleteDeclared(e, desired, { force, observed });
    if (r.changes.length === 0 && ctx.output === 'table') {
      ctx.out('nothing to delete: netd owns none of the declared objects');
      return EXIT.ok;
    }
    printPlan(ctx, { changes: r.changes }, { totals: false });
    // An overlay network that left this host gives its subnet lease back to the cluster.
    const gone = new Set(r.changes.filter((c) => c.kind === 'network' && !r.failed.has(c)).map((c) => c.id));
    const released = await releaseLeases(
      observed.recorded.networks.filter((n) => gone.has(n.id)),
      ctx.stateDir,
    );
    const errors = [...r.errors, ...released];
    for (const m of errors) ctx.err(`error: ${escapeControls(m)}`);
    ctx.err(summary(tally(r.changes, r.failed, r.otherFailures)));
    return errors.length === 0 ? EXIT.ok : EXIT.error;
  }).then(async (code) => ((await superviseDns(ctx)) ? code : EXIT.error));
}
