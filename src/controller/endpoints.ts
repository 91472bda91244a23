/**
 * Endpoint operations (libnetwork's CreateEndpoint / Join / Leave / Delete). createEndpoint
 * allocates the addresses and writes the record in one intent txn; join builds the veth pair
 * into the sandbox; leave removes it; delete releases the addresses with the record.
 */
import { NetdError } from '../errors.js';
import type { DesiredAttachment } from '../desired/types.js';
import { derivedMac } from '../desired/defaults.js';
import { allocationKey, endpointKey, hasBridge, hostVethName, type EndpointRecord, type NetworkRecord, type SandboxRecord } from '../state/records.js';
import type { Op } from '../store/store.js';
import type { Controller, Tx } from './controller.js';
import { newId } from './controller.js';
import { foreignVeth, ownerAlias } from '../state/marks.js';
import { linkNamed } from '../state/view.js';
import { removalDriver } from '../drivers/registry.js';

const owner = (e: { container: string; network: string }): string => `${e.container}/${e.network}`;

/**
 * The store ops that drop an endpoint's allocations, derived from its record. Unlike
 * `ipam.release` this leaves the allocator's view alone: it is queued for a failure that may
 * never happen, and the address must not be handed out again meanwhile.
 */
const allocationDeletes = (ep: EndpointRecord): Op[] =>
  (
    [
      [4, ep.ipv4],
      [6, ep.ipv6],
    ] as const
  ).flatMap(([f, a]) => (a ? [{ type: 'delete' as const, key: allocationKey(ep.networkId, f, a) }] : []));

function parts(c: Controller, ep: EndpointRecord): { net: NetworkRecord; sb: SandboxRecord } {
  const net = c.networks.get(ep.networkId) ?? c.findNetwork(ep.network);
  const sb = c.sandboxes.get(ep.sandboxId) ?? c.sandboxOf(ep.container);
  if (!net || !sb) throw new NetdError('not-found', `endpoint "${owner(ep)}": its ${net ? 'container' : 'network'} is not recorded`);
  return { net, sb };
}

export async function createEndpoint(c: Controller, net: NetworkRecord, a: DesiredAttachment, sb: SandboxRecord): Promise<EndpointRecord> {
  if (c.endpointOf(a.container, a.network) && c.endpointOf(a.container, a.network)?.state !== 'deleting')
    throw new NetdError('conflict', `create endpoint "${owner(a)}": it exists`);
  const { tx, auto } = c.current();
  const id = newId();
  // What is in the way (an interface of that name the admin made) is refused before an
  // address is taken or a record written.
  const driver = c.deps.drivers.get(net.driver);
  const bridged = hasBridge(net.driver);
  const probe = {
    id,
    networkId: net.id,
    network: net.name,
    container: a.container,
    sandboxId: sb.id,
    interface: a.interface,
    aliases: [],
    gatewayPriority: 0,
    ports: [],
  };
  const shape: EndpointRecord = { ...probe, ...(bridged ? { hostVeth: hostVethName(id) } : {}), state: 'ready' };
  if (!sb.hostNetwork) c.check(`create endpoint "${owner(a)}"`, driver.endpoint(shape, net, sb));
  const addr: { ipv4?: string; ipv6?: string } = {};
  for (const family of [4, 6] as const) {
    if (!(family === 4 ? net.ipv4 : net.ipv6)) continue;
    const fixed = family === 4 ? a.ipv4 : a.ipv6;
    const r = c.deps.ipam.allocate({ networkId: net.id, family, owner: owner(a), endpointId: id, ...(fixed ? { static: fixed } : {}) });
    tx.intent.push(...r.ops);
    tx.conditions.push(...r.conditions);
    addr[family === 4 ? 'ipv4' : 'ipv6'] = r.address;
  }
  const rec: EndpointRecord = {
    ...probe,
    ...(bridged ? { hostVeth: hostVethName(id), mac: a.mac ?? derivedMac(addr.ipv4, id) } : {}),
    ...addr,
    aliases: a.aliases,
    gatewayPriority: a.gatewayPriority,
    ports: a.ports,
    state: 'creating',
  };
  c.setEndpoint(tx, rec);
  tx.created.add(id);
  await c.autoCommit(auto);
  return rec;
}

/** Builds (or repairs) the endpoint's kernel objects in its sandbox. */
export async function join(c: Controller, ep: EndpointRecord, sb: SandboxRecord): Promise<void> {
  const { tx, auto } = c.current();
  const { net } = parts(c, ep);
  const step = tx.step(`${tx.created.has(ep.id) ? 'create' : 'repair'} endpoint "${owner(ep)}"`);
  for (const id of [net.id, sb.id]) {
    const dep = tx.byId.get(id);
    if (dep) step.deps.push(dep);
  }
  if (!sb.hostNetwork && c.ensure(step, step.label, c.deps.drivers.get(net.driver).endpoint(ep, net, sb)).rebuilt) {
    tx.rebuilt.add(ep.id);
    // A rebuild is a create again: a crash between `link add` and its mark must leave a
    // record that says so, or the unmarked veth would look like someone else's.
    if (ep.state === 'ready') c.setEndpoint(tx, { ...ep, state: 'creating' });
  }
  tx.byId.set(ep.id, step);
  const ready: EndpointRecord = { ...ep, sandboxId: sb.id, state: 'ready' };
  step.done.push({ type: 'put', key: endpointKey(ep.id), value: ready });
  if (tx.created.has(ep.id)) step.failed.push({ type: 'delete', key: endpointKey(ep.id) }, ...allocationDeletes(ep));
  await c.autoCommit(auto);
}

export function leave(c: Controller, ep: EndpointRecord, tx: Tx = c.current().tx): Promise<void> {
  const { net, sb } = parts(c, ep);
  const step = tx.step(`leave endpoint "${owner(ep)}"`);
  step.add(...removalDriver(c.deps.drivers, net.driver).removeEndpoint(ep, net, sb, c.kernel));
  return Promise.resolve();
}

export async function deleteEndpoint(c: Controller, ep: EndpointRecord): Promise<void> {
  const { tx, auto } = c.current();
  if (!tx.doom(ep.id)) return;
  tx.cancel(ep.id); // a repair queued earlier (say, by a network's MTU update) is moot
  c.setEndpoint(tx, { ...ep, state: 'deleting' });
  const step = tx.step(`delete endpoint "${owner(ep)}"`);
  const net = c.networks.get(ep.networkId) ?? c.findNetwork(ep.network);
  const sb = c.sandboxes.get(ep.sandboxId);
  // A host veth under netd's name that is not netd's (the admin's) stays: only the record goes.
  if (net && sb && !sb.hostNetwork && foreignVeth(ep, c.kernel) === undefined) {
    step.add(...removalDriver(c.deps.drivers, net.driver).removeEndpoint(ep, net, sb, c.kernel));
    // The interface name is shared with a replacement: one carrying its mark is not this one's.
    const inner = linkNamed(c.kernel.sandboxes.get(c.sandboxRef(sb))?.links, ep.interface);
    const host = linkNamed(c.kernel.host.links, ep.hostVeth);
    const mark = ownerAlias('endpoint', ep.id);
    const mine = inner?.alias === mark;
    // An unmarked peer of netd's own host veth (a crash before its mark) goes with it too; any
    // other interface of that name (an adopted namespace's own) stays, and stays in view.
    const partner = inner !== undefined && inner.alias === undefined && host?.alias === mark && host.peerIndex === inner.index;
    if (mine && host) tx.leaving.set(sb.id, [...(tx.leaving.get(sb.id) ?? []), { step, hostVeth: ep.hostVeth! }]);
    if (ep.hostVeth) c.forget(undefined, [ep.hostVeth]);
    if (mine || partner) c.forget(c.sandboxRef(sb), [ep.interface]);
  }
  // Released in the intent txn, so that a replacement in this same transaction may take the
  // same address: the old veth goes in phase 0, before the new one is built in phase 1.
  tx.intent.push(...c.deps.ipam.release(ep.networkId, owner(ep), ep.id));
  step.done.push({ type: 'delete', key: endpointKey(ep.id) });
  await c.autoCommit(auto);
}

export async function repairEndpoint(c: Controller, ep: EndpointRecord): Promise<void> {
  const { sb } = parts(c, ep);
  await join(c, ep, sb);
}

export async function updateEndpoint(c: Controller, ep: EndpointRecord, a: DesiredAttachment): Promise<void> {
  const { tx, auto } = c.current();
  const next: EndpointRecord = { ...ep, aliases: a.aliases, gatewayPriority: a.gatewayPriority, ports: a.ports };
  c.setEndpoint(tx, next);
  // The first port published or the last one gone turns the veth's hairpin mode (bridge.ts).
  if (ep.ports.length > 0 !== a.ports.length > 0) await repairEndpoint(c, next);
  await c.autoCommit(auto);
}
