/**
 * Sockets opened ahead (netlink/ahead.ts) against a fake addon: a run per open call, each
 * socket taken once, what failed to open left to its batch, what was not taken closed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Addon, SysError } from '../../src/kernel/netlink/addon.js';
import { SocketsAhead } from '../../src/kernel/netlink/ahead.js';

function fakeAddon(missing: ReadonlySet<string> = new Set()): { addon: Addon; opens: string[][]; closed: number[] } {
  const opens: string[][] = [];
  const closed: number[] = [];
  let next = 100;
  const open = (paths: readonly (string | null)[]): (number | SysError)[] => {
    opens.push(paths.map((p) => p!.split('/').at(-1)!));
    return paths.map((p) =>
      missing.has(p!.split('/').at(-1)!) ? Object.assign(new Error('no such namespace'), { code: 'ENOENT', errno: 2, syscall: 'open' }) : next++,
    );
  };
  const unused = (): never => assert.fail('not used by SocketsAhead');
  return {
    addon: {
      open,
      close: (fd) => void closed.push(fd),
      transact: unused,
      transactEach: unused,
      netnsAdd: unused,
      netnsDel: unused,
      writeIn: unused,
      cookie: unused,
    },
    opens,
    closed,
  };
}

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `ns${i}`);

test('sockets ahead: one open call per run of 64, in the order given', () => {
  const { addon, opens } = fakeAddon();
  const ahead = new SocketsAhead(addon, names(130));
  const fds = names(130).map((ns) => ahead.take(ns));
  assert.deepEqual(
    opens.map((o) => [o[0], o.length]),
    [
      ['ns0', 64],
      ['ns64', 64],
      ['ns128', 2],
    ],
  );
  assert.equal(new Set(fds).size, 130);
  assert.ok(fds.every((fd) => typeof fd === 'number'));
});

const cases: { name: string; missing?: string[]; take: string[]; want: (number | undefined)[]; opens: number; closed: number[] }[] = [
  { name: 'a socket is taken once: the second take opens nothing', take: ['ns0', 'ns0'], want: [100, undefined], opens: 1, closed: [101, 102] },
  { name: 'a namespace that failed to open is left to its batch', missing: ['ns1'], take: ['ns1', 'ns2'], want: [undefined, 100], opens: 1, closed: [] },
  { name: 'a namespace not in the order gets none', take: ['other'], want: [undefined], opens: 0, closed: [] },
  { name: 'taken out of order: the run starts at the one taken', take: ['ns2', 'ns0'], want: [100, 101], opens: 2, closed: [102] },
];

for (const c of cases) {
  test(`sockets ahead: ${c.name}`, () => {
    const { addon, opens, closed } = fakeAddon(new Set(c.missing));
    const ahead = new SocketsAhead(addon, names(3));
    assert.deepEqual(
      c.take.map((ns) => ahead.take(ns)),
      c.want,
    );
    assert.equal(opens.length, c.opens);
    ahead.close();
    assert.deepEqual(closed, c.closed, 'what was not taken is closed at the end');
  });
}
