/**
 * Forwarding: a query netd does not answer goes, as it came (same bytes, same id), to the
 * container's declared nameservers or else to the host's, from /etc/resolv.conf — loopback
 * ones included, since the resolver runs in the host's namespace. Over UDP for a UDP query,
 * over TCP for a TCP one; each server is tried in order until one answers.
 */
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { readFile, stat } from 'node:fs/promises';
import { parseResolvConf } from '../state/resolv.js';

export const RESOLV_CONF = '/etc/resolv.conf';
const TIMEOUT_MS = 2000;

/** The host's nameservers, read again when /etc/resolv.conf changes. */
export class HostResolvers {
  #mtime = -1;
  #servers: string[] = [];
  constructor(readonly path = RESOLV_CONF) {}

  async current(): Promise<readonly string[]> {
    try {
      const st = await stat(this.path);
      if (st.mtimeMs !== this.#mtime) {
        this.#servers = [...parseResolvConf(await readFile(this.path, 'utf8')).nameservers];
        this.#mtime = st.mtimeMs;
      }
    } catch {
      this.#servers = [];
      this.#mtime = -1;
    }
    return this.#servers;
  }
}

/** One UDP exchange; undefined when nothing came back in time. */
export function udpExchange(server: string, query: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket(isIPv6(server.replace(/%.*$/, '')) ? 'udp6' : 'udp4');
    const done = (r: Buffer | undefined): void => {
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('error', () => done(undefined));
    // The reply must carry the query's id: anything else on the port is not it.
    sock.on('message', (msg) => msg.length >= 2 && msg.readUInt16BE(0) === query.readUInt16BE(0) && done(msg));
    try {
      sock.send(query, 53, server);
    } catch {
      done(undefined); // not an address dgram takes (a nameserver line netd cannot use)
    }
  });
}

/** One TCP exchange (two-byte length prefix, RFC 1035 4.2.2). */
function tcpExchange(server: string, query: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host: server, port: 53 });
    let buf = Buffer.alloc(0);
    const done = (r: Buffer | undefined): void => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(timeoutMs, () => done(undefined));
    sock.on('error', () => done(undefined));
    sock.on('connect', () => sock.write(Buffer.concat([lengthPrefix(query.length), query])));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    sock.on('end', () => done(undefined));
  });
}

export function lengthPrefix(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** The first answer of the servers, tried in order; undefined when none answered. */
export async function forward(query: Buffer, servers: readonly string[], transport: 'udp' | 'tcp', timeoutMs = TIMEOUT_MS): Promise<Buffer | undefined> {
  for (const s of servers) {
    const r = await (transport === 'udp' ? udpExchange : tcpExchange)(s, query, timeoutMs);
    if (r) return r;
  }
  return undefined;
}
