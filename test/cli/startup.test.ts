/** A command that needs little loads little: `netd version` loads no kernel layer, ajv or execa. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/cli.js';

/** The modules `node BIN ARGS` loads (ESM and what the ESM loader sees), as URLs: from the sources, or the bundle. */
function loaded(args: string[], bundle = false): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'netd-startup-'));
  try {
    const log = join(dir, 'modules');
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`,
    );
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
    );
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, join(ROOT, 'dist/src/cli/bin.js'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, NETD_BUNDLE: bundle ? '1' : '0' },
    });
    assert.equal(r.status, 0, r.stderr);
    return readFileSync(log, 'utf8').split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cases = [
  { name: 'version', argv: ['version'] },
  { name: '--help', argv: ['--help'] },
  { name: 'completion bash', argv: ['completion', 'bash'] },
];

for (const tc of cases) {
  test(`startup: netd ${tc.name} loads no kernel layer, ajv or execa`, () => {
    const modules = loaded(tc.argv);
    assert.ok(
      modules.some((m) => m.endsWith('/cli/run.js')),
      'the hook saw the CLI',
    );
    const heavy = modules.filter((m) => /\/src\/(kernel|reconcile|store)\/|node_modules\/(ajv|execa|better-sqlite3)\//.test(m));
    assert.deepEqual(heavy, []);
    assert.ok(modules.length < 40, `${modules.length} modules`);
  });
}

test('startup: the netd command runs the bundle the build made, which loads none of the sources', () => {
  const modules = loaded(['version'], true);
  assert.ok(
    modules.some((m) => m.endsWith('/dist/bundle/netd.js')),
    modules.join('\n'),
  );
  assert.deepEqual(
    modules.filter((m) => m.includes('/dist/src/') && !m.endsWith('/dist/src/cli/bin.js')),
    [],
  );
  assert.deepEqual(
    modules.filter((m) => /node_modules\/(ajv|execa|better-sqlite3)\//.test(m)),
    [],
  );
});
