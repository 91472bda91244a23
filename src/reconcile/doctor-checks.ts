/**
 * The checks of `netd doctor` and the host prerequisites: privileges, the iproute2 and nft
 * tools, ip_forward, and other tables whose forward hook drops by policy.
 */
import { readFile } from 'node:fs/promises';
import { messageOf } from '../errors.js';
import { IP_FORWARD, NETD_TABLES, observeBaseChains, readSysctl, type Runner } from '../os/index.js';
import type { RecordedState } from '../plan/types.js';

export type CheckGroup = 'prerequisites' | 'store' | 'leaks';
export type CheckStatus = 'ok' | 'problem' | 'skipped';

export interface Check {
  readonly group: CheckGroup;
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** For a problem: the command (or action) that fixes it. */
  readonly fix?: string;
}

export const ok = (group: CheckGroup, name: string, detail: string): Check => ({ group, name, status: 'ok', detail });
export const problem = (group: CheckGroup, name: string, detail: string, fix: string): Check => ({ group, name, status: 'problem', detail, fix });
export const skipped = (group: CheckGroup, name: string, detail: string): Check => ({ group, name, status: 'skipped', detail });

/** Runs a check; a failure to look is itself reported, never thrown. */
export async function attempt(group: CheckGroup, name: string, fn: () => Promise<Check | Check[]>): Promise<Check[]> {
  try {
    const r = await fn();
    return Array.isArray(r) ? r : [r];
  } catch (e) {
    return [problem(group, name, `could not check: ${messageOf(e)}`, 'run netd doctor as root')];
  }
}

const CAP_NET_ADMIN = 12n;

export async function privileges(): Promise<Check> {
  const status = await readFile('/proc/self/status', 'utf8');
  const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/im.exec(status)?.[1] ?? '0'}`);
  const uid = process.getuid?.();
  if ((capEff >> CAP_NET_ADMIN) & 1n) return ok('prerequisites', 'privileges', `uid ${uid ?? '?'} has CAP_NET_ADMIN`);
  return problem('prerequisites', 'privileges', `uid ${uid ?? '?'} lacks CAP_NET_ADMIN: netd cannot change the network`, 'run netd as root (sudo netd …) or grant it CAP_NET_ADMIN');
}

export async function tool(runner: Runner, name: string, argv: string[], version: RegExp, pkg: string): Promise<Check> {
  try {
    const { stdout } = await runner.run(argv);
    const v = version.exec(stdout)?.[1];
    return ok('prerequisites', name, v ? `${name} ${v}` : stdout.trim());
  } catch (e) {
    return problem('prerequisites', name, `${argv.join(' ')}: ${messageOf(e)}`, `apt-get install ${pkg}`);
  }
}

export async function forwarding(runner: Runner, recorded: RecordedState | undefined): Promise<Check> {
  const value = await readSysctl(runner, undefined, IP_FORWARD);
  const bridges = recorded?.networks.filter((n) => n.bridge).length ?? 0;
  if (value === '1' || bridges === 0) return ok('prerequisites', 'ip_forward', `${IP_FORWARD} = ${value}${bridges === 0 ? ' (no bridge network recorded)' : ''}`);
  return problem('prerequisites', 'ip_forward', `${IP_FORWARD} = ${value}: ${bridges} bridge network(s) cannot reach beyond the host`, `sysctl -w ${IP_FORWARD}=1`);
}

/** Another table's forward hook with policy drop silently breaks netd's networks (iptables FORWARD DROP). */
export async function foreignDrops(runner: Runner): Promise<Check[]> {
  const isNetd = (c: { family: string; table: string }): boolean => NETD_TABLES.some((t) => t.family === c.family && t.name === c.table);
  const drops = (await observeBaseChains(runner, undefined)).filter((c) => c.hook === 'forward' && c.policy === 'drop' && !isNetd(c));
  if (drops.length === 0) return [ok('prerequisites', 'forward policy', 'no other table drops forwarded traffic by policy')];
  return drops.map((c) =>
    problem(
      'prerequisites',
      'forward policy',
      `table ${c.family} ${c.table} chain ${c.chain} (hook forward) has policy drop: traffic of netd's networks that leaves or crosses them is dropped unless a rule there accepts it`,
      c.family === 'ip' && c.table === 'filter'
        ? `iptables -P ${c.chain} ACCEPT`
        : `nft add chain ${c.family} ${c.table} ${c.chain} '{ type ${c.type} hook forward priority ${c.priority}; policy accept; }'`,
    ),
  );
}

