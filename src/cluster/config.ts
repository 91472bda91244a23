/**
 * An overlay network's cluster-wide config: the range, the subnet length and the data path
 * every host must agree on. The first host writes it (create-if-absent); every later host
 * compares its file with it and refuses, field by field, when they differ: two hosts that
 * disagree on the VNI or the range would each program a network the other cannot reach.
 */
import { NetdError, isNetdError } from '../errors.js';
import { canonicalCidr, tryParseCidr } from '../desired/cidr.js';
import type { DesiredNetwork, OverlayBackend } from '../desired/types.js';
import type { Store } from '../store/store.js';

export interface OverlayConfig {
  /** The cluster range, canonical CIDR. */
  readonly network: string;
  readonly subnetLen: number;
  readonly backend: OverlayBackend;
  readonly vni: number;
  readonly port: number;
}

const FIELDS = ['network', 'subnetLen', 'backend', 'vni', 'port'] as const;

/** The cluster config an overlay network of the desired state declares. */
export function overlayConfigOf(n: DesiredNetwork): OverlayConfig {
  if (!n.overlay) throw new NetdError('internal', `network "${n.name}" is not an overlay network`);
  const { range, ...rest } = n.overlay;
  return { network: range, ...rest };
}

export interface ConfigDifference {
  readonly field: (typeof FIELDS)[number];
  /** As stored (undefined: missing from the stored value). */
  readonly stored: unknown;
  readonly mine: unknown;
}

export function configDifferences(stored: unknown, mine: OverlayConfig): ConfigDifference[] {
  const s = (typeof stored === 'object' && stored !== null ? stored : {}) as Record<string, unknown>;
  const same = (field: ConfigDifference['field']): boolean =>
    field === 'network' && typeof s.network === 'string' && tryParseCidr(s.network) ? canonicalCidr(s.network) === mine.network : s[field] === mine[field];
  return FIELDS.filter((f) => !same(f)).map((field) => ({ field, stored: s[field], mine: mine[field] }));
}

const show = (v: unknown): string => (v === undefined ? 'missing' : JSON.stringify(v));

export function configMismatch(name: string, key: string, diffs: readonly ConfigDifference[]): NetdError {
  const fields = diffs.map((d) => `${d.field} is ${show(d.stored)} in the cluster, ${show(d.mine)} in the file`).join('; ');
  return new NetdError(
    'conflict',
    `overlay network "${name}": the cluster's config (${key}) differs from this file: ${fields} ` +
      `(every host must declare the same; to change it, remove the network from every host, then delete the key)`,
  );
}

/** Writes the config if no host has, else checks this file agrees with it. */
export async function ensureConfig(store: Store, key: string, name: string, mine: OverlayConfig): Promise<'created' | 'matched'> {
  for (let attempt = 1; ; attempt++) {
    const cur = await store.get(key);
    if (cur) {
      const diffs = configDifferences(cur.value, mine);
      if (diffs.length > 0) throw configMismatch(name, key, diffs);
      return 'matched';
    }
    try {
      await store.put(key, mine, { expectRevision: 0 });
      return 'created';
    } catch (e) {
      // Another host wrote it first: compare with theirs (unless it keeps vanishing).
      if (!isNetdError(e, 'conflict') || attempt >= 3) throw e;
    }
  }
}
