/**
 * The driver seam (libnetwork's driverapi, STYLE.md 3): a small required interface that turns
 * records into kernel work inside a Step, consulting the kernel snapshot so that it emits only
 * what is missing or different (ensure semantics, in batch form). Drivers do no I/O themselves:
 * the controller's executor runs what they queue.
 */
import type { DriverName } from '../desired/types.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import type { KernelView } from '../plan/types.js';
import type { Step } from '../controller/step.js';

export interface Driver {
  readonly name: DriverName;
  /** Make the network's kernel objects match the record (create what is missing, fix what differs). */
  ensureNetwork(net: NetworkRecord, k: KernelView, step: Step): void;
  /** Remove the network's kernel objects (never an adopted bridge). */
  removeNetwork(net: NetworkRecord, k: KernelView, step: Step): void;
  /** Join: make the endpoint's kernel objects in the host and in the sandbox match the record. */
  ensureEndpoint(ep: EndpointRecord, net: NetworkRecord, sb: SandboxRecord, k: KernelView, step: Step): void;
  /** Leave: remove the endpoint's kernel objects. */
  removeEndpoint(ep: EndpointRecord, net: NetworkRecord, sb: SandboxRecord, k: KernelView, step: Step): void;
}
