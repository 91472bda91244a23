/** One real query to a resolver address over UDP: the rcode of its answer, or undefined when none came in time. */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import * as packet from 'dns-packet';

/** The name doctor asks for: one label, unknown, so netd itself answers NXDOMAIN. */
export const PROBE_NAME = 'netd-doctor-probe';

export function probe(address: string, name = PROBE_NAME, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const id = Math.floor(Math.random() * 65536);
    const sock = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
    const done = (r: string | undefined): void => {
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('error', () => done(undefined));
    sock.on('message', (msg) => {
      try {
        const p = packet.decode(msg);
        if (p.id === id) done((p as { rcode?: string }).rcode ?? 'NOERROR');
      } catch {
        // not a DNS answer: keep waiting
      }
    });
    sock.send(packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), 53, address);
  });
}
