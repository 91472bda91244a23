/**
 * Foreign objects: a kernel object under a name netd recorded that is not the one netd created
 * or adopted (the rules are state/marks.ts's, shared with the controller's delete paths). netd
 * reports them, never changes them and never deletes them; a prune or delete of such a record
 * drops only the record. Pure.
 */
import { foreignBridge, foreignNamespace, foreignVeth } from '../state/marks.js';
import { nsRef } from '../state/derive.js';
import type { KernelView, RecordedState } from './types.js';

export interface Foreign {
  readonly kind: 'container' | 'network' | 'attachment';
  /** The record's object name: container, network, or `container/network`. */
  readonly name: string;
  readonly id: string;
  /** The kernel object: a namespace name or path, a link name. */
  readonly object: string;
  /** `namespace "web" was replaced by one netd did not create`. */
  readonly message: string;
}

/** Every recorded object whose kernel object is foreign, in record order. */
export function foreignObjects(recorded: Pick<RecordedState, 'networks' | 'sandboxes' | 'endpoints'>, k: KernelView): Foreign[] {
  const out: Foreign[] = [];
  for (const s of recorded.sandboxes) {
    const m = foreignNamespace(s, k, recorded.sandboxes);
    if (m) out.push({ kind: 'container', name: s.container, id: s.id, object: nsRef(s.netns), message: m });
  }
  for (const n of recorded.networks) {
    const m = foreignBridge(n, k, recorded.networks);
    if (m) out.push({ kind: 'network', name: n.name, id: n.id, object: n.bridge!, message: m });
  }
  for (const e of recorded.endpoints) {
    const m = foreignVeth(e, k);
    if (m) out.push({ kind: 'attachment', name: `${e.container}/${e.network}`, id: e.id, object: e.hostVeth!, message: m });
  }
  return out;
}
