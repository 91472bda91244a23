import { EXIT } from '../../errors.js';
import { runResolver } from '../../dns/supervise.js';
import type { Context } from '../context.js';
import { daemonLogger } from '../daemon-log.js';

export async function run(ctx: Context): Promise<number> {
  const log = daemonLogger(ctx);
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  const signal = ctx.io.signal ?? ac.signal;
  if (!ctx.io.signal) for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, stop);
  log.info({ stateDir: ctx.stateDir, pid: process.pid }, `dns: resolver for state dir ${ctx.stateDir}`);
  try {
    await runResolver({ stateDir: ctx.stateDir, log, signal });
  } finally {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, stop);
  }
  log.info('dns: stopped');
  return EXIT.ok;
}
