/**
 * 200 namespaces, each with a veth on one bridge and an address: through the kernel layer
 * (one host batch, then the namespace batches in parallel) vs a hand-written `ip -batch`
 * script (the same host lines, then one `ip -n NS -batch -` per namespace in turn).
 *
 *   node dist/bench/os.js [COUNT]     (re-runs itself inside dist/test/throwaway.js)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { CountingRunner, DEFAULT_PARALLEL, ExecRunner, IpBatch, runBatch, runBatches, type Runner } from '../src/kernel/index.js';

const count = Number(process.argv[2] ?? 200);
const names = Array.from({ length: count }, (_, i) => ({ ns: `b${i}`, veth: `bv${i}`, addr: `10.${100 + (i >> 8)}.${i & 255}.2/16` }));

async function viaLayer(runner: Runner): Promise<void> {
  const host = new IpBatch().linkAddBridge('bench-br', { up: true });
  for (const n of names) host.netnsAdd(n.ns);
  for (const n of names) host.linkAddVeth(n.veth, 'eth0', { peerNetns: n.ns }).linkSet(n.veth, { master: 'bench-br', up: true });
  const namespaces = new Map(names.map((n) => [n.ns, new IpBatch().linkSet('eth0', { up: true }).addrAdd('eth0', n.addr)]));
  await runBatches(runner, { host, namespaces });
}

function ipBatch(args: string[], script: string): void {
  const r = spawnSync('ip', [...args, '-batch', '-'], { input: script, stdio: ['pipe', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} -batch failed`);
}

function byHand(): void {
  const lines = ['link add bench-br up type bridge', ...names.map((n) => `netns add ${n.ns}`)];
  for (const n of names) lines.push(`link add ${n.veth} type veth peer name eth0 netns ${n.ns}`, `link set dev ${n.veth} master bench-br up`);
  ipBatch([], lines.join('\n') + '\n');
  for (const n of names) ipBatch(['-n', n.ns], `link set dev eth0 up\naddr add ${n.addr} dev eth0\n`);
}

async function cleanup(runner: Runner): Promise<void> {
  const b = new IpBatch();
  for (const n of names) b.linkDel(n.veth);
  b.linkDel('bench-br');
  await runBatch(runner, undefined, b);
  ipBatch([], names.map((n) => `netns del ${n.ns}`).join('\n') + '\n');
}

async function time(label: string, fn: () => Promise<void> | void): Promise<number> {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  process.stdout.write(`${label.padEnd(36)} ${ms.toFixed(0).padStart(7)} ms\n`);
  return ms;
}

async function main(): Promise<void> {
  const runner = new CountingRunner(new ExecRunner());
  process.stdout.write(`${count} namespaces, each a veth on one bridge + an address (parallel ${DEFAULT_PARALLEL})\n`);
  const hand = await time('hand-written ip -batch', byHand);
  await cleanup(runner);
  runner.reset();
  const layer = await time('kernel layer (runBatches)', () => viaLayer(runner));
  process.stdout.write(`layer processes: ${runner.calls}, writes: ${runner.writes}\n`);
  await cleanup(runner);
  process.stdout.write(`ratio layer/hand: ${(layer / hand).toFixed(2)}\n`);
}

if (process.env.NETD_THROWAWAY !== '1') {
  const throwaway = fileURLToPath(new URL('../test/throwaway.js', import.meta.url));
  const r = spawnSync(process.execPath, [throwaway, process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else {
  await main();
}
