/**
 * IP address management (DESIGN.md §3), libnetwork's default IPAM without its known bugs:
 *
 * - No separate bitmap that can rot (moby #18527): the view is rebuilt at load from the
 *   allocation records (one per handed-out address) and the network records.
 * - Allocation and endpoint record are written in ONE transaction: `allocate` returns the
 *   ops and conditions, and the caller commits them together with the endpoint record. The
 *   condition "this address key is absent" makes a second writer (or a stale view) fail
 *   instead of handing one address out twice. The view is updated as if the transaction
 *   succeeded; after a failed transaction the caller must `Ipam.load` again.
 * - Deterministic and stable: the lowest free address, and an owner ("<container>/<network>")
 *   that already holds one gets it back.
 * - Every static address declared anywhere in the desired state is reserved for its owner
 *   before any dynamic allocation (moby #26284).
 * - Releasing happens only when the endpoint is deleted: the caller commits `release`'s ops
 *   in the transaction that deletes the endpoint record.
 */
import { NetdError } from '../errors.js';
import type { DesiredState, FamilyConfig } from '../desired/types.js';
import { allocationKey, IPAM, NETWORKS, type AllocationRecord, type FamilyRecord, type NetworkRecord } from '../state/records.js';
import type { Condition, Op, Store } from '../store/store.js';
import { formatAddr, formatCidr, lastAddr, parseAddr, tryParseCidrOrHost, type Cidr, type Family } from '../desired/cidr.js';
import type { HostInfo } from './host-facts.js';
import { familyRecord, layoutOf, type Layout } from './layout.js';
import { DEFAULT_POOLS } from '../desired/defaults.js';
import { lowestFreeSubnet } from './subnets.js';

export interface AllocateRequest {
  readonly networkId: string;
  readonly family: Family;
  /** `<container>/<network>` (attachmentKey). */
  readonly owner: string;
  readonly endpointId: string;
  /** A declared address, bare. */
  readonly static?: string;
}

export interface Allocation {
  readonly address: string;
  /** To commit in the endpoint's transaction; empty when the owner already held the address. */
  readonly ops: Op[];
  readonly conditions: Condition[];
}

interface Held {
  readonly rec: AllocationRecord;
  /** 0: allocated by this instance, not yet known to be committed. */
  readonly modRevision: number;
}

/** The allocations of one (network, family). */
class Book {
  readonly byAddr = new Map<bigint, Held>();
  readonly byOwner = new Map<string, bigint>();
  /** Every address of the range below `hint` is known to be unavailable (keeps a fill linear). */
  hint = -1n;
  add(v: bigint, h: Held): void {
    this.byAddr.set(v, h);
    this.byOwner.set(h.rec.owner, v);
  }
}

export class Ipam {
  readonly #desired: DesiredState;
  readonly #host: HostInfo;
  readonly #networks = new Map<string, NetworkRecord>();
  readonly #layouts = new Map<string, Layout>();
  readonly #books = new Map<string, Book>();
  /** `<network name>/<family>` → static address → owner, from the desired state. */
  readonly #statics = new Map<string, Map<bigint, string>>();
  readonly #chosen = new Map<string, string>();

  private constructor(desired: DesiredState, host: HostInfo) {
    this.#desired = desired;
    this.#host = host;
    for (const a of desired.attachments) {
      for (const addr of [a.ipv4, a.ipv6]) {
        if (addr === undefined) continue;
        const { family, value } = parseAddr(addr);
        const key = `${a.network}/${family}`;
        if (!this.#statics.has(key)) this.#statics.set(key, new Map());
        this.#statics.get(key)!.set(value, `${a.container}/${a.network}`);
      }
    }
  }

  static async load(store: Store, desired: DesiredState, host: HostInfo): Promise<Ipam> {
    const ipam = new Ipam(desired, host);
    for (const kv of await store.list<NetworkRecord>(NETWORKS)) ipam.#networks.set(kv.value.id, kv.value);
    for (const kv of await store.list<AllocationRecord>(IPAM)) {
      const r = kv.value;
      ipam.#book(r.networkId, r.family).add(parseAddr(r.address).value, { rec: r, modRevision: kv.modRevision });
    }
    return ipam;
  }

  /**
   * Registers a network record that is not in the store yet (it will be committed in the
   * same transaction as the first allocations), or replaces one.
   */
  noteNetwork(rec: NetworkRecord): void {
    this.#networks.set(rec.id, rec);
    for (const f of [4, 6] as const) {
      this.#layouts.delete(`${rec.id}/${f}`);
      this.#book(rec.id, f).hint = -1n;
    }
  }

  /**
   * The IPv4 subnet for a network that declares none: the one already recorded for it, else
   * the lowest free pool subnet that overlaps no declared or recorded subnet, host route or
   * nameserver. Stable within this instance (a second call returns the same subnet).
   */
  chooseSubnet(networkName: string): string {
    const recorded = [...this.#networks.values()].find((n) => n.name === networkName)?.ipv4?.subnet;
    const chosen = recorded ?? this.#chosen.get(networkName);
    if (chosen) return chosen;
    const avoid: Cidr[] = [];
    const add = (s: string | undefined): void => {
      const c = s === undefined ? undefined : tryParseCidrOrHost(s);
      if (c) avoid.push(c);
    };
    for (const n of this.#desired.networks) [n.ipv4?.subnet, n.ipv6?.subnet, n.overlay?.range].forEach(add);
    for (const n of this.#networks.values()) [n.ipv4?.subnet, n.ipv6?.subnet].forEach(add);
    [...this.#chosen.values(), ...this.#host.routes, ...this.#host.nameservers].forEach(add);
    const pools = this.#desired.addressPools.length > 0 ? this.#desired.addressPools : DEFAULT_POOLS;
    const subnet = lowestFreeSubnet(`network "${networkName}"`, pools, avoid);
    this.#chosen.set(networkName, subnet);
    return subnet;
  }

  familyRecord(cfg: FamilyConfig, subnet: string): FamilyRecord {
    return familyRecord(cfg, subnet);
  }

  allocate(req: AllocateRequest): Allocation {
    const { layout, name } = this.#layout(req.networkId, req.family);
    const book = this.#book(req.networkId, req.family);
    const where = `allocate ${req.family === 4 ? 'IPv4' : 'IPv6'} for "${req.owner}" on network "${name}"`;
    const statics = this.#statics.get(`${name}/${req.family}`);
    const want = req.static === undefined ? undefined : this.#checkStatic(where, layout, book, statics, req);
    const have = book.byOwner.get(req.owner);
    if (have !== undefined) {
      const held = book.byAddr.get(have)!;
      if (want !== undefined && want !== have) {
        throw new NetdError('conflict', `${where}: it holds ${held.rec.address}, not ${req.static}; release it first`);
      }
      const key = allocationKey(req.networkId, req.family, held.rec.address);
      return { address: held.rec.address, ops: [], conditions: held.modRevision ? [{ key, modRevision: held.modRevision }] : [] };
    }
    const v = want ?? this.#lowestFree(where, layout, book, statics);
    const address = formatAddr(req.family, v);
    const rec: AllocationRecord = {
      networkId: req.networkId,
      family: req.family,
      address,
      owner: req.owner,
      endpointId: req.endpointId,
      static: want !== undefined,
    };
    book.add(v, { rec, modRevision: 0 });
    const key = allocationKey(req.networkId, req.family, address);
    return { address, ops: [{ type: 'put', key, value: rec }], conditions: [{ key, modRevision: 0 }] };
  }

  /**
   * Ops that free every address `owner` holds on the network (both families); with
   * `endpointId`, only those that endpoint holds (a replacement of the same owner keeps its own).
   */
  release(networkId: string, owner: string, endpointId?: string): Op[] {
    const ops: Op[] = [];
    for (const f of [4, 6] as const) {
      const book = this.#books.get(`${networkId}/${f}`);
      const v = book?.byOwner.get(owner);
      if (book === undefined || v === undefined) continue;
      if (endpointId !== undefined && book.byAddr.get(v)!.rec.endpointId !== endpointId) continue;
      ops.push({ type: 'delete', key: allocationKey(networkId, f, book.byAddr.get(v)!.rec.address) });
      book.byAddr.delete(v);
      book.byOwner.delete(owner);
      if (v < book.hint) book.hint = v;
    }
    return ops;
  }

  lookup(networkId: string, owner: string, family: Family): string | undefined {
    const book = this.#books.get(`${networkId}/${family}`);
    const v = book?.byOwner.get(owner);
    return v === undefined ? undefined : book!.byAddr.get(v)!.rec.address;
  }

  #book(networkId: string, family: Family): Book {
    const k = `${networkId}/${family}`;
    let b = this.#books.get(k);
    if (!b) this.#books.set(k, (b = new Book()));
    return b;
  }

  #layout(networkId: string, family: Family): { layout: Layout; name: string } {
    const net = this.#networks.get(networkId);
    if (!net) throw new NetdError('not-found', `network ${networkId} has no record`);
    const fam = family === 4 ? net.ipv4 : net.ipv6;
    if (!fam) throw new NetdError('invalid', `network "${net.name}" has no IPv${family} subnet`);
    const k = `${networkId}/${family}`;
    let layout = this.#layouts.get(k);
    if (!layout) this.#layouts.set(k, (layout = layoutOf(fam, `network "${net.name}"`)));
    return { layout, name: net.name };
  }

  #checkStatic(where: string, layout: Layout, book: Book, statics: Map<bigint, string> | undefined, req: AllocateRequest): bigint {
    const { family, value } = parseAddr(req.static!);
    if (family !== req.family) throw new NetdError('invalid', `${where}: ${req.static} is not an IPv${req.family} address`);
    const why = layout.fixedReason(value);
    if (why) throw new NetdError('invalid', `${where}: ${req.static} is ${why}`);
    const holder = book.byAddr.get(value)?.rec.owner;
    if (holder !== undefined && holder !== req.owner) {
      throw new NetdError('conflict', `${where}: address ${req.static} already in use by "${holder}"`);
    }
    const declared = statics?.get(value);
    if (declared !== undefined && declared !== req.owner) {
      throw new NetdError('conflict', `${where}: address ${req.static} is declared for "${declared}"`);
    }
    return value;
  }

  #lowestFree(where: string, layout: Layout, book: Book, statics: Map<bigint, string> | undefined): bigint {
    const { range } = layout;
    const end = lastAddr(range);
    let v = book.hint > range.network ? book.hint : range.network;
    for (; v <= end; v++) {
      if (!book.byAddr.has(v) && !statics?.has(v) && layout.fixedReason(v) === undefined) {
        book.hint = v + 1n;
        return v;
      }
    }
    book.hint = v;
    const inUse = [...book.byAddr.keys()].filter((a) => a >= range.network && a <= end).length;
    throw new NetdError('conflict', `${where}: no free address left in ${formatCidr(range)} (${inUse} in use)`);
  }
}
