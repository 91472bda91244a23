/**
 * The host-gw backend: no encapsulation, a route per peer subnet through the peer host's
 * underlay address. Peers must share the external interface's L2 segment (the kernel refuses
 * a gateway it cannot reach directly: "Nexthop has invalid gateway").
 */
import type { OverlayLease } from '../../state/records.js';
import type { Expected } from '../expect.js';

export const hostGwExpected = (lease: OverlayLease): Expected[] =>
  (lease.peers ?? []).map((p) => ({ type: 'subnet-route', ns: undefined, dst: p.subnet, via: p.publicIp, dev: lease.dev }));
