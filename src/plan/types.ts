/**
 * What the diff engine reads and what it produces (DESIGN.md §1). The diff receives read-only
 * views — desired state, recorded state, a kernel snapshot — and returns Changes; it never
 * does I/O and never writes (STYLE.md 2, 5).
 */
import type { AllocationRecord, EndpointRecord, NetworkRecord, SandboxRecord } from '../state/records.js';

/** What the store says netd owns, with each record's revision (for compare-and-swap writes). */
export interface RecordedState {
  readonly networks: readonly NetworkRecord[];
  readonly sandboxes: readonly SandboxRecord[];
  readonly endpoints: readonly EndpointRecord[];
  readonly allocations: readonly AllocationRecord[];
  /** store key → modRevision of every record above. */
  readonly revisions: ReadonlyMap<string, number>;
}

export type { KernelView, NamespaceView, LinkView, AddressView, RouteView } from '../state/view.js';

export type ChangeAction = 'create' | 'update' | 'replace' | 'delete' | 'repair';
export type ObjectKind = 'network' | 'container' | 'attachment' | 'firewall';

export interface Change {
  readonly action: ChangeAction;
  readonly kind: ObjectKind;
  /** network or container name, `container/network` for attachments, `nftables` for the firewall */
  readonly name: string;
  /** Field-level reasons, e.g. `bridge mtu 1450 → 1500`, `veth nd1a2b3c4d5e6f missing`. */
  readonly reasons: readonly string[];
  /** A delete's record: a name can have two (an interrupted replace leaves the old one `deleting`). */
  readonly id?: string;
}

export interface Plan {
  /** Ordered: deletes (attachments, containers, networks), then containers, networks, attachments, firewall. */
  readonly changes: readonly Change[];
}
