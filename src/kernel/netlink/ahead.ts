/**
 * Sockets opened ahead for namespaces worked one after another (a phase's namespace batches):
 * one addon call, one helper thread, opens a run of them, where each batch alone would start a
 * thread of its own. A socket is taken once and its taker closes it; what was not taken is
 * closed at the end. A namespace whose socket could not be opened ahead gets none here and is
 * opened when it is worked, so its error is the one it always was.
 */
import { nsPath } from '../netns.js';
import type { Addon } from './addon.js';

/** At most this many sockets opened ahead at once. */
const RUN = 64;

export class SocketsAhead {
  private readonly fds = new Map<string, number>();
  /** Namespaces a socket was opened (or tried) for: never opened ahead again. */
  private readonly tried = new Set<string>();
  private readonly at: ReadonlyMap<string, number>;

  constructor(
    private readonly addon: Addon,
    private readonly order: readonly string[],
  ) {
    this.at = new Map(order.map((ns, i) => [ns, i]));
  }

  /** The socket opened ahead for ns (the caller closes it), or undefined: open one yourself. */
  take(ns: string): number | undefined {
    if (!this.tried.has(ns)) this.openFrom(ns);
    const fd = this.fds.get(ns);
    this.fds.delete(ns);
    return fd;
  }

  /** Opens ns and the namespaces after it in the order, up to RUN not yet tried. */
  private openFrom(ns: string): void {
    const i = this.at.get(ns);
    if (i === undefined) return;
    const run = this.order.slice(i, i + RUN).filter((n) => !this.tried.has(n));
    for (const n of run) this.tried.add(n);
    this.addon.open(run.map((n) => nsPath(n))).forEach((fd, k) => {
      if (typeof fd === 'number') this.fds.set(run[k]!, fd);
    });
  }

  close(): void {
    for (const fd of this.fds.values()) this.addon.close(fd);
    this.fds.clear();
  }
}
