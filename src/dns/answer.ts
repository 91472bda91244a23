/**
 * The answer logic, pure: a decoded query and the zone of the network it arrived on → the
 * reply netd gives, or "forward" (to the container's declared nameservers, else the host's).
 *
 * - A, AAAA (and ANY) for a container name, hostname or alias on the network: authoritative,
 *   with a short TTL (containers come and go; Docker's and aardvark-dns's answers are short
 *   lived too). Another type for a known name, or a family it has no address of: NOERROR
 *   without answers (NODATA), so that the client does not give up on the name.
 * - PTR for their addresses.
 * - A single-label name netd does not know: NXDOMAIN from netd (a container name that does
 *   not exist here must not leak to, or be answered by, the upstream resolvers).
 * - Anything else: forwarded; on an `internal` network, which forwards nothing, REFUSED
 *   (the server declines by policy, RFC 1035 4.1.1).
 */
import * as packet from 'dns-packet';
import { normalName, type Zone } from './zone.js';

export const CONTAINER_TTL = 5;

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = keyof typeof RCODE;

export type Reply = { readonly kind: 'answer'; readonly packet: packet.Packet } | { readonly kind: 'forward' };

/** A reply to a query: its id, question and RD bit, recursion available, and an rcode. */
export function replyTo(query: packet.DecodedPacket, rcode: Rcode, answers: packet.Answer[] = [], authoritative = true): packet.Packet {
  const flags = (query.flag_rd ? packet.RECURSION_DESIRED : 0) | packet.RECURSION_AVAILABLE | (authoritative ? packet.AUTHORITATIVE_ANSWER : 0) | RCODE[rcode];
  return { id: query.id ?? 0, type: 'response', flags, questions: query.questions ?? [], answers };
}

export function answer(query: packet.DecodedPacket, zone: Zone): Reply {
  const questions = query.questions ?? [];
  if ((query as { opcode?: string }).opcode !== 'QUERY') return { kind: 'answer', packet: replyTo(query, 'NOTIMP') };
  if (questions.length !== 1 || query.type === 'response') return { kind: 'answer', packet: replyTo(query, 'FORMERR') };
  const q = questions[0]!;
  const name = normalName(q.name);
  const inClass = (q.class ?? 'IN') === 'IN';
  const known = inClass ? zone.names.get(name) : undefined;
  if (known) {
    const rr = (type: 'A' | 'AAAA', data: string): packet.Answer => ({ type, name: q.name, ttl: CONTAINER_TTL, class: 'IN', data });
    const answers: packet.Answer[] = [];
    if (q.type === 'A' || (q.type as string) === 'ANY') answers.push(...known.v4.map((a) => rr('A', a)));
    if (q.type === 'AAAA' || (q.type as string) === 'ANY') answers.push(...known.v6.map((a) => rr('AAAA', a)));
    return { kind: 'answer', packet: replyTo(query, 'NOERROR', answers) };
  }
  const target = inClass && q.type === 'PTR' ? zone.ptr.get(name) : undefined;
  if (target !== undefined)
    return { kind: 'answer', packet: replyTo(query, 'NOERROR', [{ type: 'PTR', name: q.name, ttl: CONTAINER_TTL, class: 'IN', data: target }]) };
  if (name !== '' && !name.includes('.')) return { kind: 'answer', packet: replyTo(query, 'NXDOMAIN') };
  if (zone.network.internal) return { kind: 'answer', packet: replyTo(query, 'REFUSED', [], false) };
  return { kind: 'forward' };
}

/** The largest UDP reply the client accepts: its EDNS payload size, else 512 bytes (RFC 1035). */
export function udpLimit(query: packet.DecodedPacket): number {
  const opt = (query.additionals ?? []).find((a): a is packet.OptAnswer => a.type === 'OPT');
  return Math.max(512, Math.min(opt?.udpPayloadSize ?? 512, 4096));
}

/** Encodes a reply; over UDP, one too large for the client goes without answers and with TC set (it asks again over TCP). */
export function encodeReply(reply: packet.Packet, limit = Infinity): Buffer {
  const full = packet.encode(reply);
  if (full.length <= limit) return full;
  return packet.encode({ ...reply, flags: (reply.flags ?? 0) | packet.TRUNCATED_RESPONSE, answers: [] });
}
