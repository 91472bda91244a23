/**
 * What the diff engine reads and what it produces (DESIGN.md §1). The diff receives read-only
 * views — desired state, recorded state, a kernel snapshot — and returns Changes; it never
 * does I/O and never writes (STYLE.md 2, 5).
 */
import type { KernelOp } from '../kernel/ops.js';

export type { RecordedState } from '../state/records.js';
export type { KernelView, NamespaceView, LinkView, AddressView, RouteView } from '../state/view.js';

export type ChangeAction = 'create' | 'update' | 'replace' | 'delete' | 'repair';
export type ObjectKind = 'network' | 'container' | 'attachment' | 'firewall' | 'sysctl';

export interface Change {
  readonly action: ChangeAction;
  readonly kind: ObjectKind;
  /** network or container name, `container/network` for attachments, `nftables` for the firewall, the key for a sysctl */
  readonly name: string;
  /** Field-level reasons, e.g. `bridge mtu 1450 → 1500`, `veth nd1a2b3c4d5e6f missing`. */
  readonly reasons: readonly string[];
  /** The record the change acts on (none for a create): a name can have two (an interrupted replace leaves the old one `deleting`). */
  readonly id?: string;
  /**
   * The kernel ops of a repair or a delete, as the comparer (or the driver's removal) derived
   * them from the snapshot: what `apply` runs. Absent for creates, replaces and updates, whose
   * ops depend on ids and addresses chosen when they run (known after apply).
   */
  readonly ops?: readonly KernelOp[];
}

export interface Plan {
  /** Ordered: deletes (attachments, containers, networks), then containers, networks, attachments, firewall. */
  readonly changes: readonly Change[];
}
