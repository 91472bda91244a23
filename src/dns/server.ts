/**
 * The resolver's sockets: UDP and TCP on port 53 of every served gateway address. Each
 * socket is bound to one gateway, so the address a query arrived on names its network.
 * `update` binds what is new and closes what is gone; an address not on the host yet (the
 * bridge still being built, IPv6 duplicate address detection) fails to bind and is tried
 * again on the next update.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket as TcpSocket } from 'node:net';
import * as packet from 'dns-packet';
import type { Logger } from '../log.js';
import { messageOf } from '../errors.js';
import { answer, encodeReply, replyTo, udpLimit } from './answer.js';
import { forward, lengthPrefix, type HostResolvers } from './upstream.js';
import { fromNetwork, type Zone } from './zone.js';

interface Listener {
  readonly udp: Socket;
  readonly tcp: Server;
  readonly conns: Set<TcpSocket>;
}

const TCP_IDLE_MS = 10_000;

export class DnsServer {
  #zones = new Map<string, Zone>();
  readonly #listeners = new Map<string, Listener>();
  /** Addresses that failed to bind, with the error last logged (logged again only when it changes). */
  readonly #failed = new Map<string, string>();

  constructor(
    private readonly log: Logger,
    private readonly host: HostResolvers,
    private readonly port = 53,
  ) {}

  /** The gateway addresses being served. */
  get bound(): string[] {
    return [...this.#listeners.keys()].sort();
  }

  /** Some served address is not bound yet. */
  get pending(): boolean {
    return this.#failed.size > 0;
  }

  async update(zones: Map<string, Zone>): Promise<void> {
    this.#zones = zones;
    for (const [addr, l] of [...this.#listeners]) {
      if (zones.has(addr)) continue;
      this.#listeners.delete(addr);
      await close(l);
      this.log.info({ address: addr }, `dns: stopped serving ${addr}`);
    }
    for (const f of [...this.#failed.keys()]) if (!zones.has(f)) this.#failed.delete(f);
    for (const [addr, zone] of zones) {
      if (this.#listeners.has(addr)) continue;
      try {
        this.#listeners.set(addr, await this.#listen(addr));
        this.#failed.delete(addr);
        this.log.info({ address: addr, network: zone.network.name }, `dns: serving network "${zone.network.name}" on ${addr}:${this.port}`);
      } catch (e) {
        const why = messageOf(e);
        if (this.#failed.get(addr) !== why) this.log.warn({ address: addr, network: zone.network.name }, `dns: cannot listen on ${addr}:${this.port}: ${why}`);
        this.#failed.set(addr, why);
      }
    }
  }

  async close(): Promise<void> {
    for (const l of this.#listeners.values()) await close(l);
    this.#listeners.clear();
  }

  async #listen(addr: string): Promise<Listener> {
    const udp = createSocket({ type: isIPv6(addr) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.port, addr, () => (udp.off('error', reject), resolve()));
    }).catch((e: unknown) => {
      udp.close();
      throw e;
    });
    udp.on('message', (msg, from) => void this.#udp(udp, addr, msg, from.address, from.port));
    udp.on('error', (e) => this.log.warn({ address: addr }, `dns: ${addr}: ${messageOf(e)}`));
    const conns = new Set<TcpSocket>();
    const tcp = createServer((conn) => {
      conns.add(conn);
      conn.on('close', () => conns.delete(conn));
      this.#tcp(addr, conn);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.port, addr, () => (tcp.off('error', reject), resolve()));
      });
    } catch (e) {
      udp.close();
      throw e;
    }
    tcp.on('error', (e) => this.log.warn({ address: addr }, `dns: ${addr}: ${messageOf(e)}`));
    return { udp, tcp, conns };
  }

  /** The reply bytes for a query that arrived on addr, or undefined to say nothing (not a DNS query). */
  async #reply(addr: string, msg: Buffer, client: string, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let query: packet.DecodedPacket;
    try {
      query = packet.decode(msg);
    } catch {
      return undefined;
    }
    const zone = this.#zones.get(addr);
    if (!zone || !fromNetwork(zone, client)) return encodeReply(replyTo(query, 'REFUSED', [], false));
    const r = answer(query, zone);
    const limit = transport === 'udp' ? udpLimit(query) : Infinity;
    if (r.kind === 'answer') return encodeReply(r.packet, limit);
    const declared = zone.upstreams.get(client);
    const servers = declared ?? (await this.host.current());
    return (await forward(msg, servers, transport)) ?? encodeReply(replyTo(query, 'SERVFAIL', [], false), limit);
  }

  /** A query that fails is logged and dropped (the client asks again): one bad packet must not stop the resolver. */
  async #udp(sock: Socket, addr: string, msg: Buffer, client: string, port: number): Promise<void> {
    try {
      const reply = await this.#reply(addr, msg, client, 'udp');
      if (reply) sock.send(reply, port, client, () => undefined);
    } catch (e) {
      this.log.warn({ address: addr, client }, `dns: a query from ${client}: ${messageOf(e)}`);
    }
  }

  #tcp(addr: string, conn: TcpSocket): void {
    let buf = Buffer.alloc(0);
    conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
    conn.on('error', () => conn.destroy());
    conn.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.#reply(addr, msg, conn.remoteAddress ?? '', 'tcp').then(
          (reply) => reply && !conn.destroyed && conn.write(Buffer.concat([lengthPrefix(reply.length), reply])),
          (e: unknown) => (this.log.warn({ address: addr }, `dns: a query over TCP: ${messageOf(e)}`), conn.destroy()),
        );
      }
    });
  }
}

async function close(l: Listener): Promise<void> {
  l.udp.close();
  const closed = new Promise((resolve) => l.tcp.close(resolve));
  for (const c of l.conns) c.destroy();
  await closed;
}
