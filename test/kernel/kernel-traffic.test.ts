/**
 * nft apply is atomic and re-apply is detected as a no-op; a TCP round trip crosses a
 * bridge built with this layer between two namespaces.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoLeaks, kernelSkip } from '../helpers/kernel.js';
import { tcpRoundTrip } from '../helpers/traffic.js';
import {
  ExecRunner,
  IpBatch,
  KernelError,
  addNamespace,
  applyRuleset,
  deleteNamespace,
  deleteTables,
  listNamespaces,
  loadScript,
  renderRuleset,
  runBatch,
  runBatches,
  rulesetDrift,
} from '../../src/kernel/index.js';
import { twoNetworks } from './nft-input.js';

const runner = new ExecRunner();
const skip = kernelSkip;

after(async () => {
  if (skip) return;
  await deleteTables(runner, undefined);
  for (const l of ['tt-v1', 'tt-v2', 'tt-br']) await runBatch(runner, undefined, new IpBatch().linkDel(l)).catch(() => undefined);
  for (const n of await listNamespaces(runner)) await deleteNamespace(runner, n.name);
  assertNoLeaks();
});

test('nft: apply, re-apply diffs to nothing, a broken script changes nothing', { skip }, async () => {
  assert.deepEqual(await rulesetDrift(runner, undefined, twoNetworks), [
    'table inet netd: missing',
    'table inet netd-nat: missing',
    'table bridge netd: missing',
  ]);
  await applyRuleset(runner, undefined, twoNetworks);
  assert.deepEqual(await rulesetDrift(runner, undefined, twoNetworks), []);
  const broken = renderRuleset({ ...twoNetworks, ports: [] }) + 'add rule inet netd forward counter bogus\n';
  await assert.rejects(loadScript(runner, undefined, broken), (e) => e instanceof KernelError && e.op === 'add rule inet netd forward counter bogus');
  assert.deepEqual(await rulesetDrift(runner, undefined, twoNetworks), [], 'the previous ruleset is intact');
  const fewer = await rulesetDrift(runner, undefined, { ...twoNetworks, ports: [] });
  assert.ok(fewer.length > 0 && fewer.every((d) => /extra rule/.test(d)), fewer.join('\n'));
  await deleteTables(runner, undefined);
  assert.equal((await rulesetDrift(runner, undefined, twoNetworks)).length, 3);
});

test('TCP round trip between two namespaces over a bridge', { skip }, async () => {
  await addNamespace(runner, 'tt-a');
  await addNamespace(runner, 'tt-b');
  const host = new IpBatch()
    .linkAddBridge('tt-br', { up: true })
    .linkAddVeth('tt-v1', 'eth0', { peerNetns: 'tt-a' })
    .linkAddVeth('tt-v2', 'eth0', { peerNetns: 'tt-b' })
    .linkSet('tt-v1', { master: 'tt-br', up: true })
    .linkSet('tt-v2', { master: 'tt-br', up: true });
  const inside = (addr: string): IpBatch => new IpBatch().linkSet('lo', { up: true }).linkSet('eth0', { up: true }).addrAdd('eth0', addr);
  await runBatches(runner, {
    host,
    namespaces: new Map([
      ['tt-a', inside('10.66.0.2/24')],
      ['tt-b', inside('10.66.0.3/24')],
    ]),
  });

  assert.ok(await tcpRoundTrip('tt-a', 'tt-b', '10.66.0.3'), 'tt-a → tt-b over tt-br');

  await runBatch(runner, undefined, new IpBatch().linkDel('tt-v1').linkDel('tt-v2').linkDel('tt-br'));
  await deleteNamespace(runner, 'tt-a');
  await deleteNamespace(runner, 'tt-b');
});
