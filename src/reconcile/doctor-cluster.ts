/**
 * Doctor's cluster checks, for the overlay networks the files (`-f`) declare: every etcd
 * endpoint answers, the external interface is there, and per network the cluster's config
 * matches the file and this host's lease is held with time left. Read-only, as an apply's
 * `peek`: nothing is claimed, renewed or written.
 */
import { messageOf } from '../errors.js';
import type { ClusterConfig, DesiredNetwork, DesiredState } from '../desired/types.js';
import type { Runner } from '../kernel/index.js';
import { observeUplink } from '../kernel/uplink.js';
import type { RecordedState } from '../plan/types.js';
import type { Store } from '../store/store.js';
import {
  configDifferences,
  configMismatch,
  externalInterface,
  isRangeSubnet,
  leaseEntries,
  overlayConfigOf,
  overlayKeys,
  ownEntry,
  peekHostId,
  type ExternalInterface,
} from '../cluster/index.js';
import { ok, problem, skipped, warning, type Check } from './doctor-checks.js';
import { openClusterStore } from './cluster.js';
import { timeLeft } from './leases.js';

/** Below this share of `cluster.leaseTtl` left, a lease is worth a warning: nothing renewed it for a while. */
export const LOW_TTL_SHARE = 0.1;

export interface ClusterCheckDeps {
  readonly runner: Runner;
  readonly stateDir: string;
  readonly applyHint: string;
}

export async function clusterChecks(desired: DesiredState, recorded: RecordedState | undefined, deps: ClusterCheckDeps): Promise<Check[]> {
  const overlays = desired.networks.filter((n) => n.overlay !== undefined);
  const cluster = desired.cluster;
  if (overlays.length === 0 || !cluster) return [ok('cluster', 'overlays', 'the files declare no overlay network')];
  const checks: Check[] = [];
  let ext: ExternalInterface | undefined;
  try {
    ext = externalInterface(await observeUplink(deps.runner), cluster);
    const nat = ext.publicIp === ext.localIp ? '' : `, public IP ${ext.publicIp}`;
    checks.push(ok('cluster', 'interface', `"${ext.name}" ${ext.localIp}${nat}, mtu ${ext.mtu}`));
  } catch (e) {
    checks.push(problem('cluster', 'interface', messageOf(e), 'name an interface of this host with cluster.publicInterface'));
  }
  const { check, store } = await reach(cluster);
  checks.push(check);
  if (!store) return [...checks, skipped('cluster', 'leases', 'the cluster store is unreachable')];
  try {
    for (const n of overlays) checks.push(...(await networkChecks(store, cluster, n, ext, recorded, deps)));
  } catch (e) {
    checks.push(problem('cluster', 'leases', `could not read the cluster store: ${messageOf(e)}`, 'check that etcd runs, then run netd doctor again'));
  } finally {
    await store.close().catch(() => undefined);
  }
  return checks;
}

/** Every endpoint, each on its own: one that does not answer is named even when another does. */
async function reach(cluster: ClusterConfig): Promise<{ check: Check; store?: Store }> {
  const endpoints = cluster.etcd.endpoints;
  const tries = await Promise.all(
    endpoints.map((e) =>
      openClusterStore({ etcd: { ...cluster.etcd, endpoints: [e] } }).then(
        (store) => ({ endpoint: e, store }),
        (err: unknown) => ({ endpoint: e, error: messageOf(err) }),
      ),
    ),
  );
  const up = tries.flatMap((t) => ('store' in t ? [t] : []));
  const down = tries.flatMap((t) => ('error' in t ? [t] : []));
  await Promise.all(up.slice(1).map((t) => t.store.close().catch(() => undefined)));
  const failed = down.map((t) => t.error).join('; ');
  if (up.length === 0)
    return { check: problem('cluster', 'etcd', failed, `start etcd, or correct cluster.etcd.endpoints (${endpoints.map((e) => `"${e}"`).join(', ')})`) };
  const answering = `${up.map((t) => `"${t.endpoint}"`).join(', ')} answer${up.length === 1 ? 's' : ''}`;
  const check =
    down.length === 0
      ? ok('cluster', 'etcd', answering)
      : warning(
          'cluster',
          'etcd',
          `${answering}; ${failed}`,
          `start etcd on ${down.map((t) => `"${t.endpoint}"`).join(', ')}, or remove it from cluster.etcd.endpoints`,
        );
  return { check, store: up[0]!.store };
}

async function networkChecks(
  store: Store,
  cluster: ClusterConfig,
  n: DesiredNetwork,
  ext: ExternalInterface | undefined,
  recorded: RecordedState | undefined,
  deps: ClusterCheckDeps,
): Promise<Check[]> {
  const config = overlayConfigOf(n);
  const keys = overlayKeys(cluster.etcd.prefix, n.name);
  const name = `${n.name} config`;
  const stored = await store.get(keys.config);
  const diffs = stored ? configDifferences(stored.value, config) : [];
  const configCheck = !stored
    ? ok('cluster', name, `${keys.config} is not written yet (the first host to apply writes it)`)
    : diffs.length === 0
      ? ok('cluster', name, `${keys.config} matches the file`)
      : problem(
          'cluster',
          name,
          configMismatch(n.name, keys.config, diffs).message,
          `declare in the file what the cluster holds, or remove "${n.name}" from every host and delete ${keys.config}`,
        );
  return [configCheck, await leaseCheck(store, cluster, n, ext, recorded, deps)];
}

async function leaseCheck(
  store: Store,
  cluster: ClusterConfig,
  n: DesiredNetwork,
  ext: ExternalInterface | undefined,
  recorded: RecordedState | undefined,
  deps: ClusterCheckDeps,
): Promise<Check> {
  const name = `${n.name} lease`;
  const config = overlayConfigOf(n);
  const rec = recorded?.networks.find((r) => r.name === n.name && r.overlay && r.state !== 'deleting');
  const hostId = peekHostId(deps.stateDir);
  const entries = (await leaseEntries(store, overlayKeys(cluster.etcd.prefix, n.name).leases)).filter((e) =>
    isRangeSubnet(config.network, config.subnetLen, e.subnet),
  );
  const previousSubnet = rec?.lease?.subnet;
  const own = ownEntry(entries, { hostId: hostId ?? '', publicIp: ext?.publicIp ?? '', ...(previousSubnet ? { previousSubnet } : {}) });
  const renew = `${deps.applyHint} (or keep netd watch running: it renews the lease)`;
  if (!own) {
    if (!rec?.lease) return ok('cluster', name, 'this host holds no lease yet (netd apply takes one)');
    return problem(
      'cluster',
      name,
      `this host's lease on ${rec.lease.subnet} is gone from the cluster (expired or revoked): its peers no longer route to it`,
      `${deps.applyHint} (it takes the subnet again while it is free, else a new one and re-addresses the endpoints)`,
    );
  }
  if (previousSubnet !== undefined && own.subnet !== previousSubnet)
    return problem(
      'cluster',
      name,
      `the cluster holds ${own.subnet} for this host, but "${n.name}" is built on ${previousSubnet}`,
      `${deps.applyHint} (it re-addresses the endpoints)`,
    );
  const leaseId = own.kv.lease;
  if (leaseId === undefined) return ok('cluster', name, `${own.subnet}: a reservation (never expires)`);
  const left = await store.leases?.timeToLive(leaseId);
  const of = `of ${timeLeft(cluster.leaseTtl)}`;
  if (left === undefined || left <= 0) return problem('cluster', name, `${own.subnet}: its lease ${leaseId} has expired`, renew);
  if (left < cluster.leaseTtl * LOW_TTL_SHARE)
    return warning('cluster', name, `${own.subnet}: lease ${leaseId} has ${timeLeft(left)} left ${of}: nothing renewed it for a while`, renew);
  return ok('cluster', name, `${own.subnet}: lease ${leaseId}, ${timeLeft(left)} left ${of}`);
}
