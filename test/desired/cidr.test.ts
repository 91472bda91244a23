import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as c from '../../src/desired/cidr.js';

const cases: { name: string; cidr: string; first: string; last: string; bcast?: string; canon: string }[] = [
  { name: 'ipv4 /24', cidr: '10.88.0.0/24', first: '10.88.0.1', last: '10.88.0.254', bcast: '10.88.0.255', canon: '10.88.0.0/24' },
  { name: 'ipv4 /31', cidr: '10.0.0.0/31', first: '10.0.0.0', last: '10.0.0.1', canon: '10.0.0.0/31' },
  { name: 'ipv6 /64 uppercase', cidr: 'FD00:0::/64', first: 'fd00::1', last: 'fd00::ffff:ffff:ffff:ffff', canon: 'fd00::/64' },
];

for (const tc of cases) {
  test(`cidr: ${tc.name}`, () => {
    const p = c.parseCidr(tc.cidr);
    assert.equal(c.formatAddr(p.family, c.firstUsable(p)), tc.first);
    assert.equal(c.formatAddr(p.family, c.lastUsable(p)), tc.last);
    const b = c.broadcast(p);
    assert.equal(b === undefined ? undefined : c.formatAddr(p.family, b), tc.bcast);
    assert.equal(c.canonicalCidr(tc.cidr), tc.canon);
  });
}

test('strict parsing', () => {
  for (const bad of ['10.1', '0x0a.0.0.1', '010.0.0.1', 'fe80::1%eth0', '10.0.0.0/33', '10.0.0.0/024', ''])
    assert.equal(c.tryParseAddr(bad) ?? c.tryParseCidr(bad), undefined, bad);
  assert.throws(() => c.parseCidr('x'), /not a CIDR/);
});

test('contains and overlaps', () => {
  const a = c.parseCidr('10.0.0.0/16');
  const b = c.parseCidr('10.0.5.0/24');
  assert.ok(c.overlaps(a, b) && c.overlaps(b, a) && c.containsCidr(a, b) && !c.containsCidr(b, a));
  assert.ok(!c.overlaps(a, c.parseCidr('10.1.0.0/16')));
  assert.ok(!c.overlaps(a, c.parseCidr('::/0')));
  assert.ok(c.contains(a, c.parseAddr('10.0.255.255')) && !c.contains(a, c.parseAddr('10.1.0.0')));
  assert.equal(c.size(b), 256n);
  assert.equal(c.parseCidr('10.0.0.7/24').address !== c.parseCidr('10.0.0.7/24').network, true);
});
