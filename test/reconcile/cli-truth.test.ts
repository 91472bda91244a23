/**
 * What the CLI says is what happened: the summary counts outcomes (a failed create is only
 * failed), a closed stdout ends quietly, and results are coloured by stdout's own terminal
 * (or FORCE_COLOR), never by stderr's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { ROOT, runCli, type RunOptions } from '../helpers/cli.js';
import { TestHost } from '../helpers/netd.js';

const YAML = `version: 1
networks:
  ta: { subnet: 10.99.0.0/24 }
  tb: { subnet: 10.99.1.0/24 }
  tc: { subnet: 10.99.2.0/24, bridge: brfail }
`;

let host: TestHost;
before(() => {
  host = new TestHost();
});
after(async () => {
  if (!skip) await host.teardown();
});

/**
 * An `ip` first on PATH that runs the real one, except that the batch line creating bridge
 * brfail asks for a link type the kernel does not know: a real kernel failure of one object.
 */
function failingIp(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'netd-ip-'));
  const real = execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim();
  writeFileSync(join(dir, 'ip'), `#!/bin/sh\nsed '/^link add brfail /s/ type bridge/ type nosuchkind/' | exec ${real} "$@"\n`);
  chmodSync(join(dir, 'ip'), 0o755);
  return { path: `${dir}:${process.env.PATH ?? ''}`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `netd apply` in a child process through iproute2 (NETD_NETLINK=0), so that a faked `ip` takes the work. */
function applyThroughIp(yaml: string, path: string): { code: number; stdout: string; stderr: string } {
  const argv = [join(ROOT, 'dist/src/cli/bin.js'), 'apply', '-f', host.file(yaml), '--state-dir', host.stateDir];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', env: { ...process.env, PATH: path, NETD_NETLINK: '0' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('the summary counts outcomes: 2 created, 1 failed when one of three creates fails', { skip }, async () => {
  const ip = failingIp();
  let r;
  try {
    r = applyThroughIp(YAML, ip.path);
  } finally {
    ip.remove();
  }
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /\+ create network tc/);
  assert.match(r.stderr, /error: create network "tc": ip: "link add brfail .*": Error: Unknown device type/);
  assert.match(r.stderr, /\n2 created, 0 deleted, 1 failed\n$/);
  const d = await host.diff(YAML, '-o', 'json');
  const left = (JSON.parse(d.stdout) as { changes: { action: string; name: string }[] }).changes.map((c) => `${c.action} ${c.name}`);
  assert.deepEqual(left, ['create tc'], 'only the failed network is still to do');
  const again = await host.apply(YAML);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /^1 created, 0 deleted, 0 failed$/m);
});

test('a closed stdout ends quietly: no stack trace, exit 0', { skip }, async () => {
  assert.equal((await host.apply(YAML)).code, 0);
  for (const argv of [['get', 'networks'], ['get', 'networks', '-o', 'json'], ['export'], ['--help']]) {
    const child = spawn(process.execPath, [join(ROOT, 'dist/src/cli/bin.js'), ...argv, '--state-dir', host.stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before netd writes a byte: its first write gets EPIPE
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(stderr, '', `${argv.join(' ')}: stderr`);
    assert.equal(code, 0, argv.join(' '));
  }
});

const PLUS = 'version: 1\nnetworks:\n  td: { subnet: 10.99.3.0/24 }\n';
for (const { name, opts, coloured } of [
  { name: 'stdout a terminal', opts: { stdoutTTY: true }, coloured: true },
  { name: 'only stderr a terminal', opts: { isTTY: true }, coloured: false },
  { name: 'no terminal, FORCE_COLOR=1', opts: { env: { FORCE_COLOR: '1' } }, coloured: true },
  { name: 'stdout a terminal, NO_COLOR=1', opts: { stdoutTTY: true, env: { NO_COLOR: '1' } }, coloured: false },
] as { name: string; opts: RunOptions; coloured: boolean }[]) {
  test(`a plan on stdout is coloured by stdout: ${name}`, { skip }, async () => {
    const r = await runCli(['diff', '-f', host.file(PLUS), '--state-dir', host.stateDir], opts);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout.includes('\x1b[32m+ create network td\x1b[0m'), coloured, JSON.stringify(r.stdout));
    assert.match(r.stdout, /\+ create network td/);
  });
}

test('on a terminal, apply says which long phase it is in; without one it says nothing of it', { skip }, async () => {
  const yaml = 'version: 1\nnetworks:\n  tp: { subnet: 10.99.4.0/24 }\ncontainers:\n  tp1: {}\nattachments:\n  - { container: tp1, network: tp }\n';
  const apply = (text: string, opts: RunOptions = {}) => runCli(['apply', '--yes', '-f', host.file(text), '--state-dir', host.stateDir], opts);
  const tty = await apply(yaml, { isTTY: true });
  assert.equal(tty.code, 0, tty.stderr);
  assert.match(tty.stderr, /^reading the store and the kernel…$/m);
  assert.match(tty.stderr, /^applying \d+ changes…$/m);
  assert.match(tty.stderr, /building: 1\/1 namespaces\n/);
  assert.match(tty.stderr, /^verifying…$/m);
  const plain = await apply(yaml.replace('tp1: {}', 'tp1: {}\n  tp2: {}'));
  assert.equal(plain.code, 0, plain.stderr);
  assert.doesNotMatch(plain.stderr, /…/);
});
