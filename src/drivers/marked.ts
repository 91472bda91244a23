/**
 * Removal by mark, for a record whose driver is unknown here: whatever links carry the
 * record's ownership alias (in the host, and in the sandbox for an endpoint) are deleted,
 * nothing else. It builds nothing.
 */
import type { KernelOp } from '../kernel/ops.js';
import { ownerAlias } from '../state/marks.js';
import { nsRef } from '../state/derive.js';
import type { NamespaceView } from '../state/view.js';
import type { Driver } from './driver.js';

const marked = (view: NamespaceView | null | undefined, alias: string, ns?: string): KernelOp[] =>
  (view?.links ?? []).filter((l) => l.alias === alias).map((l) => ({ op: 'link-del', name: l.name, ...(ns !== undefined ? { ns } : {}) }));

export const markedDriver: Driver = {
  name: 'bridge',
  scope: 'local',
  network: () => [],
  endpoint: () => [],
  // A network's links: its bridge, and an overlay's vxlan device.
  removeNetwork: (net, k) => [...marked(k.host, ownerAlias('network', net.id)), ...marked(k.host, ownerAlias('overlay', net.id))],
  removeEndpoint(ep, _net, sb, k) {
    const alias = ownerAlias('endpoint', ep.id);
    const host = marked(k.host, alias);
    // A veth's peer goes with its host side.
    return host.length > 0 || sb.hostNetwork ? host : marked(k.sandboxes.get(nsRef(sb.netns)), alias, nsRef(sb.netns));
  },
};
