/**
 * Every invalid input of the table, given to `apply` in the throwaway host: exit 65 means
 * nothing changed — no link besides lo, no namespace, no nft table, no /etc/netns entry, and
 * not even a state dir.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { runCli, tempFiles } from '../helpers/cli.js';
import { kernelLeftovers, kernelSkip as skip } from '../helpers/kernel.js';
import { CASES } from './invalid-cases.js';

// Errors name the file as given on the command line: run from a temp dir with -f in.yaml.
const tmp = tempFiles({});
const cwd = process.cwd();
before(() => process.chdir(tmp.dir));
after(() => {
  process.chdir(cwd);
  tmp.remove();
});

for (const [i, tc] of CASES.entries()) {
  test(`apply refuses, the host untouched: ${tc.name}`, { skip }, async () => {
    writeFileSync(tmp.path('in.yaml'), tc.yaml);
    const stateDir = tmp.path(`state-${i}`);
    const got = await runCli(['apply', '-f', 'in.yaml', '--state-dir', stateDir]);
    assert.equal(got.code, 65, got.stderr);
    assert.ok(got.stderr.includes(tc.fragment), `want …${tc.fragment}…\ngot:\n${got.stderr}`);
    assert.deepEqual(kernelLeftovers(), []);
    assert.equal(existsSync(stateDir), false, 'no state dir is created');
  });
}
