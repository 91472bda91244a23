/**
 * The driver seam (libnetwork's driverapi, STYLE.md 3): a small required interface that says,
 * purely, which kernel objects a record implies (expect.ts) and which ops remove them. The
 * comparer (compare.ts) turns expectations and a snapshot into ops; the controller wraps
 * them with store ops and runs them. Drivers do no I/O and import nothing from the controller.
 *
 * Capabilities: `scope` says whether a network's state is this host's alone (`local`) or
 * shared by a cluster (`global`, through the store's leases); `setup` is the optional async
 * hook a global driver uses to take what it needs (a subnet lease, its peers) through ports.
 */
import type { KernelOp } from '../kernel/ops.js';
import type { DriverName } from '../desired/types.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import type { KernelView } from '../state/view.js';
import type { Expected } from './expect.js';

/** What a driver may ask of netd beyond the records; later: leases and peers for global drivers. */
export interface DriverPorts {
  /** An address for a network-owned kernel object (a vxlan device, a gateway); none yet for local drivers. */
  readonly allocate?: (networkId: string, family: 4 | 6, owner: string) => string;
}

export interface Driver {
  readonly name: DriverName;
  readonly scope: 'local' | 'global';
  /** The kernel objects of a network (a bridge with its gateway addresses, …). */
  network(net: NetworkRecord): Expected[];
  /** Ops that remove the network's kernel objects as the snapshot shows them (never an adopted bridge, never what is not netd's). */
  removeNetwork(net: NetworkRecord, k: KernelView): KernelOp[];
  /** The kernel objects of an endpoint in its sandbox (a veth pair with addresses, …). */
  endpoint(ep: EndpointRecord, net: NetworkRecord, sb: SandboxRecord): Expected[];
  /** Ops that remove the endpoint's kernel objects (never what is not netd's). */
  removeEndpoint(ep: EndpointRecord, net: NetworkRecord, sb: SandboxRecord, k: KernelView): KernelOp[];
  /** Optional async preparation of a network (global drivers: leases, peers). */
  setup?(net: NetworkRecord, ports: DriverPorts): Promise<NetworkRecord>;
}
