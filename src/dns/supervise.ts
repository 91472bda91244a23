/**
 * Who serves DNS for a state dir, and starting or stopping `netd dns` (as netavark starts
 * aardvark-dns): apply calls `superviseResolver` after every pass with the records. A
 * resolver holds the state dir's `dns` lock for its life (the kernel drops it on any exit,
 * kill -9 included), so "someone serves" is "the lock is taken". `netd watch` serves
 * in-process under the same lock, and is never stopped from here.
 *
 * The resolver writes `dns.status` (its pid, the store revision it serves, the addresses
 * bound) after each rebind: apply waits on it so that the names it just recorded resolve
 * when it returns.
 */
import { join } from 'node:path';
import { packagePath } from '../paths.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { NetdError, isNetdError } from '../errors.js';
import { processAlive, spawnDaemon } from '../kernel/daemon.js';
import { acquireStateLock, holderPid } from '../store/lock.js';
import { readPrivateFile, writePrivateFile } from '../store/statedir.js';
import { servedNetworks } from '../state/dns.js';
import type { NetworkRecord } from '../state/records.js';
import { serveDns, type ServeOptions } from './follow.js';

export const DNS_LOG_FILE = 'dns.log';
export const DNS_STATUS_FILE = 'dns.status';
const BIN = packagePath('dist/src/cli/bin.js');
const WAIT_MS = 5000;

export interface ResolverStatus {
  readonly pid: number;
  readonly revision: number;
  readonly bound: readonly string[];
}

/** The pid of the process serving DNS for the state dir, or undefined when none does. */
export async function resolverPid(stateDir: string): Promise<number | undefined> {
  try {
    (await acquireStateLock(stateDir, { name: 'dns', timeoutMs: 0 })).release();
    return undefined;
  } catch (e) {
    if (!isNetdError(e, 'lock-timeout')) throw e;
    return holderPid(stateDir, 'dns') ?? -1;
  }
}

export function writeStatus(stateDir: string, s: ResolverStatus): void {
  writePrivateFile(join(stateDir, DNS_STATUS_FILE), `${JSON.stringify(s)}\n`);
}

export function readStatus(stateDir: string): ResolverStatus | undefined {
  try {
    return JSON.parse(readPrivateFile(join(stateDir, DNS_STATUS_FILE))) as ResolverStatus;
  } catch {
    return undefined;
  }
}

/** Waits until the resolver pid serves revision and every address; false when it did not in time. */
async function serving(stateDir: string, pid: number, revision: number, addresses: readonly string[]): Promise<boolean> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    const s = readStatus(stateDir);
    if (s && s.pid === pid && s.revision >= revision && addresses.every((a) => s.bound.includes(a))) return true;
    if (!processAlive(pid)) return false;
    await sleep(25);
  }
  return false;
}

/** Serves DNS for the state dir in this process, holding its `dns` lock (exit 75 when another resolver holds it), until signal. */
export async function runResolver(o: Omit<ServeOptions, 'onServe'> & { lockTimeoutMs?: number }): Promise<void> {
  const lock = await acquireStateLock(o.stateDir, { name: 'dns', timeoutMs: o.lockTimeoutMs ?? 0 });
  try {
    await serveDns({ ...o, onServe: (bound, revision) => writeStatus(o.stateDir, { pid: process.pid, revision, bound }) });
  } finally {
    lock.release();
  }
}

/** Stops a `netd dns` serving the state dir (watch serves in-process instead); the pid stopped, if any. */
export async function stopResolver(stateDir: string): Promise<number | undefined> {
  const pid = await resolverPid(stateDir);
  if (pid === undefined || pid < 0 || pid === process.pid) return undefined;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < WAIT_MS / 25 && processAlive(pid); i++) await sleep(25);
  return pid;
}

/**
 * Starts `netd dns` when a recorded network needs it and none serves, stops the one apply
 * started when none does; then waits until the records at `revision` are served. Returns a
 * line for the user when it started or stopped one; throws when the resolver cannot serve.
 */
export async function superviseResolver(stateDir: string, networks: readonly NetworkRecord[], revision: number): Promise<string | undefined> {
  const served = servedNetworks(networks);
  if (served.length === 0 && holderPid(stateDir, 'dns') === undefined) return undefined; // none ever ran here
  const addresses = served.flatMap((n) => n.gateways);
  let pid = await resolverPid(stateDir);
  const inWatch = pid === process.pid || (pid !== undefined && pid === holderPid(stateDir, 'watch'));
  if (served.length === 0) {
    if (pid === undefined || inWatch) return undefined;
    const stopped = await stopResolver(stateDir);
    return stopped === undefined ? undefined : `stopped the resolver (pid ${stopped}): no network has dns: true`;
  }
  let line: string | undefined;
  if (pid === undefined) {
    pid = spawnDaemon([process.execPath, BIN, 'dns', '--state-dir', stateDir], join(stateDir, DNS_LOG_FILE));
    line = `started the resolver (pid ${pid}; log ${join(stateDir, DNS_LOG_FILE)})`;
  }
  if (pid > 0 && !(await serving(stateDir, pid, revision, addresses))) {
    const log = join(stateDir, DNS_LOG_FILE);
    throw new NetdError(
      'retry',
      `resolver (pid ${pid}): not serving ${addresses.join(', ')} after ${WAIT_MS / 1000} s: see ${log}; netd apply starts it again if it died`,
    );
  }
  return line;
}
