import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadDesiredState } from '../../src/desired/validate.js';
import { MAX_FILE_BYTES } from '../../src/desired/load.js';
import { ROOT, runCli, tempFiles } from '../helpers/cli.js';

const net = (name: string, subnet: string): string => `version: 1\nnetworks:\n  ${name}: {subnet: ${subnet}}\n`;

async function must(paths: string[], stdin?: string) {
  const r = await loadDesiredState(paths, stdin === undefined ? {} : { stdin });
  if (!r.ok) assert.fail(r.errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join('\n'));
  return r;
}

async function mustFail(paths: string[], opts = {}) {
  const r = await loadDesiredState(paths, opts);
  assert.equal(r.ok, false);
  return (r as { errors: { file: string; line: number; column: number; message: string }[] }).errors;
}

test('every example and netd.yaml validate', async () => {
  const ex = join(ROOT, 'examples');
  const files = [
    join(ROOT, 'netd.yaml'),
    ...readdirSync(ex)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(ex, f)),
    join(ex, 'overlay/host-a.yaml'),
    join(ex, 'overlay/host-b.yaml'),
  ];
  assert.ok(files.length >= 7);
  for (const f of files) {
    assert.match(
      readFileSync(f, 'utf8').split('\n')[0]!,
      /^# yaml-language-server: \$schema=(\.\.\/)+schemas\/netd\.schema\.json$|^# yaml-language-server: \$schema=\.\/schemas\/netd\.schema\.json$/,
      f,
    );
    await must([f]);
  }
  await must([ex, join(ROOT, 'netd.yaml')]); // the examples directory merges with the default
});

test('documents merge across files and documents, in order', async () => {
  const t = tempFiles({ 'a.yaml': `${net('a', '10.1.0.0/24')}---\n${net('b', '10.2.0.0/24')}`, 'b.yaml': net('c', '10.3.0.0/24') });
  try {
    const r = await must([t.path('b.yaml'), t.path('a.yaml')]);
    assert.deepEqual(
      r.state.networks.map((n) => n.name),
      ['c', 'a', 'b'],
    );
    assert.deepEqual(r.sources, [t.path('b.yaml'), t.path('a.yaml')]);
  } finally {
    t.remove();
  }
});

test('a directory means its *.yaml and *.yml files, sorted by name', async () => {
  const t = tempFiles({
    'd/20.yml': net('second', '10.2.0.0/24'),
    'd/10.yaml': net('first', '10.1.0.0/24'),
    'd/notes.txt': 'x',
    'd/sub/x.yaml': net('never', '10.9.0.0/24'),
  });
  try {
    const r = await must([t.path('d')]);
    assert.deepEqual(
      r.state.networks.map((n) => n.name),
      ['first', 'second'],
    );
  } finally {
    t.remove();
  }
});

test('stdin is "-", as a string or a stream', async () => {
  assert.equal((await must(['-'], net('s', '10.1.0.0/24'))).state.networks[0]!.name, 's');
  const r = await loadDesiredState(['-'], { stdin: Readable.from([net('t', '10.1.0.0/24')]) });
  assert.ok(r.ok && r.state.networks[0]!.loc.file === '<stdin>');
});

test('the same name in two files names both places', async () => {
  const t = tempFiles({ 'a.yaml': net('web', '10.1.0.0/24'), 'b.yaml': `\n${net('web', '10.2.0.0/24')}` });
  try {
    const [e, ...rest] = await mustFail([t.path('a.yaml'), t.path('b.yaml')]);
    assert.equal(rest.length, 0);
    assert.equal(`${e!.file}:${e!.line}:${e!.column}`, `${t.path('b.yaml')}:4:3`);
    assert.match(e!.message, new RegExp(`network "web" is declared twice \\(first at ${t.path('a.yaml')}:3:3\\)`));
  } finally {
    t.remove();
  }
});

test('a billion-laughs document fails fast', async () => {
  const rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) {
    const [p, c] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
    rows.push(`${c}: &${c} [${Array(9).fill(`*${p}`).join(',')}]`);
  }
  const t0 = performance.now();
  const [e] = await mustFail(['-'], { stdin: `${rows.join('\n')}\n` });
  assert.ok(performance.now() - t0 < 2000, 'took too long');
  assert.match(e!.message, /too many alias expansions/);
  assert.equal(`${e!.line}:${e!.column}`, '2:8');
});

test('non-UTF-8 bytes are reported where they are', async () => {
  const t = tempFiles({ 'l1.yaml': Buffer.concat([Buffer.from('version: 1\n# caf'), Buffer.from([0xe9]), Buffer.from('\n')]) });
  try {
    const [e] = await mustFail([t.path('l1.yaml')]);
    assert.deepEqual([e!.line, e!.column, e!.message], [2, 6, 'not valid UTF-8']);
  } finally {
    t.remove();
  }
});

test('files over 16 MiB are refused', async () => {
  const big = `version: 1\n#${'x'.repeat(MAX_FILE_BYTES)}\n`;
  const [e] = await mustFail(['-'], { stdin: big });
  assert.match(e!.message, /larger than 16 MiB/);
  const t = tempFiles({ 'big.yaml': big });
  try {
    const [f] = await mustFail([t.path('big.yaml')]);
    assert.match(f!.message, /larger than 16 MiB/);
  } finally {
    t.remove();
  }
});

test('missing files and empty directories are errors', async () => {
  const t = tempFiles({ 'empty/readme.txt': '' });
  try {
    const errs = await mustFail([t.path('nope.yaml'), t.path('empty')]);
    assert.deepEqual(errs.map((e) => e.message).sort(), ['directory has no *.yaml or *.yml files', 'no such file or directory']);
  } finally {
    t.remove();
  }
});

test('errors and their excerpts show control characters escaped, the caret still under the place', async () => {
  const t = tempFiles({ 'raw.yaml': 'version: 1\nnetworks:\n  n: {subnet: "\x1b[2J\u009b10.0.0.0/8", mtu: 1}\n' });
  try {
    const got = await runCli(['validate', '-f', t.path('raw.yaml')], { isTTY: true, env: { NO_COLOR: '1' } });
    assert.equal(got.code, 65);
    assert.ok(!['\x1b', '\u009b'].some((c) => got.stderr.includes(c)), got.stderr);
    const lines = got.stderr.split('\n');
    const i = lines.findIndex((l) => l.includes('mtu: 1 is out of range'));
    assert.equal(lines[i + 1], '    n: {subnet: "\\x1b[2J\\x9b10.0.0.0/8", mtu: 1}');
    assert.equal(lines[i + 1]![lines[i + 2]!.indexOf('^')], '1');
  } finally {
    t.remove();
  }
});

test('schema errors do not hide semantic ones; what was cut for them raises no follow-on errors', async () => {
  const yaml = [
    'version: 1',
    'cluster: {leaseTtl: 5}',
    'networks:',
    '  a: {subnet: 10.88.0.0/16}',
    '  b: {subnet: 10.88.1.0/24, mtuu: 1400}',
    '  x: {driver: overlayy}',
    '  o: {driver: overlay, subnet: 10.90.0.0/16}',
    'containers:',
    '  c: {}',
    '  d: {hostname: 5}',
    'attachments:',
    '  - {container: c, network: x}',
    '  - {container: d, network: a}',
    '  - {container: c, network: a, ipv4: 10.88.0.1}',
    '',
  ].join('\n');
  const errs = await mustFail(['-'], { stdin: yaml });
  assert.deepEqual(
    errs.map((e) => `${e.line}:${e.column}: ${e.message.replace(/;.*| \(.*/, '')}`),
    [
      '2:10: missing required field "etcd"',
      '2:21: 5 is out of range',
      '5:15: 10.88.1.0/24 overlaps network "a"',
      '5:29: unknown field "mtuu"',
      '6:15: must be one of bridge, host, null, overlay, not "overlayy"',
      '10:17: must be a string, not number 5',
      '14:38: 10.88.0.1 is the gateway of network "a"',
    ],
  );
});

test('a document that cannot be read makes no reference elsewhere undeclared', async () => {
  const t = tempFiles({
    'a.yaml': 'version: 1\nnetworks:\n  n: {subnet: [\n',
    'b.yaml': 'version: 1\ncontainers: {c: {}}\nattachments: [{container: c, network: n}]\n',
  });
  try {
    const errs = await mustFail([t.path('a.yaml'), t.path('b.yaml')]);
    assert.deepEqual([...new Set(errs.map((e) => e.file))], [t.path('a.yaml')]);
  } finally {
    t.remove();
  }
});

test('-o json and -o yaml keep the data and escape what a terminal would obey', async () => {
  const key = 'a\x1b[31m\u009b\u202e';
  const t = tempFiles({ 'esc.yaml': `version: 1\nnetworks:\n  ${JSON.stringify(key)}: {}\n` });
  try {
    for (const [o, parse] of [
      ['json', (s: string): unknown => JSON.parse(s)],
      ['yaml', (s: string): unknown => parseYaml(s)],
    ] as const) {
      const got = await runCli(['validate', '-o', o, '-f', t.path('esc.yaml')]);
      assert.equal(got.code, 65);
      assert.ok(!['\x1b', '\u009b', '\u202e'].some((c) => got.stdout.includes(c)), o);
      assert.equal((parse(got.stdout) as { path: string }[])[0]!.path, `networks[${JSON.stringify(key)}]`, o);
    }
  } finally {
    t.remove();
  }
});
