import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { runCli, tempFiles } from '../helpers/cli.js';
import { CASES } from './invalid-cases.js';

// Errors name the file as given on the command line: run from a temp dir with -f in.yaml.
const tmp = tempFiles({});
const cwd = process.cwd();
before(() => process.chdir(tmp.dir));
after(() => {
  process.chdir(cwd);
  tmp.remove();
});

test('the table has enough cases', () => assert.ok(CASES.length >= 180, `${CASES.length} cases`));

for (const tc of CASES) {
  test(`invalid: ${tc.name}`, async () => {
    writeFileSync(tmp.path('in.yaml'), tc.yaml);
    const got = await runCli(['validate', '-f', 'in.yaml']);
    assert.equal(got.code, 65, got.stderr);
    const line = got.stderr.split('\n').find((l) => l.startsWith(`in.yaml:${tc.at}: `) && l.includes(tc.fragment));
    assert.ok(line, `want in.yaml:${tc.at}: …${tc.fragment}…\ngot:\n${got.stderr}`);
  });
}
