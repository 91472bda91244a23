import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, tempFiles } from '../helpers/cli.js';
import { kernelSkip } from '../helpers/kernel.js';

// Special files must be refused before they are read: a FIFO blocks, /dev/zero never ends.
const t = tempFiles({ 'ok.yaml': 'version: 1\nnetworks:\n  n: {subnet: 10.88.0.0/24}\n' });
const server = createServer();
before(async () => {
  execFileSync('mkfifo', [t.path('fifo')]);
  mkdirSync(t.path('zero-dir'));
  symlinkSync('/dev/zero', t.path('zero-dir/a.yaml'));
  mkdirSync(t.path('fifo-dir'));
  symlinkSync(t.path('fifo'), t.path('fifo-dir/a.yaml'));
  symlinkSync(t.path('fifo'), t.path('fifo-link.yaml'));
  await new Promise<void>((resolve) => server.listen(t.path('sock'), resolve));
});
after(() => {
  server.close();
  t.remove();
});

/**
 * One CLI run in a child process, timed there: a regression that blocks on a FIFO or reads
 * /dev/zero forever is killed after 10 s and fails the test instead of hanging the suite.
 */
function runInChild(command: 'validate' | 'apply', files: string[], extra: string[] = []): { code: number; stderr: string; ms: number } {
  const helper = pathToFileURL(join(ROOT, 'dist/test/helpers/cli.js')).href;
  // The command's modules are loaded before the clock starts: it times the reading, not node's imports.
  const preload = ['dist/src/desired/validate.js', `dist/src/cli/commands/${command}.js`].map((m) => pathToFileURL(join(ROOT, m)).href);
  const script = `const { runCli } = await import(${JSON.stringify(helper)});
for (const m of ${JSON.stringify(preload)}) await import(m);
const t0 = performance.now();
const got = await runCli(JSON.parse(process.argv[1]));
process.stdout.write(JSON.stringify({ ...got, ms: performance.now() - t0 }));
process.exit(0);`;
  const argv = [command, ...files.flatMap((f) => ['-f', f]), ...extra];
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(argv)], { cwd: t.dir, timeout: 10_000, encoding: 'utf8' });
  return JSON.parse(out) as { code: number; stderr: string; ms: number };
}

const CASES: { name: string; files: string[]; want: string[] }[] = [
  { name: 'a FIFO', files: ['fifo'], want: ['fifo:1:1: not a regular file (a FIFO); to read a pipe, use -f -'] },
  { name: 'a symlink to a FIFO', files: ['fifo-link.yaml'], want: ['fifo-link.yaml:1:1: not a regular file (a FIFO)'] },
  { name: 'a *.yaml symlink to a FIFO in a directory', files: ['fifo-dir'], want: ['fifo-dir/a.yaml:1:1: not a regular file (a FIFO)'] },
  { name: '/dev/zero', files: ['/dev/zero'], want: ['/dev/zero:1:1: not a regular file (a character device)'] },
  {
    name: 'a *.yaml symlink to /dev/zero in a directory',
    files: ['zero-dir', 'ok.yaml'],
    want: ['zero-dir/a.yaml:1:1: not a regular file (a character device)'],
  },
  { name: 'a socket', files: ['sock'], want: ['sock:1:1: not a regular file (a socket)'] },
];

for (const tc of CASES) {
  test(`special file refused in under a second: ${tc.name}`, () => {
    const got = runInChild('validate', tc.files);
    assert.equal(got.code, 65, got.stderr);
    for (const w of tc.want)
      assert.ok(
        got.stderr.split('\n').some((l) => l.startsWith(w)),
        `want ${w}\ngot:\n${got.stderr}`,
      );
    assert.ok(got.ms < 1000, `took ${Math.round(got.ms)} ms`);
  });
}

// apply reads the same way; in the throwaway host, it is refused before any state dir exists.
for (const tc of CASES) {
  test(`special file refused by apply, nothing created: ${tc.name}`, { skip: kernelSkip }, () => {
    const stateDir = t.path(`state-${tc.name.replace(/[^a-z]/g, '')}`);
    const got = runInChild('apply', tc.files, ['--state-dir', stateDir]);
    assert.equal(got.code, 65, got.stderr);
    assert.ok(got.stderr.includes('not a regular file'), got.stderr);
    assert.ok(got.ms < 1000, `took ${Math.round(got.ms)} ms`);
    assert.equal(existsSync(stateDir), false);
  });
}
