import { stringify } from 'yaml';
import { EXIT } from '../../errors.js';
import { ExecRunner } from '../../kernel/index.js';
import { runDoctor, type Check } from '../../reconcile/doctor.js';
import type { Context } from '../context.js';
import type { DesiredState } from '../../desired/types.js';

const DEFAULT_STATE_DIR = '/var/lib/netd';

function printTable(ctx: Context, checks: readonly Check[]): void {
  const width = Math.max(...checks.map((c) => c.group.length + c.name.length + 1));
  for (const c of checks) {
    const colour = c.status === 'problem' ? 31 : c.status === 'warning' ? 33 : undefined;
    const status = colour !== undefined && ctx.outColor ? `\x1b[${colour}m${c.status.padEnd(8)}\x1b[0m` : c.status.padEnd(8);
    ctx.out(`${status} ${`${c.group}/${c.name}`.padEnd(width)}  ${c.detail}`);
    if (c.fix) ctx.out(`${' '.repeat(9 + width + 2)}fix: ${c.fix}`);
  }
}

export async function run(ctx: Context): Promise<number> {
  let desired: DesiredState | undefined;
  if (ctx.files.length > 0) {
    const loaded = await ctx.loadDesiredState();
    if (typeof loaded === 'number') return loaded;
    desired = loaded;
  }
  const stateFlag = ctx.stateDir === DEFAULT_STATE_DIR ? '' : ` --state-dir ${ctx.stateDir}`;
  const files = ctx.files.length > 0 ? ctx.files.map((f) => `-f ${f}`).join(' ') : '-f PATH...';
  const checks = await runDoctor({
    runner: new ExecRunner(),
    stateDir: ctx.stateDir,
    applyHint: `netd apply ${files}${stateFlag}`,
    ...(desired ? { desired } : {}),
  });
  if (ctx.output === 'json') ctx.out(JSON.stringify(checks, null, 2));
  else if (ctx.output === 'yaml') ctx.out(stringify(checks).trimEnd());
  else printTable(ctx, checks);
  const problems = checks.filter((c) => c.status === 'problem').length;
  const warnings = checks.filter((c) => c.status === 'warning').length;
  const warned = warnings === 0 ? '' : ` (${warnings} warning${warnings === 1 ? '' : 's'})`;
  ctx.err(problems === 0 ? `healthy${warned}` : `${problems} problem${problems === 1 ? '' : 's'} found${warned}`);
  return problems === 0 ? EXIT.ok : EXIT.error;
}
