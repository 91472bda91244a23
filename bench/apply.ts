/**
 * N containers (default 200) on one bridge network, built several ways and timed, netd through
 * its CLI (a new node process each, as an operator runs it: start-up included):
 *   (a) `netd apply` from empty (load, observe, diff, execute, verify);
 *   (b) a hand-written `ip -batch` script: one root batch, then one batch per namespace
 *       (in parallel, as netd runs them);
 *   (c) the CNI reference bridge plugin with host-local IPAM, one ADD per container;
 *   (i) netavark (Podman's network backend), one `netavark setup` per container as Podman runs it;
 * then (d) `netd diff` on the converged state, (e) a re-apply with one changed attachment and
 * (h) the delete of them all (`netd apply` of an empty file); on the converged state too, the
 * no-op diff through the reconcile API with (f) the rtnetlink observer and (g) the iproute2
 * fallback, with the processes each starts.
 * Runs alternate, each at least 3 times; medians and ratios against the targets (issue 13;
 * not assertions) are printed.
 *
 *   npm run bench -- [--n N] [--rounds R] [--peers|--no-peers] [--profile]
 *   node dist/bench/apply.js [N] …    (re-runs itself inside dist/test/throwaway.js)
 *
 * The CNI and netavark peers run by default up to 200 containers (--peers forces them); each
 * is skipped, with a note, when its binary is missing (Debian: containernetworking-plugins,
 * netavark).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { DEFAULT_PARALLEL, mapPool } from '../src/kernel/index.js';
import { profileApply } from './apply-profile.js';
import { diffWith, type ObserverName } from './diff-observers.js';

const args = process.argv.slice(2);
// N as `--n N` or alone; every other option by name: a bare number is never taken for --rounds, nor the other way.
const { values: opt, positionals } = parseArgs({
  args,
  allowPositionals: true,
  options: { n: { type: 'string' }, rounds: { type: 'string' }, peers: { type: 'boolean' }, 'no-peers': { type: 'boolean' }, profile: { type: 'boolean' } },
});
const whole = (what: string, v: string | undefined, fallback: number): number => {
  if (v === undefined) return fallback;
  if (!/^[1-9]\d*$/.test(v)) throw new Error(`bench/apply: ${what} wants a whole number, not "${v}"`);
  return Number(v);
};
const count = whole('--n', opt.n ?? positionals[0], 200);
const rounds = whole('--rounds', opt.rounds, 3);
const peers = opt.peers === true || (opt['no-peers'] !== true && count <= 200);
const BRIDGE = 'bench0';
const CNI_DIR = '/usr/lib/cni';
const NETAVARK = ['/usr/lib/podman/netavark', '/usr/libexec/podman/netavark'].find((p) => existsSync(p));
const CLI = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'netd-bench-'));
const stateDir = join(dir, 'state');
const containers = Array.from({ length: count }, (_, i) => ({ ns: `bc${i}`, veth: `bv${i}`, ip: `10.120.${(i + 2) >> 8}.${(i + 2) & 255}` }));

function yaml(changed = false): string {
  const lines = ['version: 1', 'networks:', `  bench: { subnet: 10.120.0.0/16, bridge: ${BRIDGE} }`, 'containers:'];
  for (const c of containers) lines.push(`  ${c.ns}: {}`);
  lines.push('attachments:');
  containers.forEach((c, i) => lines.push(`  - { container: ${c.ns}, network: bench, ipv4: ${changed && i === 0 ? '10.120.200.1' : c.ip} }`));
  return `${lines.join('\n')}\n`;
}

const files = { full: join(dir, 'full.yaml'), changed: join(dir, 'changed.yaml'), empty: join(dir, 'empty.yaml') };
writeFileSync(files.full, yaml());
writeFileSync(files.changed, yaml(true));
writeFileSync(files.empty, 'version: 1\n');

/** One `netd` process, as an operator runs it. */
async function netd(cmd: string, file: string, ...flags: string[]): Promise<string> {
  return exec([process.execPath, CLI, cmd, '-f', file, '--state-dir', stateDir, ...flags]).catch((e: unknown) => {
    // diff exits 2 when it finds changes: the bench's converged diff must not.
    throw new Error(`netd ${cmd} ${file}: ${String(e)}`);
  });
}

function exec(argv: string[], input?: string, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.stdin.on('error', () => undefined); // a command that reads no input (nft flush) closes it early
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')}: exit ${code}: ${err}${out}`))));
    p.stdin.end(input ?? '');
  });
}

async function byBatch(): Promise<void> {
  const root = [`link add ${BRIDGE} type bridge`, `addr add 10.120.0.1/16 dev ${BRIDGE}`, `link set ${BRIDGE} up`];
  for (const c of containers)
    root.push(`netns add ${c.ns}`, `link add ${c.veth} type veth peer name eth0 netns ${c.ns}`, `link set ${c.veth} master ${BRIDGE} up`);
  await exec(['ip', '-batch', '-'], `${root.join('\n')}\n`);
  await mapPool(containers, DEFAULT_PARALLEL, (c) =>
    exec(['ip', '-n', c.ns, '-batch', '-'], `link set lo up\nlink set eth0 up\naddr add ${c.ip}/16 dev eth0\nroute add default via 10.120.0.1\n`),
  );
}

const CNI_DATA = '/run/netd-bench-cni';
const NETCONF = JSON.stringify({
  cniVersion: '1.0.0',
  name: 'bench',
  type: 'bridge',
  bridge: BRIDGE,
  isGateway: true,
  ipMasq: false,
  ipam: { type: 'host-local', subnet: '10.120.0.0/16', dataDir: CNI_DATA, routes: [{ dst: '0.0.0.0/0' }] },
});

async function byCni(): Promise<void> {
  await exec(['ip', '-batch', '-'], `${containers.map((c) => `netns add ${c.ns}`).join('\n')}\n`);
  for (const c of containers) {
    const env = { PATH: process.env.PATH, CNI_COMMAND: 'ADD', CNI_CONTAINERID: c.ns, CNI_NETNS: `/run/netns/${c.ns}`, CNI_IFNAME: 'eth0', CNI_PATH: CNI_DIR };
    await exec([join(CNI_DIR, 'bridge')], NETCONF, env);
  }
}

const NETAVARK_DIR = '/run/netd-bench-netavark';
const NETAVARK_NET = {
  name: 'bench',
  id: 'b'.repeat(64),
  driver: 'bridge',
  network_interface: BRIDGE,
  subnets: [{ subnet: '10.120.0.0/16', gateway: '10.120.0.1' }],
  ipv6_enabled: false,
  internal: false,
  dns_enabled: false,
};

/** As Podman runs it: the namespace exists, then one `netavark setup` per container with its options on stdin. */
async function byNetavark(): Promise<void> {
  await exec(['ip', '-batch', '-'], `${containers.map((c) => `netns add ${c.ns}`).join('\n')}\n`);
  for (const c of containers) {
    const options = {
      container_id: c.ns,
      container_name: c.ns,
      networks: { bench: { interface_name: 'eth0', static_ips: [c.ip] } },
      network_info: { bench: NETAVARK_NET },
    };
    await exec([NETAVARK!, '--config', NETAVARK_DIR, 'setup', `/run/netns/${c.ns}`], JSON.stringify(options));
  }
}

/** Namespaces and the bridge go; the host-side veths go with their peers; so do the peers' firewall rules (this is the throwaway host's own ruleset). */
async function wipe(): Promise<void> {
  await exec(['ip', '-force', '-batch', '-'], `${containers.map((c) => `netns del ${c.ns}`).join('\n')}\n`).catch(() => undefined);
  await exec(['ip', 'link', 'del', BRIDGE]).catch(() => undefined);
  await exec(['nft', 'flush', 'ruleset']).catch(() => undefined);
  for (const d of [CNI_DATA, NETAVARK_DIR]) rmSync(d, { recursive: true, force: true });
  // The kernel destroys a deleted namespace's veths after `netns del` returns: the next run
  // would find their host ends still there (`link add bv1`: File exists).
  for (const t0 = performance.now(); performance.now() - t0 < 10_000; await sleep(10)) {
    if (!readdirSync('/sys/class/net').some((l) => l === BRIDGE || l.startsWith('bv') || l.startsWith('veth'))) break;
  }
}

const OBSERVERS: [string, ObserverName][] = [
  ['(f) diff API, netlink', 'netlink'],
  ['(g) diff API, iproute2', 'iproute2'],
];
const processes = new Map<ObserverName, string>();
/** What the last cold `netd apply` reported it ran (`-o json`): processes, then every kind with netlink's. */
let coldProcesses: string | undefined;
async function observeDiff(which: ObserverName): Promise<void> {
  const r = await diffWith(which, files.full, stateDir);
  if (r.changes !== 0) throw new Error(`diff with the ${which} observer: ${r.changes} changes on the converged state`);
  processes.set(which, `${r.processes} (${[...r.byKind].map(([k, n]) => `${k} ×${n}`).join(', ')})`);
}

const samples = new Map<string, number[]>();
async function time(label: string, fn: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  samples.set(label, [...(samples.get(label) ?? []), ms]);
  process.stdout.write(`  ${label.padEnd(28)} ${ms.toFixed(0).padStart(7)} ms\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const RUNS: Record<string, () => Promise<void>> = {
  async netd() {
    await time('(a) netd apply, cold', async () => {
      const { kernel } = JSON.parse(await netd('apply', files.full, '-o', 'json')) as { kernel: { calls: number; byKind: Record<string, number> } };
      coldProcesses = `${kernel.calls} (${Object.entries(kernel.byKind)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ')})`;
    });
    await time('(d) netd diff, converged', () => netd('diff', files.full));
    for (const [label, which] of OBSERVERS) await time(label, () => observeDiff(which));
    await time('(e) netd apply, 1 changed', () => netd('apply', files.changed));
    await time('(h) netd delete all', () => netd('apply', files.empty, '--allow-empty'));
  },
  async batch() {
    await time('(b) hand-written ip -batch', byBatch);
    await wipe();
  },
};
if (peers && existsSync(join(CNI_DIR, 'bridge')))
  RUNS.cni = async () => {
    await time('(c) CNI bridge + host-local', byCni);
    await wipe();
  };
if (peers && NETAVARK)
  RUNS.netavark = async () => {
    await time('(i) netavark setup', byNetavark);
    await wipe();
  };

async function main(): Promise<void> {
  mkdirSync(stateDir, { recursive: true });
  process.stdout.write(`${count} containers on one bridge; ${rounds} rounds, order rotating; parallel ${DEFAULT_PARALLEL}; netd through its CLI (${CLI})\n`);
  const order = Object.keys(RUNS);
  for (let r = 0; r < rounds; r++) {
    process.stdout.write(`round ${r + 1}\n`);
    for (let k = 0; k < order.length; k++) await RUNS[order[(k + r) % order.length]!]!();
  }
  const m = Object.fromEntries([...samples].map(([k, v]) => [k.slice(1, 2), median(v)])) as Partial<Record<string, number>>;
  process.stdout.write('medians\n');
  for (const [k, v] of samples) process.stdout.write(`  ${k.padEnd(28)} ${median(v).toFixed(0).padStart(7)} ms\n`);
  process.stdout.write(`ratios (targets from issue 13 for ${count <= 200 ? '200' : '1000'} containers)\n`);
  const big = count > 200;
  const ratio = (name: string, x: number | undefined, y: number | undefined, target: string, ok: (r: number) => boolean): void => {
    if (x === undefined || y === undefined) return void process.stdout.write(`  ${name.padEnd(28)}     n/a   (target ${target}; not run)\n`);
    const r = x / y;
    process.stdout.write(`  ${name.padEnd(28)} ${r.toFixed(2).padStart(7)}   (target ${target}: ${ok(r) ? 'met' : 'NOT met'})\n`);
  };
  ratio('apply/batch', m.a, m.b, big ? '≤ 0.5' : '≤ 0.8', (r) => r <= (big ? 0.5 : 0.8));
  if (!big || peers) {
    ratio('CNI/apply', m.c, m.a, '≥ 5', (r) => r >= 5);
    ratio('netavark/apply', m.i, m.a, '≥ 10', (r) => r >= 10);
  }
  ratio('delete-all/apply', m.h, m.a, '≤ 0.5', (r) => r <= 0.5);
  ratio('diff/apply', m.d, m.a, '≤ 0.1', (r) => r <= 0.1);
  ratio('change/diff', m.e, m.d, '≤ 1.5', (r) => r <= 1.5);
  ratio('diff API netlink/iproute2', m.f, m.g, 'lower is better', () => true);
  if (!RUNS.cni && peers) process.stdout.write(`CNI not run: no ${join(CNI_DIR, 'bridge')} (Debian: containernetworking-plugins)\n`);
  if (!RUNS.netavark && peers) process.stdout.write('netavark not run: no /usr/lib/podman/netavark (Debian: netavark)\n');
  if (coldProcesses) process.stdout.write(`processes per cold apply (CLI): ${coldProcesses}\n`);
  for (const [which, p] of processes) process.stdout.write(`processes per no-op diff, ${which}: ${p}\n`);
  if (opt.profile === true) await profileApply(files, stateDir);
  rmSync(dir, { recursive: true, force: true });
}

if (process.env.NETD_THROWAWAY !== '1') {
  const throwaway = fileURLToPath(new URL('../test/throwaway.js', import.meta.url));
  const r = spawnSync(process.execPath, [throwaway, process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else {
  await main();
}
