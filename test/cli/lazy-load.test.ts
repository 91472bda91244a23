/**
 * Start-up cost: a command loads only what it runs. `version` and `get` load neither the kernel
 * layer (execa, the netlink addon) nor ajv's compiler; `validate` checks the schema with the
 * standalone validator the build wrote, not by compiling it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

const BIN = join(ROOT, 'dist/src/cli/bin.js');

// Records every module the CLI resolves (ESM through a resolve hook, CommonJS through
// require.cache), then runs bin.js with the given arguments; prints them on stderr at exit.
const PROBE = `
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (u) => seen.add(u));
port1.unref();
const hook = 'export function initialize(d) { globalThis.port = d.port }' +
  ' export async function resolve(s, c, next) { const r = await next(s, c); globalThis.port.postMessage(r.url); return r }';
register('data:text/javascript,' + encodeURIComponent(hook), import.meta.url, { data: { port: port2 }, transferList: [port2] });
process.on('exit', () => {
  for (const k of Object.keys(createRequire(import.meta.url).cache)) seen.add(k);
  process.stderr.write('\\nLOADED ' + JSON.stringify([...seen]) + '\\n');
});
process.argv = [process.argv[0], process.env.PROBE_BIN, ...JSON.parse(process.env.PROBE_ARGS)];
await import(process.env.PROBE_BIN);
`;

function loaded(args: string[]): { code: number | null; modules: string[] } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], {
    env: { ...process.env, NETD_BUNDLE: '0', PROBE_BIN: BIN, PROBE_ARGS: JSON.stringify(args) },
    encoding: 'utf8',
  });
  const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  assert.ok(line, r.stderr);
  return { code: r.status, modules: JSON.parse(line.slice('LOADED '.length)) as string[] };
}

const KERNEL = /\/src\/kernel\/(index|exec|observe|netlink\/)|\/node_modules\/execa\//;
const AJV_COMPILER = /\/node_modules\/ajv\/dist\/(core|2020|compile)/;

const state = mkdtempSync(join(tmpdir(), 'netd-lazy-'));
test.after(() => rmSync(state, { recursive: true, force: true }));

const cases: { name: string; args: string[]; code: number; never: RegExp[]; must?: RegExp }[] = [
  { name: 'version', args: ['version'], code: 0, never: [KERNEL, AJV_COMPILER, /\/node_modules\/ajv\//, /better-sqlite3/] },
  { name: 'get networks', args: ['get', 'networks', '--state-dir', state], code: 0, never: [KERNEL, AJV_COMPILER, /\/node_modules\/ajv\//] },
  {
    name: 'validate',
    args: ['validate', '-f', join(ROOT, 'netd.yaml')],
    code: 0,
    never: [KERNEL, AJV_COMPILER, /better-sqlite3/],
    must: /\/src\/desired\/netd-schema\.cjs$/,
  },
];

for (const c of cases) {
  test(`lazy loading: netd ${c.name}`, () => {
    const { code, modules } = loaded(c.args);
    assert.equal(code, c.code);
    for (const re of c.never)
      assert.deepEqual(
        modules.filter((m) => re.test(m)),
        [],
        `${c.name} loads ${re}`,
      );
    if (c.must)
      assert.ok(
        modules.some((m) => c.must!.test(m)),
        `${c.name} does not load ${c.must}`,
      );
  });
}

test('the build writes the standalone schema validator', () => {
  assert.ok(existsSync(join(ROOT, 'dist/src/desired/netd-schema.cjs')));
});
