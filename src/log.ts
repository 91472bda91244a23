import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Logs go to stderr (fd 2); stdout carries results only. */
export function createLogger(level: LogLevel = 'warn', destination: NodeJS.WritableStream = process.stderr): Logger {
  // base null: no pid and hostname on every line.
  return pino({ level, base: null }, destination as DestinationStream);
}

export const silentLogger: Logger = pino({ level: 'silent' });
