/**
 * The netlink applier's requests against iproute2's for the same ops, without a kernel: the
 * requests `ip`/`bridge` sent (captured by netlink-capture-ops.ts) and ours decode to the same
 * message type, flags, family header and attributes (in any order; sequence numbers, port ids
 * and namespace descriptors aside). Where they differ on purpose, the case says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeMsgs } from '../../src/kernel/netlink/codec.js';
import { encodeOp, isRtnl } from '../../src/kernel/netlink/encode.js';
import type { Captured } from './netlink-capture-ops.js';

const FILE = fileURLToPath(new URL('../../../test/kernel/netlink-requests/iproute2.json', import.meta.url));
const captured = JSON.parse(readFileSync(FILE, 'utf8')) as Captured[];

const HEAD: Record<number, number> = { 16: 16, 17: 16, 20: 8, 21: 8, 24: 12, 25: 12, 28: 12, 29: 12 };
const [IFLA_IFNAME, IFLA_LINKINFO, IFLA_NET_NS_FD] = [3, 18, 28];
type Tree = [number, string | Tree][];

/** Which attributes nest, by position: IFLA_LINKINFO → IFLA_INFO_DATA → (veth) VETH_INFO_PEER, an ifinfomsg then link attributes. */
interface Spec {
  readonly head?: number;
  readonly nested?: Record<number, Spec>;
}
const VETH: Spec = { nested: { [IFLA_LINKINFO]: { nested: { 2: { nested: { 1: { head: 16, nested: {} } } } } } } };
const LINK: Spec = { nested: { [IFLA_LINKINFO]: { nested: { 2: {} } } } };

function tree(buf: Buffer, spec: Spec): Tree {
  const out: Tree = [];
  const head = spec.head ?? 0;
  if (head > 0) out.push([-1, buf.subarray(0, head).toString('hex')]);
  for (let off = head; off + 4 <= buf.length;) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & 0x3fff;
    const value = buf.subarray(off + 4, off + len);
    const sub = spec.nested?.[type];
    out.push([type, type === IFLA_NET_NS_FD ? 'fd' : sub ? tree(value, sub) : value.toString('hex')]);
    off += (len + 3) & ~3;
  }
  return out.sort((a, b) => a[0] - b[0] || JSON.stringify(a[1]).localeCompare(JSON.stringify(b[1])));
}

/** A request without what differs by nature; a link named (index 0, IFLA_IFNAME) becomes the link by index, as iproute2 sends it. */
function normal(req: Buffer, c: Captured): unknown {
  const [m] = decodeMsgs(req);
  const len = HEAD[m!.type]!;
  const head = Buffer.from(m!.body.subarray(0, len));
  let attrs = tree(m!.body.subarray(len), c.op.op === 'link-add' && c.op.kind === 'veth' ? VETH : LINK);
  const create = (m!.flags & 0x400) !== 0;
  const renames = c.op.op === 'link-set' && c.op.rename !== undefined;
  if ((m!.type === 16 || m!.type === 17) && !create && !renames && head.readInt32LE(4) === 0) {
    head.writeInt32LE(c.ifindex[(c.op as { name: string }).name]!, 4);
    attrs = attrs.filter(([t]) => t !== IFLA_IFNAME);
  }
  return { type: m!.type, flags: m!.flags, head: head.toString('hex'), attrs };
}

test('captures: one per op kind that is a netlink message', () => {
  const kinds = new Set(captured.map((c) => (c.op.op === 'link-add' ? `link-add ${c.op.kind}` : c.op.op)));
  assert.deepEqual(
    [...kinds].sort(),
    ['addr-add', 'addr-del', 'addr-replace', 'fdb-append', 'fdb-del', 'link-add bridge', 'link-add veth', 'link-add vxlan', 'link-del', 'link-set']
      .concat(['neigh-del', 'neigh-replace', 'route-add', 'route-del', 'route-replace'])
      .sort(),
  );
});

for (const c of captured) {
  test(`the request iproute2 sends: ${c.name}`, () => {
    assert.ok(isRtnl(c.op));
    let seq = 0;
    const ours = encodeOp(c.op, () => ++seq, { index: (dev) => c.ifindex[dev], nsFd: () => 99 });
    const theirs = c.requests.map((h) => Buffer.from(h, 'hex'));
    assert.deepEqual(
      ours.map((r) => normal(r, c)),
      theirs.map((r) => normal(r, c)),
    );
  });
}
