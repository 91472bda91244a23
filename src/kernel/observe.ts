/**
 * Which observer reads the kernel: rtnetlink through the native addon when it loaded and the
 * runner is the real kernel (a fake or wrapped runner is a test looking at the commands, so
 * observation goes through it), else iproute2 — said once, at debug level.
 */
import type { Logger } from '../log.js';
import { realKernel, type Runner } from './exec.js';
import { ipArgv, type NsRef } from './netns.js';
import { ipRunOpsAndView, IpObserver, type ObservedNamespace, type Observer } from './observe-ip.js';
import type { KernelOp } from './ops.js';
import { applyOps, netlinkWriter, withSocket } from './netlink/apply.js';
import { netlinkStatus } from './netlink/addon.js';
import { NetlinkObserver, readLinks, readView } from './netlink/observer.js';
import { SocketsAhead } from './netlink/ahead.js';

export { NetlinkObserver } from './netlink/observer.js';
export { netlinkStatus, type Addon, type NetlinkStatus } from './netlink/addon.js';
export type { SocketsAhead } from './netlink/ahead.js';

export type ViewObserver = Observer & { view(ns: NsRef): Promise<ObservedNamespace | null> };

let told = false;

export function kernelObserver(runner: Runner, log?: Logger): ViewObserver {
  const status = netlinkStatus();
  if (status.loaded && realKernel(runner)) return new NetlinkObserver(status.addon);
  if (!status.loaded && log && !told) {
    told = true;
    log.debug({ reason: status.reason }, 'netlink addon not loaded: reading and writing the kernel through iproute2');
  }
  return new IpObserver(runner);
}

/**
 * Runs ops in a namespace and reads it back through the same process: over one socket when
 * the addon loaded, else in one `ip -batch`.
 */
export async function runOpsAndView(runner: Runner, ns: NsRef, ops: readonly KernelOp[], ahead?: SocketsAhead): Promise<ObservedNamespace> {
  const netlink = netlinkWriter(runner);
  if (!netlink) return await ipRunOpsAndView(runner, ns, ops);
  runner.note?.('netlink apply', ops.length > 0);
  return withSocket(
    netlink,
    ns,
    (fd) => {
      applyOps(netlink, fd, ns, ops);
      return readView(netlink, fd, `observe ${ns}`);
    },
    ahead,
  );
}

/**
 * Sockets for namespaces about to be worked in this order (a phase's batches): opened a run at
 * a time by one addon call; undefined without the addon (iproute2 opens nothing ahead).
 */
export function socketsAhead(runner: Runner, namespaces: readonly NsRef[]): SocketsAhead | undefined {
  const netlink = namespaces.length > 1 ? netlinkWriter(runner) : undefined;
  return netlink ? new SocketsAhead(netlink, namespaces) : undefined;
}

/** The names of the links in netd's own namespace: one link dump over netlink when the addon loaded, else `ip -json link show`. */
export async function ownLinkNames(runner: Runner): Promise<Set<string>> {
  const netlink = netlinkWriter(runner);
  if (!netlink)
    return new Set((JSON.parse((await runner.run(ipArgv(undefined, ['-json', 'link', 'show']))).stdout) as { ifname: string }[]).map((l) => l.ifname));
  return new Set(withSocket(netlink, undefined, (fd) => readLinks(netlink, fd, 'observe own links')).links.map((l) => l.name));
}
