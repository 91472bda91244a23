/**
 * A multi-host cluster simulated inside the throwaway host (DESIGN.md §7): an underlay bridge
 * whose address is "the outside" and etcd's, and N hosts, each a holder process with its own
 * network and mount namespace (own /run, /run/netns, /etc/netns, /sys, state dir), joined to
 * the underlay by a veth that is `eth0` inside. Commands run on a host with
 * `nsenter -t PID -m -n` (`ip netns exec` cannot hold nested named namespaces). Holders are
 * killed by PID; a holder also exits when this process dies (its stdin closes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, type Captured } from './cli.js';
import { startEtcd, type EtcdServer } from './etcd.js';

// A bridge without a set MAC takes its lowest port's: a host's reboot (a new veth) would change
// it under the other hosts' ARP caches, and they would lose etcd for half a minute.
export const UNDERLAY = { bridge: 'ndul0', address: '192.168.90.1', prefixLen: 24, mac: '02:90:00:00:00:01' } as const;
const NETD = join(ROOT, 'dist/src/cli/bin.js');

export class SimHost {
  /** The holder process: its namespaces are this host's (a reboot replaces it). */
  pid = 0;
  /** netd's state dir on this host (freshStateDir replaces it). */
  stateDir: string;
  holder: ChildProcess | undefined;
  readonly watchers = new Set<Watcher>();
  private files = 0;

  constructor(
    /** a, b, c… */
    readonly name: string,
    /** Its underlay address (eth0): 192.168.90.11, .12, … */
    readonly ip: string,
    /** Its own files (YAML, state dirs). */
    readonly dir: string,
  ) {
    this.stateDir = join(dir, 'state');
  }

  /** Its eth0's MAC: 02:90:00:00:00:<last octet of its address>. */
  get mac(): string {
    return `02:90:00:00:00:${Number(this.ip.split('.')[3]).toString(16).padStart(2, '0')}`;
  }

  /** The underlay-side end of its veth, in the throwaway host. */
  get veth(): string {
    return `ndv-${this.name}`;
  }

  /** The command prefix that runs a program on this host, or in its named namespace ns. */
  prefix(ns?: string): string[] {
    return ['nsenter', '-t', String(this.pid), '-m', '-n', '--', ...(ns === undefined ? [] : ['ip', 'netns', 'exec', ns])];
  }

  /** Writes yaml to a new file of this host and returns its path. */
  file(yaml: string): string {
    const path = join(this.dir, `desired-${++this.files}.yaml`);
    writeFileSync(path, yaml);
    return path;
  }

  /** A new, empty state dir: the host lost its disk but kept its address. */
  freshStateDir(): void {
    this.stateDir = join(this.dir, `state-${++this.files}`);
  }
}

export interface RunOptions {
  readonly input?: string;
  /** Killed after this long (default 30 s); the result then has code -1. */
  readonly timeoutMs?: number;
}

/** Runs argv (never a shell) as a child and collects its output. */
export function run(argv: readonly string[], o: RunOptions = {}): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0]!, argv.slice(1), { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 30_000);
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (clearTimeout(timer), resolve({ code: code ?? -1, stdout, stderr })));
    // A command that does not read its input may exit first: that is not an error.
    p.stdin.on('error', () => undefined).end(o.input ?? '');
  });
}

async function must(argv: readonly string[], o?: RunOptions): Promise<string> {
  const r = await run(argv, o);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Runs argv on host (in its named namespace ns when given). */
export function runOn(host: SimHost, argv: readonly string[], o: RunOptions & { ns?: string } = {}): Promise<Captured> {
  return run([...host.prefix(o.ns), ...argv], o);
}

/** `netd ARGS --state-dir <host's>` on host, the compiled CLI in a child process. */
export function netdOn(host: SimHost, args: readonly string[], o: RunOptions = {}): Promise<Captured> {
  return runOn(host, [process.execPath, NETD, ...args, '--state-dir', host.stateDir], o);
}

/** `ip -j ARGS` on host, parsed. */
export async function ipJsonOn<T = Record<string, unknown>>(host: SimHost, args: readonly string[], ns?: string): Promise<T[]> {
  const out = await must([...host.prefix(ns), 'ip', '-j', ...args]);
  return JSON.parse(out || '[]') as T[];
}

export interface Watcher {
  /** SIGTERM, then the exit: its code and what it printed. */
  stop(): Promise<Captured>;
  /** What it printed so far. */
  output(): string;
  /** Sends it a signal (SIGSTOP/SIGCONT: freeze it while the world moves on). */
  signal(sig: NodeJS.Signals): void;
}

/** Starts `netd watch ARGS` on host in the background. */
export function watchOn(host: SimHost, args: readonly string[]): Watcher {
  const argv = [...host.prefix(), process.execPath, NETD, 'watch', ...args, '--state-dir', host.stateDir];
  const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Killed by a signal (it did not handle SIGTERM): -1, and the signal is named in stderr.
  const exited = new Promise<number>((resolve) => p.on('close', (code, sig) => resolve(code ?? ((stderr += `[killed by ${sig}]\n`), -1))));
  const w: Watcher = {
    output: () => stdout + stderr,
    signal: (sig) => void p.kill(sig),
    stop: async () => {
      host.watchers.delete(w);
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
      return { code: await exited, stdout, stderr };
    },
  };
  host.watchers.add(w);
  return w;
}

/** Polls check every intervalMs until it returns true; resolves with the ms it took, or throws after limitMs. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, limitMs = 5000, intervalMs = 20): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await check()) return performance.now() - t0;
    if (performance.now() - t0 > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(intervalMs);
  }
}

const nsOf = (pid: number | 'self', kind: string): string => readlinkSync(`/proc/${pid}/ns/${kind}`);

/** A new holder for host: namespaces, mounts, eth0 on the underlay with its address and default route. */
async function boot(host: SimHost): Promise<void> {
  // The holder exits when its stdin closes: with this process, should a test die before stop().
  const holder = spawn('unshare', ['--net', '--mount', '--propagation', 'private', '--', process.execPath, '-e', 'process.stdin.resume()'], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  host.holder = holder;
  host.pid = holder.pid!;
  // unshare(2) runs before exec: until then nsenter would enter the throwaway host itself.
  await waitFor(`host ${host.name}: namespaces`, () => {
    try {
      return nsOf(host.pid, 'net') !== nsOf('self', 'net') && nsOf(host.pid, 'mnt') !== nsOf('self', 'mnt');
    } catch {
      return false;
    }
  });
  const on = (...argv: string[]): Promise<string> => must([...host.prefix(), ...argv]);
  for (const d of ['/run', '/etc/netns', '/var/lib/netd']) await on('mount', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', d);
  await on('mkdir', '/run/netns');
  await on('mount', '-t', 'sysfs', 'sysfs', '/sys');
  // eth0 keeps its MAC across reboots, as a NIC does: the other hosts' ARP entries stay true.
  await must(['ip', 'link', 'add', host.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'address', host.mac, 'netns', String(host.pid)]);
  await must(['ip', 'link', 'set', host.veth, 'master', UNDERLAY.bridge, 'up']);
  await on('ip', 'link', 'set', 'lo', 'up');
  await on('ip', 'addr', 'add', `${host.ip}/${UNDERLAY.prefixLen}`, 'dev', 'eth0');
  await on('ip', 'link', 'set', 'eth0', 'up');
  await on('ip', 'route', 'add', 'default', 'via', UNDERLAY.address);
}

/** Stops host's watchers, unplugs it and kills its holder: its namespaces and all in them go. */
async function halt(host: SimHost): Promise<void> {
  for (const w of [...host.watchers]) await w.stop();
  await run(['ip', 'link', 'del', host.veth]);
  const holder = host.holder;
  host.holder = undefined;
  if (holder && holder.exitCode === null && holder.signalCode === null) {
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
  }
}

/** A power cycle: the host's kernel objects are gone; its files and state dir stay. */
export async function reboot(host: SimHost): Promise<void> {
  await halt(host);
  await boot(host);
}

export interface Sim {
  readonly hosts: SimHost[];
  /** The host of that name (throws when there is none). */
  host(name: string): SimHost;
  /** etcd on the underlay address. */
  readonly etcd: EtcdServer;
  /** Kills everything and removes the underlay; the throwaway host is left as it was. */
  stop(): Promise<void>;
}

/** Starts the underlay, etcd on it, and one host per name (a, b, c: 192.168.90.11, .12, .13). */
export async function startSim(names: readonly string[] = ['a', 'b', 'c']): Promise<Sim> {
  const dir = mkdtempSync(join(tmpdir(), 'netd-sim-'));
  const hosts = names.map((n, i) => new SimHost(n, `192.168.90.${11 + i}`, join(dir, n)));
  let etcd: EtcdServer | undefined;
  const stop = async (): Promise<void> => {
    for (const h of hosts) await halt(h);
    await etcd?.close();
    await run(['ip', 'link', 'del', UNDERLAY.bridge]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await must(['ip', 'link', 'add', UNDERLAY.bridge, 'address', UNDERLAY.mac, 'type', 'bridge']);
    await must(['ip', 'addr', 'add', `${UNDERLAY.address}/${UNDERLAY.prefixLen}`, 'dev', UNDERLAY.bridge]);
    await must(['ip', 'link', 'set', UNDERLAY.bridge, 'up']);
    for (const h of hosts) {
      mkdirSync(h.dir, { recursive: true });
      await boot(h);
    }
    etcd = await startEtcd({ address: UNDERLAY.address });
    const host = (name: string): SimHost => {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new Error(`sim: no host "${name}"`);
      return h;
    };
    return { hosts, host, etcd, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
