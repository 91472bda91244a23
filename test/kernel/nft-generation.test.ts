/**
 * The nft ruleset generation (NFT_MSG_GETGEN) and the observation it saves: netd's tables are
 * listed only when the generation moved since they were last listed, or since netd's own load
 * when nothing else wrote around it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { assertNoLeaks, kernelSkip } from '../helpers/kernel.js';
import {
  applyRuleset,
  buildRuleset,
  CountingRunner,
  deleteTables,
  diffRuleset,
  ExecRunner,
  KernelError,
  observeRuleset,
  type FirewallInput,
  type ObservedRuleset,
  type RunOptions,
  type RunResult,
  type Runner,
} from '../../src/kernel/index.js';
import { netlinkStatus } from '../../src/kernel/netlink/addon.js';
import { decodeMsgs } from '../../src/kernel/netlink/codec.js';
import { decodeGen, getGen, rulesetGeneration, rulesetTables } from '../../src/kernel/netlink/nfgen.js';
import { nextGeneration } from '../../src/kernel/nft-cache.js';
import { twoNetworks } from './nft-input.js';

const status = netlinkStatus();
const skip = kernelSkip || (status.loaded ? false : `netlink addon not loaded: ${status.reason}`);
const nft = (...args: string[]): string => execFileSync('nft', args, { encoding: 'utf8' });
const generation = (): number => rulesetGeneration(status.loaded ? status.addon : (undefined as never));

after(() => {
  if (!skip) assertNoLeaks();
});

test('the request and a reply: nfgenmsg, NFTA_GEN_ID big-endian, then the ACK', () => {
  const [m] = decodeMsgs(getGen(5));
  assert.deepEqual([m!.type, m!.flags, m!.seq, m!.body.length], [0x0a10, 0x5, 5, 4]);
  // Captured from the kernel (6.18): NFT_MSG_NEWGEN (generation 1, pid, "node"), then the ACK.
  const reply = Buffer.from(
    '300000000f0a000005000000322b00000000000108000100000000010800020000002b32090003006e6f646500000000' +
      '240000000200000105000000322b00000000000014000000100a05000500000000000000',
    'hex',
  );
  assert.equal(decodeGen(reply), 1);
  const refused = Buffer.from('240000000200000105000000322b0000ffffffff14000000100a05000500000000000000', 'hex');
  assert.throws(
    () => decodeGen(refused),
    (e) => e instanceof KernelError && e.kind === 'forbidden',
  );
});

test('the generation moves by one with every ruleset change, whoever makes it', { skip }, () => {
  const g0 = generation();
  nft('add', 'table', 'ip', 'nlw-gen');
  const g1 = generation();
  nft('delete', 'table', 'ip', 'nlw-gen');
  assert.deepEqual([g1, generation()], [nextGeneration(g0), nextGeneration(g1)]);
});

test('the generation after the last one wraps to 1 (0 is skipped)', () => {
  assert.deepEqual([0, 41, 0xfffffffe, 0xffffffff].map(nextGeneration), [1, 42, 0xffffffff, 1]);
});

test('the table dump names every table by family; only the tables there are listed, none on a host without them', { skip }, async () => {
  const made = [
    ['ip', 'nlw-t4'],
    ['ip6', 'nlw-t6'],
    ['inet', 'nlw-ti'],
    ['bridge', 'nlw-tb'],
    ['netdev', 'nlw-tn'],
    ['arp', 'nlw-ta'],
  ];
  for (const [f, n] of made) nft('add', 'table', f!, n!);
  try {
    const tables = rulesetTables(status.loaded ? status.addon : (undefined as never));
    for (const [f, n] of made) assert.ok(tables.has(`${f} ${n}`), `${f} ${n} in ${[...tables].join(', ')}`);
    const c = new CountingRunner(new ExecRunner());
    assert.deepEqual(await observeRuleset(c, undefined), { tables: [] });
    assert.equal(c.calls, 0, 'none of netd tables is there: no nft process');
  } finally {
    for (const [f, n] of made) nft('delete', 'table', f!, n!);
  }
});

test('netd tables are listed once per generation; a wrapped runner always lists', { skip }, async () => {
  const c = new CountingRunner(new ExecRunner());
  nft('add', 'table', 'inet', 'netd'); // someone else's table by netd's name: listed (and found foreign)
  try {
    const first = await observeRuleset(c, undefined);
    assert.equal(c.calls, 2, 'a new generation: the one table there listed (rules, comment)');
    assert.deepEqual(
      first.tables.map((t) => [t.family, t.name, t.marked]),
      [['inet', 'netd', false]],
    );
    assert.deepEqual(await observeRuleset(c, undefined), first);
    assert.equal(c.calls, 2, 'the same generation: not listed again');
    nft('add', 'table', 'ip', 'nlw-gen2');
    await observeRuleset(c, undefined);
    assert.equal(c.calls, 4, "someone else's change: listed again");
    nft('delete', 'table', 'ip', 'nlw-gen2');
    const viaIp: Runner = { run: (argv, opts) => c.run(argv, opts) };
    await observeRuleset(viaIp, undefined);
    await observeRuleset(viaIp, undefined);
    assert.equal(c.calls, 4 + 2 * 6, 'without the addon path: all three of netd tables tried every time');
  } finally {
    nft('delete', 'table', 'inet', 'netd');
  }
});

/** netd's tables as listed (a wrapped runner never takes the cache), rule handles dropped. */
async function listedWithoutHandles(): Promise<ObservedRuleset> {
  const plain: Runner = { run: (argv, opts) => new ExecRunner().run(argv, opts) };
  const { tables } = await observeRuleset(plain, undefined);
  return { tables: tables.map((t) => ({ ...t, chains: t.chains.map((c) => ({ ...c, rules: c.rules.map(({ handle: _, ...rest }) => rest) })) })) };
}

/** nft's writer racing netd's load: right after `nft -f` returns, before netd reads the generation again. */
class RacedRunner extends ExecRunner {
  constructor(private readonly other: string[] | undefined) {
    super();
  }
  override async run(argv: string[], opts?: RunOptions): Promise<RunResult> {
    const r = await super.run(argv, opts);
    if (this.other && argv.includes('-f')) nft(...this.other);
    return r;
  }
}

const cases: { name: string; input: FirewallInput | undefined; other?: string[]; kept: boolean }[] = [
  { name: 'a load nothing raced: kept', input: twoNetworks, kept: true },
  { name: 'a delete nothing raced: kept (no tables)', input: undefined, kept: true },
  { name: 'another table created during the load: listed', input: twoNetworks, other: ['add', 'table', 'ip', 'nlw-race'], kept: false },
  {
    name: 'a rule added to netd’s table during the load: listed, and seen',
    input: twoNetworks,
    other: ['add', 'rule', 'inet', 'netd', 'forward', 'counter'],
    kept: false,
  },
];

for (const c of cases) {
  test(`netd's own load and the cache: ${c.name}`, { skip }, async () => {
    const counted = new CountingRunner(new RacedRunner(c.other));
    try {
      await (c.input ? applyRuleset(counted, undefined, c.input) : deleteTables(counted, undefined));
      counted.reset();
      const seen = await observeRuleset(counted, undefined);
      assert.equal(counted.calls === 0, c.kept, counted.log.map((l) => l.argv.join(' ')).join('\n'));
      // The oracle: what the load kept is what listing the kernel shows, save the handles.
      if (c.kept) assert.deepEqual(seen, await listedWithoutHandles());
      const drift = c.input ? diffRuleset(buildRuleset(c.input), seen) : seen.tables.map((t) => t.name);
      assert.equal(drift.length > 0, c.other?.includes('rule') === true, drift.join('\n'));
    } finally {
      await deleteTables(new ExecRunner(), undefined);
      if (c.other?.includes('nlw-race')) nft('delete', 'table', 'ip', 'nlw-race');
    }
  });
}
