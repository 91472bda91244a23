/**
 * The rtnetlink codec, without a kernel: replies captured on a real host
 * (netlink-fixtures/, made by netlink-capture.ts) decode to the view iproute2 printed for the
 * same state; the wire format and iproute2's formatting of addresses and errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KernelError, NETD_PROTO, parseFdb, parseView, type IpFdbJson } from '../../src/kernel/index.js';
import { decodeAttrs, decodeError, decodeMsgs, encodeAttr, encodeMsg, NLMSG_DONE, NLMSG_ERROR, u32 } from '../../src/kernel/netlink/codec.js';
import { llAddr, ntop, viewOf, withFdb } from '../../src/kernel/netlink/rows.js';
import { netlinkError } from '../../src/kernel/netlink/addon.js';
import { dumpFdb, dumpLinks, getNsid } from '../../src/kernel/netlink/rtnl.js';
import type { Fixture } from './netlink-capture.js';

// dist/test/kernel → test/kernel/netlink-fixtures in the source tree.
const DIR = fileURLToPath(new URL('../../../test/kernel/netlink-fixtures/', import.meta.url));
const fixtures = readdirSync(DIR).map((f) => [f, JSON.parse(readFileSync(DIR + f, 'utf8')) as Fixture] as const);
const msgs = (hex: string): ReturnType<typeof decodeMsgs> => decodeMsgs(Buffer.from(hex, 'hex'));

test('fixtures: one per view kind (host, a namespace with a veth peer and routes, a namespace with a vxlan)', () => {
  assert.deepEqual(fixtures.map(([f]) => f).sort(), ['host.json', 'ns-a.json', 'ns-b.json']);
});

for (const [file, fx] of fixtures) {
  test(`decode ${file}: links, addresses, routes, neighbours and FDB as iproute2 printed them`, () => {
    const proto = fx.ns === null ? String(NETD_PROTO) : undefined;
    const r = fx.replies;
    const view = withFdb(
      viewOf({ links: msgs(r.links), addrs: msgs(r.addrs), routes: msgs(r.routes), neigh: msgs(r.neigh) }, proto),
      fx.fdb.map((f) => msgs(f.reply)),
    );
    const ip = parseView(fx.ip, proto);
    const fdb = fx.fdb.flatMap((f) => parseFdb(f.dev, JSON.parse(f.bridge) as IpFdbJson[]));
    assert.deepEqual(view, fdb.length > 0 ? { ...ip, fdb } : ip);
    assert.ok(view.links.length > 1 && view.links.every((l) => l.mac !== undefined), 'the fixture holds a scenario');
  });
}

test('a dump ends with NLMSG_DONE carrying its status', () => {
  for (const [, fx] of fixtures) {
    const last = msgs(fx.replies.links).at(-1)!;
    assert.deepEqual([last.type, decodeError(last).errno], [NLMSG_DONE, 0]);
  }
});

test('requests: header, family header and attributes, 4-byte aligned', () => {
  const cases: { name: string; msg: Buffer; want: [number, number, number, number] }[] = [
    { name: 'link dump', msg: dumpLinks(7), want: [18, 0x301, 7, 16 + 16 + 8] },
    { name: 'fdb dump of one port', msg: dumpFdb(2, 9), want: [30, 0x301, 2, 32] },
    { name: 'nsid by fd, acked', msg: getNsid(3, 5), want: [90, 0x5, 3, 16 + 4 + 8] },
  ];
  for (const tc of cases) {
    const [m] = decodeMsgs(tc.msg);
    assert.deepEqual([m!.type, m!.flags, m!.seq, tc.msg.length], tc.want, tc.name);
  }
  assert.equal(decodeMsgs(dumpFdb(2, 9))[0]!.body.readInt32LE(4), 9);
  assert.deepEqual(decodeAttrs(encodeAttr(3, Buffer.from('ab\0'))).get(3), Buffer.from('ab\0'));
  assert.throws(() => decodeMsgs(dumpLinks(1).subarray(0, 20)), /truncated/);
});

test('errors: errno and the kernel message (extended ACK) decoded, mapped to kinds', () => {
  const body = Buffer.concat([Buffer.from(Int32Array.of(-17).buffer), Buffer.alloc(16), encodeAttr(1, Buffer.from('File exists\0'))]);
  const err = decodeMsgs(encodeMsg(NLMSG_ERROR, 0x100 | 0x200, 4, body))[0]!;
  assert.deepEqual(decodeError(err), { errno: 17, message: 'File exists' });
  const ack = decodeMsgs(encodeMsg(NLMSG_ERROR, 0x100, 4, Buffer.alloc(20)))[0]!;
  assert.deepEqual(decodeError(ack), { errno: 0 });
  const kinds: [number, string][] = [
    [17, 'exists'],
    [2, 'not-found'],
    [19, 'not-found'],
    [1, 'forbidden'],
    [16, 'busy'],
    [22, 'invalid'],
    [5, 'other'],
  ];
  for (const [errno, kind] of kinds) {
    const e = netlinkError('observe x', errno);
    assert.ok(e instanceof KernelError);
    assert.equal(e.kind, kind, String(errno));
  }
  assert.match(netlinkError('observe nl-a', 2, 'open: No such file or directory').message, /^netlink observe nl-a: .*\(ENOENT\)$/);
});

test('addresses are formatted as inet_ntop and ll_addr_n2a do', () => {
  const v6 = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');
  const cases: [string, Buffer, string][] = [
    ['v4', Buffer.from([10, 0, 0, 1]), '10.0.0.1'],
    ['unspecified', v6('0000 0000 0000 0000 0000 0000 0000 0000'), '::'],
    ['loopback', v6('0000 0000 0000 0000 0000 0000 0000 0001'), '::1'],
    ['longest run', v6('fd00 0000 0000 0001 0000 0000 0000 0002'), 'fd00:0:0:1::2'],
    ['the first of equal runs', v6('fd00 0000 0000 0001 0000 0000 0001 0002'), 'fd00::1:0:0:1:2'],
    ['single zero group not compressed', v6('fd00 0001 0000 0001 0001 0001 0001 0001'), 'fd00:1:0:1:1:1:1:1'],
    ['v4-mapped', v6('0000 0000 0000 0000 0000 ffff 0a00 0001'), '::ffff:10.0.0.1'],
    ['v4-compatible', v6('0000 0000 0000 0000 0000 0000 0a00 0001'), '::10.0.0.1'],
    ['link-local', v6('fe80 0000 0000 0000 0200 00ff fe00 0001'), 'fe80::200:ff:fe00:1'],
  ];
  for (const [name, b, want] of cases) assert.equal(ntop(b), want, name);
  assert.equal(llAddr(Buffer.from([2, 0, 0, 0, 0x61, 1]), 1), '02:00:00:00:61:01');
  assert.equal(llAddr(Buffer.from([192, 0, 2, 1]), 768), '192.0.2.1');
  assert.deepEqual(
    decodeAttrs(encodeAttr(4, u32(1400)))
      .get(4)
      ?.readUInt32LE(0),
    1400,
  );
});

test('attributes: the first of a repeated type wins; with a set of types, only those are kept', () => {
  const attrs = Buffer.concat([
    encodeAttr(3, Buffer.from('a\0')),
    encodeAttr(4, u32(1400)),
    encodeAttr(3, Buffer.from('b\0')),
    encodeAttr(0x8000 | 18, u32(7)),
  ]);
  const cases: [string, ReadonlySet<number> | undefined, [number, string][]][] = [
    [
      'all',
      undefined,
      [
        [3, '6100'],
        [4, '78050000'],
        [18, '07000000'],
      ],
    ],
    [
      'only 3 and 18 (nested flag masked)',
      new Set([3, 18]),
      [
        [3, '6100'],
        [18, '07000000'],
      ],
    ],
    ['none wanted', new Set([99]), []],
  ];
  for (const [name, only, want] of cases)
    assert.deepEqual(
      [...decodeAttrs(attrs, 0, only)].map(([t, v]) => [t, v.toString('hex')]),
      want,
      name,
    );
});
