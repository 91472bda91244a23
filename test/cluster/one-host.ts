/**
 * One overlay host in the throwaway host, for the tests of what a single host shows and
 * checks (doctor, inspect, host-gw peers): a veth as the external interface, a real etcd,
 * the overlay file, and other hosts faked as lease keys written straight to etcd.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { overlayKeys } from '../../src/cluster/keys.js';
import { vtepMacOf } from '../../src/drivers/overlay/index.js';
import { openEtcdStore, type EtcdStore } from '../../src/store/etcd.js';
import { assertNoLeaks } from '../helpers/kernel.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { ALLOW_EMPTY, EMPTY, TestHost } from '../helpers/netd.js';

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

export interface OverlayFile {
  readonly endpoints: readonly string[];
  readonly backend?: 'vxlan' | 'host-gw';
  readonly leaseTtl?: number;
  readonly vni?: number;
}

/** The overlay network `pods` (10.89.0.0/16, /24 per host) with the container `web` on it. */
export function overlayYaml(dev: string, f: OverlayFile): string {
  return `version: 1
cluster:
  etcd: { endpoints: [${f.endpoints.map((e) => `"${e}"`).join(', ')}], prefix: /netd }
  publicInterface: ${dev}
  leaseTtl: ${f.leaseTtl ?? 3600}
networks:
  pods: { driver: overlay, subnet: 10.89.0.0/16, subnetLen: 24, backend: ${f.backend ?? 'vxlan'}, vni: ${f.vni ?? 42} }
containers:
  web: {}
attachments:
  - { container: web, network: pods }
`;
}

export interface OneHost {
  readonly host: TestHost;
  readonly etcd: EtcdServer;
  /** An etcd client of the test's own: the other hosts' leases are written with it. */
  readonly store: EtcdStore;
  /** The external interface (a veth with `cidr`, its peer end up). */
  readonly dev: string;
  yaml(f?: Partial<OverlayFile>): string;
  /** Another host's lease (bound to an etcd lease of `ttl` seconds) or, with ttl undefined, reservation. */
  peer(subnet: string, publicIp: string, o?: { backend?: string; ttl?: number; vni?: number }): Promise<void>;
  /** Removes what the host applied (etcd must be up: its lease is given back), the veth and etcd. */
  close(): Promise<void>;
}

export async function oneHost(dev: string, cidr: string): Promise<OneHost> {
  ip('link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`);
  ip('addr', 'add', cidr, 'dev', dev);
  ip('link', 'set', `${dev}p`, 'up');
  ip('link', 'set', dev, 'up');
  const etcd = await startEtcd();
  const store = await openEtcdStore({ endpoints: [etcd.endpoint] });
  const host = new TestHost();
  return {
    host,
    etcd,
    store,
    dev,
    yaml: (f = {}) => overlayYaml(dev, { endpoints: [etcd.endpoint], ...f }),
    async peer(subnet, publicIp, o = {}) {
      const value = { hostId: `peer-${publicIp}`, publicIp, backend: o.backend ?? 'vxlan', vni: o.vni ?? 42, vtepMac: vtepMacOf(subnet) };
      const lease = o.ttl === undefined ? undefined : await store.leases.grant(o.ttl);
      await store.put(overlayKeys('/netd', 'pods').lease(subnet), value, lease === undefined ? {} : { lease });
    },
    async close() {
      const r = await host.apply(EMPTY, ALLOW_EMPTY);
      await store.close();
      await etcd.close();
      ip('link', 'del', dev);
      rmSync(host.dir, { recursive: true, force: true });
      if (r.code !== 0) throw new Error(`teardown apply failed: ${r.stderr}`);
      assertNoLeaks();
    },
  };
}
