/** The host facts the external (uplink) interface of an overlay is chosen from. */
import type { Runner } from './exec.js';
import { ipArgv } from './netns.js';
import { parseView, type ObservedNamespace } from './observe-ip.js';

// `route show default` is the exact 0.0.0.0/0 prefix of table main (IPv4: flannel's
// lookupExtIface reads the IPv4 default route too).
const UPLINK_CMDS = 'link show\naddr show\nroute show default\n';

/** The host namespace's links, addresses and IPv4 default routes, in one process. */
export async function observeUplink(runner: Runner): Promise<ObservedNamespace> {
  const { stdout } = await runner.run(ipArgv(undefined, ['-details', '-json', '-batch', '-']), { input: UPLINK_CMDS });
  return parseView(stdout);
}
