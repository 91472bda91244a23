/**
 * Starting a daemon of netd's own (the resolver, `netd dns`): detached in its own session so
 * it outlives the command that started it, stdin closed, stdout and stderr appended to a log
 * file (mode 0600, never through a symlink). The only other place, with exec.ts, that spawns
 * processes.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { NetdError } from '../errors.js';
import { errno, symlinkRefused } from './nofollow.js';

const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = constants;

/** Starts argv detached, logging to logFile; returns its pid. */
export function spawnDaemon(argv: readonly string[], logFile: string, env: NodeJS.ProcessEnv = process.env): number {
  let fd: number;
  try {
    fd = openSync(logFile, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
  } catch (e) {
    if (errno(e) === 'ELOOP') throw symlinkRefused('write', logFile);
    throw e;
  }
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env });
    if (child.pid === undefined) throw new NetdError('internal', `start ${argv.join(' ')}: the process did not start`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Whether a process of this pid exists (signal 0). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) === 'EPERM';
  }
}
