/**
 * Sysctls, host or per namespace. `net.*` keys under /proc/sys belong to the network
 * namespace of the reading process, so `nsenter --net=… sysctl` reads the right one.
 * `ensureSysctl` reads first and writes only on a difference: re-applying writes nothing.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { NetdError } from '../errors.js';
import { realKernel, type Runner } from './exec.js';
import { netlinkStatus } from './netlink/addon.js';
import { nsExecArgv, type NsRef } from './netns.js';

export { IP_FORWARD, IPV6_FORWARDING } from '../state/derive.js';

const KEY = /^[A-Za-z0-9_]+(?:[./][A-Za-z0-9_@:-]+)+$/;
const VALUE = /^[A-Za-z0-9_.:-]+$/;

function check(key: string, value?: string): void {
  if (!KEY.test(key)) throw new NetdError('invalid', `sysctl key ${JSON.stringify(key)} is not valid`);
  if (value !== undefined && !VALUE.test(value)) throw new NetdError('invalid', `sysctl ${key}: value ${JSON.stringify(value)} is not valid`);
}

/** The file of a key under /proc/sys, as sysctl(8) finds it (a '/' in a key stands for a '.' in a name: br.100). */
export function sysctlPath(key: string, value?: string): string {
  check(key, value);
  return `/proc/sys/${key
    .split('.')
    .map((part) => part.replaceAll('/', '.'))
    .join('/')}`;
}

export async function readSysctl(runner: Runner, ns: NsRef | undefined, key: string): Promise<string> {
  check(key);
  return (await runner.run(nsExecArgv(ns, ['sysctl', '-n', key]))).stdout.trim();
}

export async function writeSysctl(runner: Runner, ns: NsRef | undefined, key: string, value: string): Promise<void> {
  check(key, value);
  await runner.run(nsExecArgv(ns, ['sysctl', '-q', '-w', `${key}=${value}`]), { write: true });
}

/** A sysctl of the namespace this process runs in, read from /proc/sys without a process; undefined when the key does not exist. */
export async function readOwnSysctl(key: string): Promise<string | undefined> {
  try {
    return (await readFile(sysctlPath(key), 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Sets a sysctl if it differs; true when it was changed. netd's own, with the addon: from /proc/sys, no process. */
export async function ensureSysctl(runner: Runner, ns: NsRef | undefined, key: string, value: string): Promise<boolean> {
  if (ns === undefined && netlinkStatus().loaded && realKernel(runner)) {
    if ((await readOwnSysctl(key)) === value) return false;
    await writeFile(sysctlPath(key, value), value);
    runner.note?.('sysctl write', true);
    return true;
  }
  if ((await readSysctl(runner, ns, key)) === value) return false;
  await writeSysctl(runner, ns, key, value);
  return true;
}
