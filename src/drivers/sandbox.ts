/**
 * What a sandbox and a container's default routes imply in the kernel: not a driver's (every
 * driver's endpoints live in them), but stated the same way, for the same comparer.
 *
 * Sandbox: its namespace (netd creates a named one it recorded as created; an adopted one or a
 * path must exist) with its loopback up.
 *
 * Default routes: per family, the one attachment defaultRoutes picks. In an adopted namespace
 * whose default route is not netd's (another protocol), that route stays unless the
 * attachment's gatewayPriority is above 0 (then the controller records it, to restore it
 * when netd's route goes).
 */
import { NETD_PROTO } from '../kernel/ops.js';
import { defaultRoutes, nsRef } from '../state/derive.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import type { NamespaceView, RouteView } from '../state/view.js';
import type { Expected } from './expect.js';

export function sandboxExpected(sb: SandboxRecord): Expected[] {
  if (sb.hostNetwork) return [];
  const ref = nsRef(sb.netns);
  return [
    { type: 'namespace', ref, ...(sb.netns.kind === 'named' && sb.created ? { name: sb.netns.name } : {}) },
    { type: 'link', want: { ns: ref, name: 'lo', what: `loopback in ${ref}` } },
  ];
}

/** Whether a route is one netd added. */
export const isNetdRoute = (r: RouteView): boolean => r.proto === String(NETD_PROTO);

/** The default route of a family in a namespace view. */
export const defaultRoute = (view: NamespaceView | null | undefined, family: 4 | 6): RouteView | undefined =>
  view?.routes.find((r) => r.dst === 'default' && r.family === family);

export interface RouteExpectation {
  readonly expected: Expected & { type: 'route' };
  readonly endpoint: EndpointRecord;
  /** The admin's route this one replaces (to record, and restore when netd's goes). */
  readonly replaces?: RouteView;
}

/** The default routes a container's sandbox should have, given what its namespace holds now. */
export function routesExpected(
  sb: SandboxRecord,
  endpoints: readonly EndpointRecord[],
  networks: ReadonlyMap<string, NetworkRecord>,
  view: NamespaceView | null | undefined,
  rewrite: (endpointId: string) => boolean = () => false,
): RouteExpectation[] {
  if (sb.hostNetwork) return [];
  const ns = nsRef(sb.netns);
  return defaultRoutes(sb.container, endpoints, networks).flatMap((r) => {
    const have = defaultRoute(view, r.family);
    const foreign = have && !isNetdRoute(have) && !(have.via === r.gateway && have.dev === r.endpoint.interface) ? have : undefined;
    if (foreign && !sb.created && r.endpoint.gatewayPriority <= 0) return [];
    const expected = {
      type: 'route' as const,
      ns,
      family: r.family,
      via: r.gateway,
      dev: r.endpoint.interface,
      ...(rewrite(r.endpoint.id) ? { rewrite: true } : {}),
    };
    return [{ expected, endpoint: r.endpoint, ...(foreign && !sb.created ? { replaces: foreign } : {}) }];
  });
}
