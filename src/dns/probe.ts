/** One real query to a resolver address over UDP: the rcode of its answer, or undefined when none came in time. */
import * as packet from 'dns-packet';
import { udpExchange } from './upstream.js';

/** The name doctor asks for: one label, unknown, so netd itself answers NXDOMAIN. */
export const PROBE_NAME = 'netd-doctor-probe';

/** Asks twice before giving up, as a stub resolver does (resolv.conf's default `attempts:2`): one lost datagram is not a silent resolver. */
export async function probe(address: string, name = PROBE_NAME, timeoutMs = 1000, attempts = 2): Promise<string | undefined> {
  const id = Math.floor(Math.random() * 65536);
  const query = packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name }] });
  let reply: Buffer | undefined;
  for (let i = 0; i < attempts && reply === undefined; i++) reply = await udpExchange(address, query, timeoutMs);
  if (reply === undefined) return undefined;
  try {
    return (packet.decode(reply) as { rcode?: string }).rcode ?? 'NOERROR';
  } catch {
    return undefined; // the id matched, but it is not a DNS answer
  }
}
