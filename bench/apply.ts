/**
 * N containers (default 200) on one bridge network, built three ways and timed:
 *   (a) `netd apply` from empty (the CLI in-process: load, observe, diff, execute, verify);
 *   (b) a hand-written `ip -batch` script: one root batch, then one batch per namespace
 *       (in parallel, as netd runs them);
 *   (c) the CNI reference bridge plugin with host-local IPAM, one ADD per container;
 * then (d) `netd diff` on the converged state and (e) a re-apply with one changed attachment;
 * on the converged state too, the no-op diff through the reconcile API with (f) the rtnetlink
 * observer and (g) the iproute2 fallback, with the processes each starts.
 * Runs alternate, each at least 3 times; medians and ratios are printed. Targets (not
 * assertions): netd/batch ≤ 0.8, CNI/netd ≥ 5, diff/apply ≤ 0.1, change/diff ≤ 1.5.
 *
 *   node dist/bench/apply.js [N] [--rounds R] [--profile]   (re-runs itself inside dist/test/throwaway.js)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';
import { DEFAULT_PARALLEL, mapPool } from '../src/kernel/index.js';
import { run } from '../src/cli/run.js';
import { profileApply } from './apply-profile.js';
import { diffWith, type ObserverName } from './diff-observers.js';

const args = process.argv.slice(2);
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 200);
const rounds = Number(args[args.indexOf('--rounds') + 1] ?? 3) || 3;
const BRIDGE = 'bench0';
const CNI_DIR = '/usr/lib/cni';
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

const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

async function netd(cmd: string, file: string, ...flags: string[]): Promise<void> {
  let stderr = '';
  const err = new Writable({ write: (c: Buffer, _e, cb) => ((stderr += c.toString()), cb()) });
  const code = await run([cmd, '-f', file, '--state-dir', stateDir, ...flags], {
    stdout: sink(),
    stderr: err,
    stdin: Readable.from([]),
    env: {},
    isTTY: false,
  });
  if (code !== 0) throw new Error(`netd ${cmd} ${file}: exit ${code}\n${stderr}`);
}

function exec(argv: string[], input?: string, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
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

/** Namespaces and the bridge go; the host-side veths go with their peers. */
async function wipe(): Promise<void> {
  await exec(['ip', '-force', '-batch', '-'], `${containers.map((c) => `netns del ${c.ns}`).join('\n')}\nlink del ${BRIDGE}\n`).catch(() => undefined);
  rmSync(CNI_DATA, { recursive: true, force: true });
}

const OBSERVERS: [string, ObserverName][] = [
  ['(f) diff API, netlink', 'netlink'],
  ['(g) diff API, iproute2', 'iproute2'],
];
const processes = new Map<ObserverName, string>();
async function observeDiff(which: ObserverName): Promise<void> {
  const r = await diffWith(which, files.full, stateDir);
  if (r.changes !== 0) throw new Error(`diff with the ${which} observer: ${r.changes} changes on the converged state`);
  processes.set(which, `${r.processes} (${[...r.byKind].map(([k, n]) => `${k} ×${n}`).join(', ')})`);
}

const samples = new Map<string, number[]>();
async function time(label: string, fn: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  samples.set(label, [...(samples.get(label) ?? []), ms]);
  process.stdout.write(`  ${label.padEnd(28)} ${ms.toFixed(0).padStart(7)} ms\n`);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const RUNS: Record<string, () => Promise<void>> = {
  async netd() {
    await time('(a) netd apply, cold', () => netd('apply', files.full));
    await time('(d) netd diff, converged', () => netd('diff', files.full));
    for (const [label, which] of OBSERVERS) await time(label, () => observeDiff(which));
    await time('(e) netd apply, 1 changed', () => netd('apply', files.changed));
    await netd('apply', files.empty, '--allow-empty');
  },
  async batch() {
    await time('(b) hand-written ip -batch', byBatch);
    await wipe();
  },
  async cni() {
    await time('(c) CNI bridge + host-local', byCni);
    await wipe();
  },
};

async function main(): Promise<void> {
  mkdirSync(stateDir, { recursive: true });
  process.stdout.write(`${count} containers on one bridge; ${rounds} rounds, order rotating; parallel ${DEFAULT_PARALLEL}\n`);
  const order = Object.keys(RUNS);
  for (let r = 0; r < rounds; r++) {
    process.stdout.write(`round ${r + 1}\n`);
    for (let k = 0; k < order.length; k++) await RUNS[order[(k + r) % order.length]!]!();
  }
  const m = Object.fromEntries([...samples].map(([k, v]) => [k.slice(1, 2), median(v)])) as Record<'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g', number>;
  process.stdout.write('medians\n');
  for (const [k, v] of samples) process.stdout.write(`  ${k.padEnd(28)} ${median(v).toFixed(0).padStart(7)} ms\n`);
  const ratio = (name: string, x: number, target: string): void =>
    void process.stdout.write(`  ${name.padEnd(28)} ${x.toFixed(2).padStart(7)}   (target ${target})\n`);
  process.stdout.write('ratios\n');
  ratio('netd/batch', m.a / m.b, '≤ 0.8');
  ratio('CNI/netd', m.c / m.a, '≥ 5');
  ratio('diff/apply', m.d / m.a, '≤ 0.1');
  ratio('change/diff', m.e / m.d, '≤ 1.5');
  ratio('diff netlink/iproute2', m.f / m.g, 'lower is better');
  for (const [which, p] of processes) process.stdout.write(`processes per no-op diff, ${which}: ${p}\n`);
  if (args.includes('--profile')) await profileApply(files, stateDir);
  rmSync(dir, { recursive: true, force: true });
}

if (process.env.NETD_THROWAWAY !== '1') {
  const throwaway = fileURLToPath(new URL('../test/throwaway.js', import.meta.url));
  const r = spawnSync(process.execPath, [throwaway, process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else {
  await main();
}
