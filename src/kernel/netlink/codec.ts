/**
 * The netlink wire format (RFC 3549): 16-byte message headers, type-length-value attributes
 * (nested ones are attributes whose value is more attributes), everything 4-byte aligned and
 * in host byte order (little-endian here) unless the attribute says otherwise. Pure.
 */

export const NLMSG_HDRLEN = 16;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP = 0x300;
/** In an NLMSG_ERROR: TLVs (the kernel's message) follow the echoed header. */
const NLM_F_ACK_TLVS = 0x200;
/** In an NLMSG_ERROR: the echoed request is only its header (NETLINK_CAP_ACK). */
const NLM_F_CAPPED = 0x100;
const NLMSGERR_ATTR_MSG = 1;

/** The attribute type without the NESTED and NET_BYTEORDER bits. */
const NLA_TYPE_MASK = 0x3fff;

export const align = (n: number): number => (n + 3) & ~3;

export interface NlMsg {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  /** What follows the header: the family header, then attributes. */
  readonly body: Buffer;
}

export function encodeMsg(type: number, flags: number, seq: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(NLMSG_HDRLEN);
  head.writeUInt32LE(NLMSG_HDRLEN + body.length, 0);
  head.writeUInt16LE(type, 4);
  head.writeUInt16LE(flags, 6);
  head.writeUInt32LE(seq, 8);
  return Buffer.concat([head, body, Buffer.alloc(align(body.length) - body.length)]);
}

/** The messages in a buffer of replies; a truncated tail is an error. */
export function decodeMsgs(buf: Buffer): NlMsg[] {
  const out: NlMsg[] = [];
  for (let off = 0; off + NLMSG_HDRLEN <= buf.length;) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) throw new Error(`netlink: truncated message at byte ${off}`);
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      body: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align(len);
  }
  return out;
}

export function encodeAttr(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(4 + value.length, 0);
  head.writeUInt16LE(type, 2);
  return Buffer.concat([head, value, Buffer.alloc(align(value.length) - value.length)]);
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/**
 * The attributes of `buf` from `offset`, by type (the first of a repeated type wins, as in
 * iproute2's parse_rtattr); with `only`, just those types: a link carries some fifty
 * attributes and a view reads nine, and each value kept is a Buffer to allocate.
 */
export function decodeAttrs(buf: Buffer, offset = 0, only?: ReadonlySet<number>): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let off = offset; off + 4 <= buf.length;) {
    const len = buf[off]! | (buf[off + 1]! << 8);
    if (len < 4 || off + len > buf.length) break;
    const type = (buf[off + 2]! | (buf[off + 3]! << 8)) & NLA_TYPE_MASK;
    if ((only === undefined || only.has(type)) && !out.has(type)) out.set(type, buf.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

/** A NUL-terminated string attribute. */
export const str = (b: Buffer | undefined): string | undefined =>
  b === undefined ? undefined : b.toString('utf8', 0, b.indexOf(0) < 0 ? b.length : b.indexOf(0));

export interface NlError {
  /** Positive errno; 0 is an ACK. */
  readonly errno: number;
  /** The kernel's own words (extended ACK), when it gave some. */
  readonly message?: string;
}

/** An NLMSG_ERROR message (or a dump's NLMSG_DONE, whose body starts with the same status). */
export function decodeError(m: NlMsg): NlError {
  const errno = -m.body.readInt32LE(0) || 0;
  if (m.type !== NLMSG_ERROR || !(m.flags & NLM_F_ACK_TLVS)) return { errno };
  const echoed = m.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : m.body.readUInt32LE(4);
  const msg = str(decodeAttrs(m.body, 4 + align(echoed)).get(NLMSGERR_ATTR_MSG));
  return msg ? { errno, message: msg } : { errno };
}
