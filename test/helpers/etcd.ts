/**
 * A real etcd for tests: Debian's `etcd` on loopback inside the throwaway host, with a
 * temporary data dir and fast election flags (median start ~0.1 s instead of ~0.8 s).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inThrowaway } from './kernel.js';

const hasEtcd = spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;

/** For `test(name, { skip: etcdSkip }, …)`: why a real etcd cannot run here, or false. */
export const etcdSkip: string | false = !hasEtcd
  ? 'etcd is not installed (Debian: apt-get install etcd-server)'
  : !inThrowaway
    ? 'etcd runs only inside the throwaway host (npm test)'
    : false;

export interface EtcdServer {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** Stops etcd, keeping its data (for restart). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops etcd and removes its data dir. */
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export async function startEtcd(): Promise<EtcdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'netd-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  // prettier-ignore
  const argv = [
    '--name', 'test', '--data-dir', join(dir, 'data'),
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `test=${peerUrl}`,
    '--heartbeat-interval=10', '--election-timeout=100', '--logger=zap', '--log-level=error',
  ];
  let proc: ChildProcess | undefined;
  let stderr = '';
  const stop = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGTERM');
    await exited;
  };
  const start = async (): Promise<void> => {
    stderr = '';
    const p = spawn('etcd', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    proc = p;
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    for (let i = 0; i < 200; i++) {
      if (p.exitCode !== null) throw new Error(`etcd exited with ${p.exitCode}: ${stderr}`);
      if (await healthy(endpoint)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    await stop();
    throw new Error(`etcd on ${endpoint} did not answer within 5 s: ${stderr}`);
  };
  await start();
  return {
    endpoint,
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(500) });
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}
