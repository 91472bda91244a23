import { stringify } from 'yaml';
import { EXIT } from '../../errors.js';
import { ExecRunner } from '../../kernel/index.js';
import { runDoctor, type Check } from '../../reconcile/doctor.js';
import type { Command, Context } from '../context.js';

const DEFAULT_STATE_DIR = '/var/lib/netd';

function printTable(ctx: Context, checks: readonly Check[]): void {
  const width = Math.max(...checks.map((c) => c.group.length + c.name.length + 1));
  for (const c of checks) {
    const status = c.status === 'problem' && ctx.outColor ? `\x1b[31m${c.status.padEnd(8)}\x1b[0m` : c.status.padEnd(8);
    ctx.out(`${status} ${`${c.group}/${c.name}`.padEnd(width)}  ${c.detail}`);
    if (c.fix) ctx.out(`${' '.repeat(9 + width + 2)}fix: ${c.fix}`);
  }
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check prerequisites, store health and leaks (exit 1: problems found); reads only',
  usage: 'netd doctor [-o table|json|yaml]',
  options: {},
  async run(ctx) {
    const stateFlag = ctx.stateDir === DEFAULT_STATE_DIR ? '' : ` --state-dir ${ctx.stateDir}`;
    const checks = await runDoctor({ runner: new ExecRunner(), stateDir: ctx.stateDir, applyHint: `netd apply -f PATH...${stateFlag}` });
    if (ctx.output === 'json') ctx.out(JSON.stringify(checks, null, 2));
    else if (ctx.output === 'yaml') ctx.out(stringify(checks).trimEnd());
    else printTable(ctx, checks);
    const problems = checks.filter((c) => c.status === 'problem').length;
    ctx.err(problems === 0 ? 'healthy' : `${problems} problem${problems === 1 ? '' : 's'} found`);
    return problems === 0 ? EXIT.ok : EXIT.error;
  },
};
