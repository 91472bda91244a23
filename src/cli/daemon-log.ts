/**
 * The watch daemon's log, through pino: one JSON line per event when stderr is not a terminal
 * (a journal, a log shipper), and the same events as human lines with timestamps on a terminal.
 * `--log-level` chooses what is shown (default info: the start, every pass that changed or
 * failed something, stopping; passes in sync are debug).
 */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../log.js';
import type { ApplyReport } from '../reconcile/apply-report.js';
import type { Context } from './context.js';
import { formatChange, summary } from './plan-output.js';
import { escapeControls } from '../errors.js';

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Event fields listed one per line under a human line. */
const LISTS = ['changes', 'errors', 'refused'] as const;

/** A pino JSON line as a person reads it: `2026-11-30 17:10:00.123 INFO  message`, then its lists indented. */
export function humanLine(json: string): string {
  const e = JSON.parse(json) as Record<string, unknown>;
  const time = typeof e.time === 'string' ? e.time.replace('T', ' ').replace(/Z$/, '') : '';
  const level = (LEVEL_NAMES[e.level as number] ?? String(e.level)).padEnd(5);
  const lines = [`${time} ${level} ${escapeControls(typeof e.msg === 'string' ? e.msg : '')}`];
  for (const key of LISTS) {
    const list = e[key];
    if (!Array.isArray(list)) continue;
    for (const item of list)
      lines.push(`    ${escapeControls(typeof item === 'string' ? item : `${(item as { kind: string }).kind}: ${(item as { message: string }).message}`)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function daemonLogger(ctx: Context): Logger {
  const level = (typeof ctx.values['log-level'] === 'string' ? ctx.values['log-level'] : 'info') as LogLevel;
  const stderr = ctx.io.stderr;
  const destination = ctx.io.isTTY
    ? new Writable({
        write(chunk: Buffer, _enc, cb) {
          for (const line of chunk.toString().split('\n')) if (line.trim()) stderr.write(humanLine(line));
          cb();
        },
      })
    : stderr;
  return pino({ level, base: null, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** One event per full pass: what it did, how long it took, and every error with its kind. */
export function logPass(log: Logger, why: string, r: ApplyReport): void {
  const durationMs = Math.round(r.phases.reduce((n, p) => n + p.ms, 0));
  const base = { trigger: why, outcome: r.outcome, durationMs };
  if (r.outcome === 'in-sync') return log.debug(base, `pass (${why}): in sync`);
  if (r.outcome === 'refused') return log.error({ ...base, refused: r.refused }, `pass (${why}): refused, nothing was changed`);
  const fields = {
    ...base,
    totals: r.totals,
    changes: r.plan.map((c) => formatChange(c, false)[0]!),
    ...(r.failures.length > 0 ? { errors: r.failures.map((f) => ({ kind: f.code, message: f.step ? `${f.step}: ${f.message}` : f.message })) } : {}),
    ...(r.remaining.length > 0 ? { remaining: r.remaining.length } : {}),
    ...(r.notes.length > 0 ? { notes: r.notes } : {}),
  };
  const line = `pass (${why}): ${summary(r.totals)} (${durationMs} ms)`;
  if (r.outcome === 'applied') log.info(fields, line);
  else log.error(fields, `${line}; did not converge, trying again at the next change or resync`);
}
