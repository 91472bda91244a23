/**
 * What the controller needs from the host besides batches: files under /etc/netns, the
 * forwarding sysctl and the nft tables. One seam, so the controller's logic can be tested
 * above it; the real implementation (src/reconcile/real-host.ts) goes through src/kernel.
 */
import type { FirewallInput } from '../kernel/index.js';
import type { TableView } from '../state/view.js';
import type { HostResolv } from '../state/resolv.js';
import type { FamilyConfig } from '../desired/types.js';
import type { NetworkRecord, FamilyRecord } from '../state/records.js';
import type { Condition, Op } from '../store/store.js';
import type { OpRunner } from './executor.js';

export interface HostOps {
  readonly batch: OpRunner;
  /** The host's /etc/resolv.conf: what containers inherit where they declare nothing. */
  readonly resolv: HostResolv;
  readFile(path: string): Promise<string | null>;
  /** Writes atomically (temporary file + rename), creating the directory. */
  writeFile(path: string, content: string): Promise<void>;
  /** Waits up to `ms` for these host links to go (a deleted namespace's veths go a little after it); returns those left. */
  linksLeft(names: readonly string[], ms: number): Promise<string[]>;
  /** The identity (`<st_dev>:<st_ino>[:<cookie>]`) of a namespace (name or path); undefined: it does not exist. Optional: fakes without it record none. */
  namespaceId?(ref: string): Promise<string | undefined>;
  /** Removes /etc/netns/<netns> and what is in it. */
  removeNetnsDir(netns: string): Promise<void>;
  /** Sets these sysctls to 1 where they are not (forwarding, route_localnet); true when it changed something. */
  ensureSysctls(keys: readonly string[]): Promise<boolean>;
  /** Loads the rendered ruleset when the kernel's differs (none: removes netd's tables); true when it wrote. */
  syncFirewall(spec: FirewallInput, observed?: readonly TableView[]): Promise<boolean>;
}

/** IPAM as the controller uses it (src/ipam's Ipam implements it). */
export interface AddressAllocator {
  /** The lowest free pool subnet for a network that declares none. */
  chooseSubnet(network: string): string;
  familyRecord(cfg: FamilyConfig, subnet: string): FamilyRecord;
  /** Makes a network record that is not committed yet (or just changed) known. */
  noteNetwork(rec: NetworkRecord): void;
  /** An address for (owner, family): the one it holds, the static one, or the lowest free; with the store ops that record it. */
  allocate(req: { readonly networkId: string; readonly family: 4 | 6; readonly owner: string; readonly endpointId: string; readonly static?: string }): {
    address: string;
    ops: Op[];
    conditions: Condition[];
  };
  /** Store ops that release every address of owner in the network (with endpointId: that endpoint's). */
  release(networkId: string, owner: string, endpointId?: string): Op[];
}
