/**
 * What a record implies in the kernel, stated purely (STYLE.md 14): drivers and the sandbox
 * and route rules return these; one comparer (compare.ts) turns them and a snapshot into ops
 * and the reasons printed for them, for `diff` and `apply` alike.
 */
import type { KernelOp } from '../kernel/ops.js';
import type { VxlanView } from '../state/view.js';
import type { NsKey } from './work.js';

export interface LinkWant {
  /** The namespace the link lives in; undefined: the host's. */
  readonly ns: NsKey;
  readonly name: string;
  /** How reasons name it: `bridge br-web`, `veth nd1a2b…`, `interface eth0 in web`. */
  readonly what: string;
  readonly kind?: string;
  readonly mtu?: number;
  readonly mac?: string;
  readonly master?: string;
  readonly alias?: string;
  /**
   * The mark that proves netd made the link (its ifalias). A link by this name without it
   * is not netd's: reported, never changed or deleted. Unset: no check (an adopted bridge,
   * the loopback).
   */
  readonly owner?: string;
  /**
   * The record is still `creating`: a link by this name without any mark is netd's own,
   * created by the run a crash interrupted before it could mark it (the mark is set by a
   * second line, after `link add`). It is marked now instead of being called foreign.
   */
  readonly unmarkedIsMine?: boolean;
  /** A bridge port's hairpin mode; unset: not managed. */
  readonly hairpin?: boolean;
  /** Addresses the link carries (address/prefix); unset: not managed. */
  readonly addresses?: readonly string[];
  /** Whether addresses that are not wanted are removed (netd's own links; never an adopted bridge's). */
  readonly exclusive?: boolean;
  /** A vxlan device's identity: a device that differs is deleted and made again (with what goes through it). */
  readonly vxlan?: VxlanView;
}

export type Expected =
  /** One link; `create` makes it when missing (none: it must exist, as the loopback). */
  | { readonly type: 'link'; readonly want: LinkWant; readonly create?: KernelOp }
  /** A veth pair: both ends exist or neither (half a pair is removed and the pair made again). */
  | { readonly type: 'pair'; readonly host: LinkWant; readonly peer: LinkWant; readonly create: KernelOp }
  /** A namespace; `name` set: netd creates it when missing (else a missing one is a problem). */
  | { readonly type: 'namespace'; readonly ref: string; readonly name?: string }
  /** A default route in a namespace; `rewrite`: replace it even if it looks right (its link was rebuilt). */
  | { readonly type: 'route'; readonly ns: string; readonly family: 4 | 6; readonly via: string; readonly dev: string; readonly rewrite?: boolean }
  /** netd's route (protocol 78) to a subnet: a peer host's, through the overlay (entries.ts). */
  | { readonly type: 'subnet-route'; readonly ns: NsKey; readonly dst: string; readonly via: string; readonly dev: string; readonly onlink?: boolean }
  /** A permanent neighbour entry (a vxlan peer's `.0` → its VTEP MAC). */
  | { readonly type: 'neighbour'; readonly ns: NsKey; readonly dev: string; readonly addr: string; readonly mac: string }
  /** A permanent FDB entry of a vxlan device (a peer VTEP MAC → its underlay address). */
  | { readonly type: 'fdb'; readonly ns: NsKey; readonly dev: string; readonly mac: string; readonly dst: string }
  /**
   * What a driver owns in a namespace, beyond links: netd's routes (protocol 78) through `dev`
   * or to a subnet inside `within`, and the permanent neighbour and FDB entries on `dev`.
   * Those that no expectation of the same comparison names are removed (a peer that left).
   */
  | { readonly type: 'owned'; readonly ns: NsKey; readonly dev?: string; readonly within?: string };

/** One change the comparer found: the reason a person reads, and the ops that make it. */
export interface Fix {
  readonly reason: string;
  readonly ops: readonly KernelOp[];
}
