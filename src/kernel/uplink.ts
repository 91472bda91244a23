/** The host facts the external (uplink) interface of an overlay is chosen from. */
import type { Runner } from './exec.js';
import { ipArgv } from './netns.js';
import { parseView, type ObservedNamespace } from './observe-ip.js';

// `route show` is table main (IPv4): its default routes choose the interface as flannel's
// lookupExtIface does, its routes without a gateway are the segment host-gw peers must share.
const UPLINK_CMDS = 'link show\naddr show\nroute show\n';

/** The host namespace's links, addresses and IPv4 routes of table main, in one process. */
export async function observeUplink(runner: Runner): Promise<ObservedNamespace> {
  const { stdout } = await runner.run(ipArgv(undefined, ['-details', '-json', '-batch', '-']), { input: UPLINK_CMDS });
  return parseView(stdout);
}
