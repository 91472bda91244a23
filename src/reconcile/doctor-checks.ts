/**
 * The checks of `netd doctor` and the host prerequisites: privileges, the iproute2 and nft
 * tools, ip_forward, and other tables whose forward hook drops by policy.
 */
import { constants } from 'node:fs';
import { access, readFile, stat, statfs } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { messageOf } from '../errors.js';
import { IP_FORWARD, NETD_TABLES, netlinkStatus, observeBaseChains, readSysctl, type Runner } from '../kernel/index.js';
import type { RecordedState } from '../plan/types.js';

export type CheckGroup = 'prerequisites' | 'store' | 'leaks' | 'resolver' | 'cluster';
/** A warning is worth acting on but does not fail doctor (a lease running low, one etcd endpoint down). */
export type CheckStatus = 'ok' | 'warning' | 'problem' | 'skipped';

export interface Check {
  readonly group: CheckGroup;
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** For a problem or a warning: the command (or action) that fixes it. */
  readonly fix?: string;
}

export const ok = (group: CheckGroup, name: string, detail: string): Check => ({ group, name, status: 'ok', detail });
export const problem = (group: CheckGroup, name: string, detail: string, fix: string): Check => ({ group, name, status: 'problem', detail, fix });
export const warning = (group: CheckGroup, name: string, detail: string, fix: string): Check => ({ group, name, status: 'warning', detail, fix });
export const skipped = (group: CheckGroup, name: string, detail: string): Check => ({ group, name, status: 'skipped', detail });

/** Runs a check; a failure to look is itself reported, never thrown. */
export async function attempt(group: CheckGroup, name: string, fn: () => Promise<Check | Check[]>): Promise<Check[]> {
  try {
    const r = await fn();
    return Array.isArray(r) ? r : [r];
  } catch (e) {
    const fix = denied(e) ? 'run netd doctor as root (sudo netd doctor)' : 'correct what the error says, then run netd doctor again';
    return [problem(group, name, `could not check: ${messageOf(e)}`, fix)];
  }
}

/** A refusal for lack of privileges (a file's mode, or the kernel's EPERM). */
export function denied(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'EACCES' || code === 'EPERM' || /operation not permitted|permission denied/i.test(messageOf(e));
}

const CAP_NET_ADMIN = 12n;

export async function privileges(): Promise<Check> {
  const status = await readFile('/proc/self/status', 'utf8');
  const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/im.exec(status)?.[1] ?? '0'}`);
  const uid = process.getuid?.();
  if ((capEff >> CAP_NET_ADMIN) & 1n) return ok('prerequisites', 'privileges', `uid ${uid ?? '?'} has CAP_NET_ADMIN`);
  return problem(
    'prerequisites',
    'privileges',
    `uid ${uid ?? '?'} lacks CAP_NET_ADMIN: netd cannot change the network`,
    'run netd as root (sudo netd …) or grant it CAP_NET_ADMIN',
  );
}

/** netd's native addon: without it netd reads and writes the kernel through iproute2, one process per namespace. */
export function netlink(): Check {
  const s = netlinkStatus();
  if (s.loaded) return ok('prerequisites', 'netlink', 'native addon loaded: the kernel is read and written over rtnetlink');
  if (s.disabled) return skipped('prerequisites', 'netlink', `${s.reason}: the kernel is read and written through iproute2`);
  return problem(
    'prerequisites',
    'netlink',
    `native addon not loaded (${s.reason}): the kernel is read and written through iproute2, slower`,
    "build it: npm run build:native in netd's directory (needs python3, make and a C compiler)",
  );
}

/** The commands netd runs, and the package that provides each. */
export interface Tool {
  readonly name: string;
  readonly argv: readonly string[];
  readonly version: RegExp;
  readonly pkg: string;
}

export const TOOLS: readonly Tool[] = [
  { name: 'iproute2', argv: ['ip', '-V'], version: /iproute2-([\w.]+)/, pkg: 'iproute2' },
  { name: 'nftables', argv: ['nft', '--version'], version: /v([\d.]+)/, pkg: 'nftables' },
  { name: 'nsenter', argv: ['nsenter', '--version'], version: /util-linux ([\d.]+)/, pkg: 'util-linux' },
];

const notInstalled = (t: Tool): Check =>
  problem('prerequisites', t.name, `"${t.argv[0]}" is not installed (not found on PATH)`, `install ${t.pkg} (apt-get install ${t.pkg})`);

/** Doctor's check: the command runs, and its version. */
export async function tool(runner: Runner, t: Tool): Promise<Check> {
  try {
    const { stdout } = await runner.run([...t.argv]);
    const v = t.version.exec(stdout)?.[1];
    return ok('prerequisites', t.name, v ? `${t.name} ${v}` : stdout.trim());
  } catch (e) {
    if (/ENOENT/.test(messageOf(e))) return notInstalled(t);
    return problem('prerequisites', t.name, `${t.argv.join(' ')}: ${messageOf(e)}`, `install ${t.pkg} (apt-get install ${t.pkg})`);
  }
}

/** Pre-flight's check: the command is on PATH and executable, found as execvp finds it, without running it (a process each on every apply). */
export async function installed(t: Tool, path = process.env.PATH ?? ''): Promise<Check> {
  const name = t.argv[0]!;
  for (const dir of path.split(':').filter((d) => d !== '')) {
    const file = join(dir, name);
    try {
      await access(file, constants.X_OK);
      if ((await stat(file)).isFile()) return ok('prerequisites', t.name, file);
    } catch {
      // not in this directory
    }
  }
  return notInstalled(t);
}

/** Kernel pseudo file systems, where nothing can be created (a recursive mkdir there spins). */
const PSEUDO_FS = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
]);

/** Can this process write the state dir (or create it: its nearest existing parent)? */
export async function stateDirWritable(stateDir: string): Promise<Check> {
  const want = resolve(stateDir);
  let dir = want;
  for (;;) {
    try {
      if (!(await stat(dir)).isDirectory())
        return problem(
          'prerequisites',
          'state dir',
          `${dir === want ? 'state dir' : `${stateDir}: its parent`} ${dir} is not a directory`,
          'pass --state-dir DIR',
        );
      await access(dir, constants.W_OK | constants.X_OK);
      const pseudo = PSEUDO_FS.get((await statfs(dir)).type);
      if (pseudo)
        return problem('prerequisites', 'state dir', `state dir ${stateDir} is on ${pseudo}, not a file system for data`, 'pass --state-dir DIR on a disk');
      return ok('prerequisites', 'state dir', dir === want ? `${dir} is writable` : `${stateDir} does not exist yet; ${dir} is writable`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && dirname(dir) !== dir) {
        dir = dirname(dir);
        continue;
      }
      const fix = code === 'EROFS' ? 'pass --state-dir DIR on a writable file system' : 'run netd as root (sudo netd …), or pass --state-dir DIR';
      return problem(
        'prerequisites',
        'state dir',
        `${dir === want ? 'state dir' : `${stateDir}: its parent`} ${dir} is not writable (${code ?? messageOf(e)})`,
        fix,
      );
    }
  }
}

export async function forwarding(runner: Runner, recorded: RecordedState | undefined): Promise<Check> {
  const value = await readSysctl(runner, undefined, IP_FORWARD);
  const bridges = recorded?.networks.filter((n) => n.bridge).length ?? 0;
  if (value === '1' || bridges === 0)
    return ok('prerequisites', 'ip_forward', `${IP_FORWARD} = ${value}${bridges === 0 ? ' (no bridge network recorded)' : ''}`);
  return problem(
    'prerequisites',
    'ip_forward',
    `${IP_FORWARD} = ${value}: ${bridges} bridge network(s) cannot reach beyond the host`,
    `sysctl -w ${IP_FORWARD}=1`,
  );
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
