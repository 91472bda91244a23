/**
 * What `watch` keeps open between passes when the files declare overlay networks: one
 * connection to the cluster's etcd, a level-based watch on every overlay's keys (each event
 * or reset asks for a peer pass), and a timer that keeps this host's leases alive at a third
 * of their TTL. The files may change the cluster: after every full pass `follow` is called
 * with what they now say, and reconnects, or closes, as needed.
 */
import { overlayRoot } from '../cluster/keys.js';
import type { DesiredState } from '../desired/types.js';
import type { Store, Watch } from '../store/store.js';
import { openClusterStore } from './cluster.js';

export type ClusterTrigger = 'cluster' | 'renew';

export class ClusterFollower {
  #key: string | undefined;
  #store: Store | undefined;
  #watch: Watch | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly trigger: (why: ClusterTrigger) => void) {}

  /** The open store (undefined: no overlay declared, or etcd did not answer yet: the next pass tries again). */
  get store(): Store | undefined {
    return this.#store;
  }

  async follow(desired: DesiredState): Promise<void> {
    const cluster = desired.networks.some((n) => n.overlay) ? desired.cluster : undefined;
    const key = cluster && JSON.stringify([cluster.etcd, cluster.leaseTtl]);
    if (key === this.#key && (this.#store !== undefined || key === undefined)) return;
    await this.close();
    if (!cluster) return;
    let store: Store;
    try {
      store = await openClusterStore(cluster);
    } catch {
      return; // the full pass that follows reports it; the next one tries again
    }
    this.#key = key;
    this.#store = store;
    // Level-based: every event and every reset (reconnect, compaction) means "look again".
    this.#watch = store.watch(overlayRoot(cluster.etcd.prefix), await store.revision(), () => this.trigger('cluster'));
    this.#timer = setInterval(() => this.trigger('renew'), Math.max(1000, (cluster.leaseTtl * 1000) / 3));
    this.#timer.unref();
    // What changed between the pass's read and the watch's start is caught by one look now
    // (a renewal: it also tells how long the leases have left).
    this.trigger('renew');
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#watch?.close();
    const store = this.#store;
    this.#store = this.#watch = this.#timer = this.#key = undefined;
    await store?.close().catch(() => undefined);
  }
}
