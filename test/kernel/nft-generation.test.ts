/**
 * The nft ruleset generation (NFT_MSG_GETGEN) and the observation it saves: netd's tables are
 * listed only when the generation moved since they were last listed.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { assertNoLeaks, kernelSkip } from '../helpers/kernel.js';
import { CountingRunner, ExecRunner, KernelError, observeRuleset, type Runner } from '../../src/kernel/index.js';
import { netlinkStatus } from '../../src/kernel/netlink/addon.js';
import { decodeMsgs } from '../../src/kernel/netlink/codec.js';
import { decodeGen, getGen, rulesetGeneration } from '../../src/kernel/netlink/nfgen.js';

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

test('the generation moves with every ruleset change, whoever makes it', { skip }, () => {
  const g0 = generation();
  nft('add', 'table', 'ip', 'nlw-gen');
  const g1 = generation();
  nft('delete', 'table', 'ip', 'nlw-gen');
  assert.ok(g1 > g0 && generation() > g1, `${g0} ${g1}`);
});

test('netd tables are listed once per generation; a wrapped runner always lists', { skip }, async () => {
  const c = new CountingRunner(new ExecRunner());
  nft('add', 'table', 'ip', 'nlw-gen');
  try {
    const first = await observeRuleset(c, undefined);
    const listed = c.calls;
    assert.ok(listed > 0, 'a new generation: listed');
    assert.deepEqual(await observeRuleset(c, undefined), first);
    assert.equal(c.calls, listed, 'the same generation: not listed again');
    nft('add', 'table', 'ip', 'nlw-gen2');
    await observeRuleset(c, undefined);
    assert.equal(c.calls, 2 * listed, "someone else's change: listed again");
    nft('delete', 'table', 'ip', 'nlw-gen2');
    const viaIp: Runner = { run: (argv, opts) => c.run(argv, opts) };
    await observeRuleset(viaIp, undefined);
    await observeRuleset(viaIp, undefined);
    assert.equal(c.calls, 4 * listed, 'without the addon path: listed every time');
  } finally {
    nft('delete', 'table', 'ip', 'nlw-gen');
  }
});
