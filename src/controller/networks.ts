/**
 * Network operations: newNetwork, delete (refused while endpoints remain unless forced),
 * update (record fields; MTU also in the kernel) and repair. Predefined networks `host` and
 * `none` exist implicitly, are never stored and cannot be deleted.
 */
import { NetdError } from '../errors.js';
import type { DesiredNetwork } from '../desired/types.js';
import { derivedBridgeName, hasBridge, networkKey, networkRecordOf, PREDEFINED, type NetworkRecord } from '../state/records.js';
import { foreignBridge, ownerAlias } from '../state/marks.js';
import { newId, type Controller } from './controller.js';
import { Step } from './step.js';
import { deleteEndpoint, repairEndpoint } from './endpoints.js';
import { removalDriver } from '../drivers/registry.js';

export { PREDEFINED };

export const isPredefined = (name: string): boolean => PREDEFINED.some((p) => p.name === name);

function record(c: Controller, d: DesiredNetwork, id: string): NetworkRecord {
  const { ipam } = c.deps;
  const family = (cfg: DesiredNetwork['ipv4'], auto: boolean) =>
    cfg ? ipam.familyRecord(cfg, cfg.subnet ?? (auto ? ipam.chooseSubnet(d.name) : '')) : undefined;
  const ipv4 = family(d.ipv4, true);
  const ipv6 = family(d.ipv6, false);
  const bridge = hasBridge(d.driver) ? (d.bridge ?? derivedBridgeName(id)) : undefined;
  return networkRecordOf(d, { id, ...(bridge ? { bridge } : {}), ...(ipv4 ? { ipv4 } : {}), ...(ipv6 ? { ipv6 } : {}), adopted: false, state: 'creating' });
}

/** Refuses to take over a bridge netd does not own, unless declared `adopt: true`. */
function checkBridge(c: Controller, d: DesiredNetwork, rec: NetworkRecord): NetworkRecord {
  if (!rec.bridge) return rec;
  const other = [...c.networks.values()].find((n) => n.bridge === rec.bridge && n.id !== rec.id && n.state !== 'deleting');
  if (other) throw new NetdError('conflict', `create network "${d.name}": bridge "${rec.bridge}" belongs to network "${other.name}"`);
  const link = c.kernel.host.links.find((l) => l.name === rec.bridge);
  if (!link || link.alias === ownerAlias('network', rec.id)) return rec;
  if (link.kind !== 'bridge')
    throw new NetdError('conflict', `create network "${d.name}": "${rec.bridge}" exists and is a ${link.kind ?? 'device'}, not a bridge`);
  if (!d.adopt) {
    throw new NetdError('conflict', `create network "${d.name}": bridge "${rec.bridge}" exists and is not netd's (declare adopt: true to use it)`);
  }
  return { ...rec, adopted: true };
}

export async function newNetwork(c: Controller, d: DesiredNetwork): Promise<NetworkRecord> {
  if (isPredefined(d.name)) throw new NetdError('conflict', `create network "${d.name}": a predefined network has that name`);
  if (c.networkByName(d.name)?.state !== 'deleting' && c.networkByName(d.name)) throw new NetdError('conflict', `create network "${d.name}": it exists`);
  const { tx, auto } = c.current();
  // The driver is resolved, and the kernel compared, before anything is written.
  const driver = c.deps.drivers.get(d.driver);
  const rec = checkBridge(c, d, record(c, d, newId()));
  const step = new Step(`create network "${d.name}"`);
  c.ensure(step, step.label, driver.network(rec));
  tx.steps.push(step);
  c.setNetwork(tx, rec);
  c.deps.ipam.noteNetwork(rec);
  step.done.push({ type: 'put', key: networkKey(rec.id), value: { ...rec, state: 'ready' } });
  step.failed.push({ type: 'delete', key: networkKey(rec.id) });
  tx.byId.set(rec.id, step);
  await c.autoCommit(auto);
  return rec;
}

export async function deleteNetwork(c: Controller, rec: NetworkRecord, opts: { force?: boolean } = {}): Promise<void> {
  if (isPredefined(rec.name) && !c.networks.has(rec.id))
    throw new NetdError('forbidden', `delete network "${rec.name}": predefined networks cannot be deleted`);
  const eps = c.walkEndpoints((e) => e.networkId === rec.id);
  const live = eps.filter((e) => e.state !== 'deleting');
  if (live.length > 0 && !opts.force) {
    throw new NetdError('conflict', `delete network "${rec.name}": endpoints remain: ${live.map((e) => `${e.container}/${e.network}`).join(', ')}`);
  }
  const { tx, auto } = c.current();
  if (!tx.doom(rec.id)) return;
  for (const e of eps) await deleteEndpoint(c, e);
  const marked = { ...rec, state: 'deleting' as const };
  c.setNetwork(tx, marked);
  const step = tx.step(`delete network "${rec.name}"`);
  // A declared bridge name is shared with the replacement an interrupted replace left: it stays.
  const claimed = [...c.networks.values()].some((n) => n.id !== rec.id && n.state !== 'deleting' && !tx.doomed.has(n.id) && n.bridge === rec.bridge);
  // A bridge under netd's name that is not netd's (the admin's) stays: only the record goes.
  const foreign = foreignBridge(rec, c.kernel, [...c.networks.values()]) !== undefined;
  if ((!claimed || !rec.bridge) && !foreign) {
    step.add(...removalDriver(c.deps.drivers, rec.driver).removeNetwork(rec, c.kernel));
    if (rec.bridge && !rec.adopted) c.forget(undefined, [rec.bridge]);
  }
  step.done.push({ type: 'delete', key: networkKey(rec.id) });
  await c.autoCommit(auto);
}

/** Record fields that need no new kernel object; MTU is also applied to the bridge and veths. */
export async function updateNetwork(c: Controller, rec: NetworkRecord, d: DesiredNetwork): Promise<NetworkRecord> {
  const { tx, auto } = c.current();
  const ipv4 = rec.ipv4 && d.ipv4 ? c.deps.ipam.familyRecord(d.ipv4, rec.ipv4.subnet) : rec.ipv4;
  const ipv6 = rec.ipv6 && d.ipv6 ? c.deps.ipam.familyRecord(d.ipv6, rec.ipv6.subnet) : rec.ipv6;
  const { gatewayMode: _, dns: __, ...kept } = rec;
  const next: NetworkRecord = {
    ...kept,
    ...(d.dns ? { dns: true } : {}),
    mtu: d.mtu,
    internal: d.internal,
    masquerade: d.masquerade,
    icc: d.icc,
    ...(d.gatewayMode !== 'nat' ? { gatewayMode: d.gatewayMode } : {}),
    labels: d.labels,
    ...(ipv4 ? { ipv4 } : {}),
    ...(ipv6 ? { ipv6 } : {}),
  };
  c.setNetwork(tx, next);
  c.deps.ipam.noteNetwork(next);
  if (next.mtu !== rec.mtu) await repairNetwork(c, next, true);
  await c.autoCommit(auto);
  return next;
}

/** Re-ensures the network's kernel objects (and, with `endpoints`, every endpoint on it). */
export async function repairNetwork(c: Controller, rec: NetworkRecord, endpoints = false): Promise<void> {
  const { tx, auto } = c.current();
  const ready = { ...rec, state: 'ready' as const };
  const step = tx.step(`repair network "${rec.name}"`);
  const rebuilt = c.ensure(step, `repair network "${rec.name}"`, c.deps.drivers.get(rec.driver).network(rec)).rebuilt;
  // A rebuilt bridge is a create again (see join).
  if (rec.state !== 'ready' || rebuilt) c.setNetwork(tx, rebuilt && rec.state === 'ready' ? { ...rec, state: 'creating' } : rec);
  step.done.push({ type: 'put', key: networkKey(rec.id), value: ready });
  tx.byId.set(rec.id, step);
  if (endpoints) {
    for (const e of c.walkEndpoints((e) => e.networkId === rec.id && e.state !== 'deleting' && !tx.doomed.has(e.id))) await repairEndpoint(c, e);
  }
  await c.autoCommit(auto);
}
