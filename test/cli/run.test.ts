import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, runCli } from '../helpers/cli.js';
import { exitCodeOf } from '../../src/cli/run.js';
import { NetdError } from '../../src/errors.js';

/** Escape characters as ESC, so that the patterns need no control characters. */
const visible = (s: string): string => s.replaceAll('\x1b', 'ESC');

const BAD = 'version: 1\nnetworks:\n  n: {subnet: 10.88.0.7/24}\n';

const cases: {
  name: string;
  argv: string[];
  stdin?: string;
  env?: Record<string, string>;
  isTTY?: boolean;
  stdoutTTY?: boolean;
  code: number;
  stdout?: RegExp;
  stderr?: RegExp;
}[] = [
  { name: 'no command', argv: [], code: 64, stderr: /no command given/ },
  { name: '--help', argv: ['--help'], code: 0, stdout: /Commands:\n(?:.*\n)* {2}validate +check desired-state files/ },
  { name: 'help validate', argv: ['help', 'validate'], code: 0, stdout: /^Usage: netd validate -f PATH/ },
  { name: 'validate --help', argv: ['validate', '--help'], code: 0, stdout: /-f, --file <PATH> +a desired-state file, [^]*? \(repeatable\)\n/ },
  { name: 'version', argv: ['version'], code: 0, stdout: /^netd \d+\.\d+\.\d+/ },
  {
    name: 'version -o json: the version and the commit it was built from',
    argv: ['version', '-o', 'json'],
    code: 0,
    stdout: /"version":"\d[^"]*","commit":"[0-9a-f]{40}"/,
  },
  { name: 'help of an unknown command', argv: ['help', 'valdate'], code: 64, stderr: /^Usage: netd / },
  {
    name: 'a flag without its value',
    argv: ['get', 'networks', '-l'],
    code: 64,
    stderr: /^netd: flag -l, --selector <KEY=VALUE> needs a value\nrun "netd get --help"/,
  },
  { name: 'global flags after the command', argv: ['version', '--no-color', '-o', 'yaml'], code: 0, stdout: /^version: \d/ },
  { name: '--version belongs to the program', argv: ['apply', '--version'], code: 64, stderr: /unknown flag "--version"/ },
  { name: 'an unknown global flag', argv: ['--bogus', 'version'], code: 64, stderr: /^netd: unknown flag "--bogus"\nrun "netd --help"/ },
  { name: 'unknown command suggests', argv: ['valdate'], code: 64, stderr: /unknown command "valdate" \(did you mean "validate"\?\)\nrun "netd --help"/ },
  { name: 'unknown flag suggests', argv: ['validate', '--fil', 'x'], code: 64, stderr: /unknown flag "--fil" \(did you mean "--file"\?\)/ },
  { name: 'unexpected positional', argv: ['validate', 'x.yaml'], code: 64, stderr: /unexpected argument/ },
  { name: 'bad -o', argv: ['validate', '-o', 'xml', '-f', '-'], code: 64, stderr: /-o must be one of table, json, yaml/ },
  { name: 'bad --log-level', argv: ['--log-level', 'loud', 'version'], code: 64, stderr: /--log-level must be one of/ },
  { name: 'validate without -f', argv: ['validate'], code: 64, stderr: /-f PATH is required/ },
  {
    name: 'global flags before the command',
    argv: ['--state-dir', '/tmp/x', '-o', 'json', 'validate', '-f', join(ROOT, 'netd.yaml')],
    code: 0,
    stdout: /^\[\]\n$/,
  },
  { name: 'valid examples directory', argv: ['validate', '-f', join(ROOT, 'examples')], code: 0, stdout: /^valid: 5 networks, 8 containers, 9 attachments\n$/ },
  {
    name: 'invalid stdin',
    argv: ['validate', '-f', '-'],
    stdin: BAD,
    code: 65,
    stderr: /^<stdin>:3:15: networks\.n\.subnet: 10\.88\.0\.7\/24 has host bits set \(did you mean 10\.88\.0\.0\/24\?\)\n1 error\n$/,
  },
  { name: 'invalid -o yaml', argv: ['validate', '-o', 'yaml', '-f', '-'], stdin: BAD, code: 65, stdout: /- file: <stdin>\n {2}line: 3\n {2}column: 15/ },
  {
    name: 'caret excerpt on a terminal, no color',
    argv: ['validate', '-f', '-'],
    stdin: BAD,
    isTTY: true,
    env: { NO_COLOR: '1' },
    code: 65,
    stderr: /\n {2} {2}n: \{subnet: 10\.88\.0\.7\/24\}\n {2} {14}\^\n/,
  },
  { name: 'color on a terminal', argv: ['validate', '-f', '-'], stdin: BAD, isTTY: true, code: 65, stderr: /ESC\[1m<stdin>:3:15:ESC\[0m/ },
  { name: '--no-color on a terminal', argv: ['validate', '--no-color', '-f', '-'], stdin: BAD, isTTY: true, code: 65, stderr: /^<stdin>:3:15: / },
  {
    name: 'FORCE_COLOR colours a stderr that is no terminal',
    argv: ['validate', '-f', '-'],
    stdin: BAD,
    env: { FORCE_COLOR: '1' },
    code: 65,
    stderr: /^ESC\[1m<stdin>:3:15:ESC\[0m/,
  },
  {
    name: 'FORCE_COLOR wins over NO_COLOR',
    argv: ['validate', '-f', '-'],
    stdin: BAD,
    env: { FORCE_COLOR: '1', NO_COLOR: '1' },
    code: 65,
    stderr: /^ESC\[1m<stdin>/,
  },
  {
    name: 'FORCE_COLOR=0 on a terminal: no colour',
    argv: ['validate', '-f', '-'],
    stdin: BAD,
    isTTY: true,
    env: { FORCE_COLOR: '0' },
    code: 65,
    stderr: /^<stdin>:3:15: /,
  },
  {
    name: 'FORCE_COLOR="" colours, as in node',
    argv: ['validate', '-f', '-'],
    stdin: BAD,
    env: { FORCE_COLOR: '' },
    code: 65,
    stderr: /^ESC\[1m<stdin>/,
  },
  {
    name: 'FORCE_COLOR=false on a terminal: no colour',
    argv: ['validate', '-f', '-'],
    stdin: BAD,
    isTTY: true,
    env: { FORCE_COLOR: 'false' },
    code: 65,
    stderr: /^<stdin>:3:15: /,
  },
  {
    name: '--no-color wins over FORCE_COLOR',
    argv: ['validate', '--no-color', '-f', '-'],
    stdin: BAD,
    env: { FORCE_COLOR: '1' },
    code: 65,
    stderr: /^<stdin>:3:15: /,
  },
  { name: 'a terminal on stdout does not colour stderr', argv: ['validate', '-f', '-'], stdin: BAD, stdoutTTY: true, code: 65, stderr: /^<stdin>:3:15: / },
  { name: '-o=json', argv: ['version', '-o=json'], code: 0, stdout: /^\{"version":"\d/ },
  { name: '-o=json before the command', argv: ['-o=json', 'version'], code: 0, stdout: /^\{"version":"\d/ },
  { name: '-f=PATH', argv: ['validate', `-f=${join(ROOT, 'netd.yaml')}`], code: 0, stdout: /^valid: / },
  { name: '--version', argv: ['--version'], code: 0, stdout: /^netd \d+\.\d+\.\d+ \(commit [0-9a-f]{12}\) \(node v/ },
  { name: '--version -o json', argv: ['--version', '-o', 'json'], code: 0, stdout: /^\{"version":"\d/ },
  { name: 'validate accepts an empty stdin', argv: ['validate', '-f', '-'], stdin: '', code: 0, stdout: /^valid: 0 networks, 0 containers, 0 attachments\n$/ },
  { name: 'control characters in an unknown command are escaped', argv: ['val\x1b[2Jdate'], code: 64, stderr: /^netd: unknown command "val\\x1b\[2Jdate"/ },
  {
    name: 'control characters in a flag value are escaped',
    argv: ['validate', '-o', 'x\ny', '-f', '-'],
    code: 64,
    stderr: /^netd: -o must be one of table, json, yaml, not "x\\ny"\n/,
  },
  { name: 'a missing -f names the command once', argv: ['apply'], code: 64, stderr: /^netd apply: -f PATH is required\n$/ },
];

for (const tc of cases) {
  test(`cli: ${tc.name}`, async () => {
    const r = await runCli(tc.argv, tc);
    assert.equal(r.code, tc.code, r.stderr);
    if (tc.stdout) assert.match(visible(r.stdout), tc.stdout);
    if (tc.stderr) assert.match(visible(r.stderr), tc.stderr);
  });
}

test('cli: -o json prints the error list', async () => {
  const r = await runCli(['validate', '-o', 'json', '-f', '-'], { stdin: BAD });
  assert.equal(r.code, 65);
  assert.deepEqual(JSON.parse(r.stdout), [
    { file: '<stdin>', line: 3, column: 15, path: 'networks.n.subnet', message: '10.88.0.7/24 has host bits set (did you mean 10.88.0.0/24?)' },
  ]);
});

test('cli: repeated -f merge', async () => {
  const r = await runCli(['validate', '-f', join(ROOT, 'netd.yaml'), '-f', join(ROOT, 'examples/internal.yaml')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /valid: 2 networks, 4 containers, 4 attachments/);
});

test('cli: an invalid error thrown by a command that writes exits 1, never 65', () => {
  const invalid = new NetdError('invalid', 'host ip and container address differ in family');
  assert.equal(exitCodeOf(invalid, { writes: true }), 1);
  assert.equal(exitCodeOf(invalid, {}), 65);
  assert.equal(exitCodeOf(new NetdError('lock-timeout', 'locked'), { writes: true }), 75);
  assert.equal(exitCodeOf(new NetdError('usage', '--resync: "x" is not a duration'), { writes: true }), 64);
});
