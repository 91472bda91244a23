/**
 * Pre-flight in the throwaway host: what only the running host can tell is checked before the
 * first write; a refusal exits 1, names the object and the fix, and changes nothing — not the
 * store, links, addresses, routes, namespaces, /etc/netns or nft.
 *
 * The test process lives in the throwaway's root namespace, so /proc/<its pid>/ns/net is the
 * namespace netd runs in. (/proc/1/ns/net is the real machine's: never used here.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { runCli, ROOT } from '../helpers/cli.js';
import { TestHost } from '../helpers/netd.js';
import { loadRecorded } from '../../src/reconcile/snapshot.js';
import { namespacePreflight, nsIdentity, type NsIdentity } from '../../src/reconcile/preflight.js';
import type { DesiredState } from '../../src/desired/types.js';

const sh = (...argv: string[]): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const json = <T>(...argv: string[]): T[] => JSON.parse(sh(...argv)) as T[];

const BASE = `version: 1
networks:
  pf: { subnet: 10.97.0.0/24 }
containers:
  pf1: {}
attachments:
  - { container: pf1, network: pf }
`;
/** BASE and one more container on network pf. */
const plus = (container: string, extra = ''): string =>
  BASE.replace('  pf1: {}\n', `  pf1: {}\n  ${container}\n`) + `  - { container: ${container.split(':')[0]}, network: pf }\n${extra}`;

/** A pid no process has. */
function unusedPid(): number {
  let pid = 999_999;
  while (existsSync(`/proc/${pid}`)) pid++;
  return pid;
}

let host: TestHost;
before(async () => {
  host = new TestHost();
  if (!skip) assert.equal((await host.apply(BASE)).code, 0);
});
after(async () => {
  if (!skip) await host.teardown();
});

async function records(): Promise<unknown> {
  const e = await host.engine();
  try {
    return await loadRecorded(e.store);
  } finally {
    await e.store.close();
  }
}

/**
 * Everything an apply could change, without what the kernel changes by itself (operstate,
 * IPv6 link-local addresses and their routes once DAD is done, namespace ids assigned lazily).
 */
async function snapshot(): Promise<Record<string, unknown>> {
  type Link = { ifname: string; mtu: number; master?: string; address?: string; ifalias?: string; flags: string[] };
  type Addr = { ifname: string; addr_info: { local: string; prefixlen: number }[] };
  return {
    links: json<Link>('ip', '-j', 'link', 'show').map((l) => [l.ifname, l.mtu, l.master, l.address, l.ifalias, l.flags.includes('UP')]),
    addresses: json<Addr>('ip', '-j', 'addr', 'show').map((a) => [
      a.ifname,
      a.addr_info
        .filter((i) => !linkLocal(i.local))
        .map((i) => `${i.local}/${i.prefixlen}`)
        .sort(),
    ]),
    routes: json<{ dst: string; gateway?: string; dev?: string; table?: string }>('ip', '-j', 'route', 'show', 'table', 'all')
      .filter((r) => !linkLocal(r.dst) && !r.dst.startsWith('ff00:'))
      .map((r) => [r.dst, r.gateway, r.dev, r.table]),
    netns: sh('ip', 'netns', 'list').replace(/ \(id: \d+\)/g, ''),
    etcNetns: readdirSync('/etc/netns'),
    nft: sh('nft', 'list', 'ruleset'),
    records: await records(),
  };
}

const linkLocal = (a: string): boolean => a.startsWith('fe80:');

interface Case {
  name: string;
  setup?: () => void;
  yaml: () => string;
  stderr: RegExp;
  cleanup?: () => void;
}

const cases: Case[] = [
  {
    name: 'a container in the namespace netd runs in (/proc/<pid of this process>/ns/net)',
    yaml: () => plus(`evil: { netns: /proc/${process.pid}/ns/net }`),
    stderr: /container "evil": netns \/proc\/\d+\/ns\/net is the host's network namespace \(the one netd or init runs in\): a container can never be the host/,
  },
  {
    name: 'an adopted /proc path whose process does not exist',
    yaml: () => plus(`gone: { netns: /proc/${unusedPid()}/ns/net }`),
    stderr: /container "gone": netns \/proc\/\d+\/ns\/net does not exist: start the container's process first/,
  },
  {
    name: 'a namespace name bound to the namespace netd runs in (ip netns attach)',
    setup: () => sh('ip', 'netns', 'attach', 'pfhost', String(process.pid)),
    yaml: () => plus('pfh: { netns: pfhost, adopt: true }'),
    stderr: /container "pfh": netns \/run\/netns\/pfhost is the host's network namespace/,
    cleanup: () => sh('ip', 'netns', 'del', 'pfhost'),
  },
  {
    name: 'an adopted /run/netns entry that is a plain file',
    setup: () => writeFileSync('/run/netns/pfplain', ''),
    yaml: () => plus('pfp: { netns: /run/netns/pfplain, adopt: true }'),
    stderr: /container "pfp": netns \/run\/netns\/pfplain is not a network namespace/,
    cleanup: () => rmSync('/run/netns/pfplain'),
  },
  {
    name: 'an adopted /run/netns entry bound to a namespace of another type (uts)',
    setup: () => {
      writeFileSync('/run/netns/pfuts', '');
      sh('mount', '--bind', '/proc/self/ns/uts', '/run/netns/pfuts');
    },
    yaml: () => plus('pfu: { netns: /run/netns/pfuts, adopt: true }'),
    stderr: /container "pfu": netns \/run\/netns\/pfuts is not a network namespace \(another kind of namespace or file\)/,
    cleanup: () => {
      sh('umount', '/run/netns/pfuts');
      rmSync('/run/netns/pfuts');
    },
  },
  {
    name: "an existing namespace that is not netd's, without adopt",
    setup: () => sh('ip', 'netns', 'add', 'pfns'),
    yaml: () => plus('pfn: { netns: pfns }'),
    stderr: /container "pfn": namespace "pfns" exists and is not netd's: declare adopt: true to use it/,
    cleanup: () => sh('ip', 'netns', 'del', 'pfns'),
  },
  {
    name: "an existing bridge that is not netd's, without adopt, found before anything else is created",
    setup: () => sh('ip', 'link', 'add', 'pfbr', 'type', 'bridge'),
    yaml: () => `${plus('pf2: {}')}`.replace('networks:\n', 'networks:\n  pfa: { subnet: 10.97.1.0/24 }\n  pfb: { subnet: 10.97.2.0/24, bridge: pfbr }\n'),
    stderr: /network "pfb": bridge "pfbr" exists and is not netd's: declare adopt: true to use it, or choose another bridge name/,
    cleanup: () => sh('ip', 'link', 'del', 'pfbr'),
  },
  {
    name: 'a declared bridge name taken by a veth, even with adopt',
    setup: () => sh('ip', 'link', 'add', 'pfv0', 'type', 'veth', 'peer', 'name', 'pfv1'),
    yaml: () => BASE.replace('networks:\n', 'networks:\n  pfc: { subnet: 10.97.3.0/24, bridge: pfv0, adopt: true }\n'),
    stderr: /network "pfc": "pfv0" exists and is a veth, not a bridge: choose another bridge name/,
    cleanup: () => sh('ip', 'link', 'del', 'pfv0'),
  },
  {
    name: 'two containers in one namespace, spelled as two names bound to it',
    setup: () => {
      sh('ip', 'netns', 'add', 'pfh1');
      writeFileSync('/run/netns/pfh2', '');
      sh('mount', '--bind', '/run/netns/pfh1', '/run/netns/pfh2');
    },
    yaml: () => plus('pfs1: { netns: pfh1, adopt: true }\n  pfs2: { netns: /run/netns/pfh2 }', '  - { container: pfs2, network: pf }\n'),
    stderr:
      /container "pfs2": netns \/run\/netns\/pfh2 is the namespace of container "pfs1" \(\/run\/netns\/pfh1\): give each container a namespace of its own/,
    cleanup: () => {
      sh('umount', '/run/netns/pfh2');
      rmSync('/run/netns/pfh2');
      sh('ip', 'netns', 'del', 'pfh1');
    },
  },
  {
    name: 'a network without a subnet when the host routes cover the pools',
    setup: () => {
      sh('ip', 'link', 'add', 'pfpool', 'type', 'bridge');
      sh('ip', 'addr', 'add', '10.97.8.1/24', 'dev', 'pfpool');
    },
    yaml: () => `${plus('pf3: {}')}`.replace('networks:\n', 'addressPools: [{ base: 10.97.8.0/24, size: 24 }]\nnetworks:\n  pfq: {}\n'),
    stderr: /network "pfq": no free \/24 left in pool 10\.97\.8\.0\/24 \(1 in use\) \(the host's routes and resolvers take the rest\): declare a subnet/,
    cleanup: () => sh('ip', 'link', 'del', 'pfpool'),
  },
  {
    name: "a declared bridge name that is another network's derived bridge",
    yaml: () => {
      const bridge = sh('ip', '-o', 'link', 'show', 'type', 'bridge').match(/^\d+: (nd-[0-9a-f]{12})[:@]/m)![1]!;
      return plus('pf4: {}')
        .replace('networks:\n', `networks:\n  pfd: { subnet: 10.97.4.0/24, bridge: ${bridge} }\n`)
        .replace('pf4, network: pf', 'pf4, network: pfd');
    },
    stderr: /network "pfd": bridge "nd-[0-9a-f]{12}" is network "pf"'s: choose another bridge name/,
  },
  {
    name: 'an overlay network whose external interface does not exist',
    yaml: () =>
      `${BASE.replace('networks:\n', 'networks:\n  pfo: { driver: overlay, subnet: 10.98.0.0/16 }\n')}cluster:\n  etcd: { endpoints: ["http://192.0.2.1:2379"] }\n  publicInterface: nosuch0\n`,
    stderr: /pre-flight: cluster.publicInterface "nosuch0": no such interface on this host/,
  },
];

for (const tc of cases) {
  test(`pre-flight refuses with nothing changed: ${tc.name}`, { skip }, async () => {
    tc.setup?.();
    try {
      const was = await snapshot();
      const r = await host.apply(tc.yaml());
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, tc.stderr);
      assert.match(r.stderr, /nothing was changed\n$/);
      assert.equal(r.stdout, '', 'no plan is printed');
      assert.deepEqual(await snapshot(), was);
      assert.equal((await host.diff(BASE)).code, 0, 'the applied state is intact');
    } finally {
      tc.cleanup?.();
    }
  });
}

/** A directory on PATH with only the given tools. */
function pathWith(tools: string[]): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'netd-path-'));
  for (const t of tools) symlinkSync(sh('sh', '-c', `command -v ${t}`).trim(), join(dir, t));
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

test('pre-flight refuses a foreign bridge without creating the state dir', { skip }, async () => {
  const stateDir = join(host.dir, 'state-foreign');
  sh('ip', 'link', 'add', 'pfbr2', 'type', 'bridge');
  try {
    // host's objects carry netd's mark: to another state dir that is a lost state, which --force looks past.
    const r = await runCli([
      'apply',
      '--force',
      '-f',
      host.file(BASE.replace('{ subnet: 10.97.0.0/24 }', '{ subnet: 10.97.0.0/24, bridge: pfbr2 }')),
      '--state-dir',
      stateDir,
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /pre-flight: network "pf": bridge "pfbr2" exists and is not netd's/);
    assert.equal(existsSync(stateDir), false);
  } finally {
    sh('ip', 'link', 'del', 'pfbr2');
  }
});

test('pre-flight refuses an overlay without an external interface before the state dir exists', { skip }, async () => {
  const stateDir = join(host.dir, 'state-overlay');
  const yaml = `version: 1\ncluster:\n  etcd: { endpoints: ["http://192.0.2.1:2379"] }\n  publicInterface: nosuch0\nnetworks:\n  o: { driver: overlay, subnet: 10.98.0.0/16 }\n`;
  const r = await runCli(['apply', '-f', host.file(yaml), '--state-dir', stateDir]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /pre-flight: cluster.publicInterface "nosuch0": no such interface on this host/);
  assert.equal(existsSync(stateDir), false);
});

for (const { name, present, missing, command } of [
  {
    name: 'nft missing: apply',
    present: ['ip', 'nsenter'],
    missing: /pre-flight: "nft" is not installed \(not found on PATH\): install nftables/,
    command: 'apply',
  },
  {
    name: 'ip missing: apply',
    present: ['nft', 'nsenter'],
    missing: /pre-flight: "ip" is not installed \(not found on PATH\): install iproute2/,
    command: 'apply',
  },
  { name: 'nft missing: delete', present: ['ip', 'nsenter'], missing: /pre-flight: "nft" is not installed/, command: 'delete' },
]) {
  test(`pre-flight refuses before the state dir exists: ${name}`, { skip }, async () => {
    const tools = pathWith(present);
    const stateDir = join(host.dir, `state-${command}-${present.join('')}`);
    const saved = process.env.PATH;
    process.env.PATH = tools.path;
    try {
      const r = await runCli([command, '-f', host.file(BASE), '--state-dir', stateDir]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, missing);
      assert.equal(r.stderr.match(/not installed/g)?.length, 1, 'the missing tool is named once');
      assert.equal(existsSync(stateDir), false);
    } finally {
      process.env.PATH = saved;
      tools.remove();
    }
  });
}

test('doctor without nft: "install nftables" once, and no wrong advice', { skip }, async () => {
  const tools = pathWith(['ip', 'sysctl', 'nsenter']);
  const saved = process.env.PATH;
  process.env.PATH = tools.path;
  try {
    const r = await host.cli(['doctor', '-o', 'json']);
    assert.equal(r.code, 1, r.stderr);
    const problems = (JSON.parse(r.stdout) as { group: string; name: string; status: string; detail: string; fix?: string }[]).filter(
      (c) => c.status === 'problem',
    );
    assert.deepEqual(
      problems.map((c) => [`${c.group}/${c.name}`, c.detail, c.fix]),
      [['prerequisites/nftables', '"nft" is not installed (not found on PATH)', 'install nftables (apt-get install nftables)']],
    );
  } finally {
    process.env.PATH = saved;
    tools.remove();
  }
});

test('pre-flight without root: "run as root", nothing created; doctor says the same', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'netd-nonroot-'));
  chmodSync(dir, 0o755);
  const file = join(dir, 'in.yaml');
  writeFileSync(file, BASE);
  const nobody = (args: string[]): { code: number; stderr: string; stdout: string } => {
    try {
      const stdout = execFileSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, join(ROOT, 'dist/src/cli/bin.js'), ...args],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      return { code: 0, stdout, stderr: '' };
    } catch (e) {
      const x = e as { status: number; stderr: string; stdout: string };
      return { code: x.status, stdout: x.stdout, stderr: x.stderr };
    }
  };
  try {
    const fresh = join(dir, 'state');
    const r = nobody(['apply', '-f', file, '--state-dir', fresh]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /pre-flight: uid 65534 lacks CAP_NET_ADMIN: netd cannot change the network: run netd as root/);
    assert.doesNotMatch(r.stderr, /unable to open database file/);
    assert.equal(existsSync(fresh), false);
    // A state dir it may not enter (0700), then one it may enter but a database it may not open (0600).
    for (const mode of [0o700, 0o755]) {
      chmodSync(host.dir, mode);
      chmodSync(host.stateDir, mode);
      const d = nobody(['doctor', '-o', 'json', '--state-dir', host.stateDir]);
      const store = (JSON.parse(d.stdout) as { group: string; status: string; fix?: string }[]).filter((c) => c.group === 'store');
      assert.deepEqual(
        store.map((c) => [c.status, c.fix]),
        [['problem', 'run netd doctor as root']],
        `state dir mode ${mode.toString(8)}`,
      );
    }
  } finally {
    chmodSync(host.dir, 0o700);
    chmodSync(host.stateDir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('watch: a pass refused by pre-flight changes nothing, and the daemon goes on', { skip }, async () => {
  const file = host.file(plus(`evil: { netns: /proc/${process.pid}/ns/net }`));
  const was = await snapshot();
  const ac = new AbortController();
  const done = runCli(['watch', '-f', file, '--resync', '200ms', '--state-dir', host.stateDir], { signal: ac.signal });
  try {
    await sleep(1000); // the start pass and a few resyncs, each refused
    assert.deepEqual(await snapshot(), was);
    writeFileSync(file, plus('pfw: {}'));
    for (let i = 0; i < 150 && !sh('ip', 'netns', 'list').includes('pfw'); i++) await sleep(100);
  } finally {
    ac.abort();
  }
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  // Each refused pass is one JSON event naming the problem.
  assert.match(r.stderr, /"outcome":"refused","durationMs":\d+,"refused":\["container \\"evil\\": netns \/proc\/\d+\/ns\/net is the host's network namespace/);
  assert.match(sh('ip', 'netns', 'list'), /pfw/, 'the next good edit was applied');
  assert.equal((await host.apply(BASE)).code, 0);
});

// Read only: /proc/1/ns/net is the real machine's namespace, so it is only ever stat'ed here.
test("init's namespace is the host's, even seen from the throwaway host", { skip }, async () => {
  // 'self' where init's namespace can be read; where it cannot (no ptrace access), refused all the same.
  const init = await nsIdentity('/proc/1/ns/net');
  assert.ok(init === 'self' || typeof init === 'object', JSON.stringify(init));
  assert.equal(await nsIdentity(`/proc/${process.pid}/ns/net`), 'self');
});

test('which namespaces pre-flight refuses, by what they are', async () => {
  const desired = async (c: string): Promise<DesiredState> => host.desired(`version: 1\ncontainers:\n  c: ${c}\n`);
  const table: { netns: string; id: NsIdentity; want?: RegExp }[] = [
    { netns: '{ netns: /proc/4242/ns/net }', id: 'ok' },
    { netns: '{ netns: /proc/4242/ns/net }', id: 'missing', want: /does not exist/ },
    { netns: '{ netns: /proc/4242/ns/net }', id: 'self', want: /can never be the host/ },
    { netns: '{ netns: /proc/4242/ns/net }', id: 'not-netns', want: /is not a network namespace/ },
    { netns: '{ netns: /proc/4242/ns/net }', id: { error: 'EACCES' }, want: /cannot be read \(EACCES\): run netd as root/ },
    { netns: '{ netns: /proc/4242/ns/net }', id: { error: 'spawn nsenter ENOENT' }, want: /cannot be checked: spawn nsenter ENOENT/ },
    { netns: '{}', id: 'missing' },
    { netns: '{}', id: 'not-netns' }, // netd's own, interrupted `netns add`: apply replaces it
    { netns: '{}', id: 'self', want: /\/run\/netns\/c is the host's network namespace/ },
    { netns: '{ adopt: true }', id: 'ok' },
    { netns: '{ adopt: true }', id: 'not-netns', want: /\/run\/netns\/c is not a network namespace/ },
  ];
  for (const t of table) {
    const got = await namespacePreflight(await desired(t.netns), () => Promise.resolve(t.id));
    const what = `${t.netns} is ${JSON.stringify(t.id)}`;
    if (t.want) assert.match(got.join('\n'), t.want, what);
    else assert.deepEqual(got, [], what);
  }
});

test('pre-flight enters (a process each) only paths and adopted names; a name netd creates is stat-ed', async () => {
  const d = await host.desired('version: 1\ncontainers:\n  own: {}\n  adopted: { adopt: true }\n  bypath: { netns: /proc/4242/ns/net }\n');
  const asked: [string, boolean][] = [];
  await namespacePreflight(d, (path, enter) => {
    asked.push([path, enter]);
    return Promise.resolve('ok');
  });
  assert.deepEqual(
    new Map(asked),
    new Map([
      ['/run/netns/own', false],
      ['/run/netns/adopted', true],
      ['/proc/4242/ns/net', true],
    ]),
  );
});

test('a state dir that is a regular file is named as such, by apply and by doctor', { skip }, async () => {
  const file = join(host.dir, 'not-a-dir');
  writeFileSync(file, 'x');
  const r = await runCli(['apply', '-f', host.file(BASE), '--state-dir', file]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /pre-flight: state dir \S+not-a-dir is not a directory: pass --state-dir DIR/);
  const d = await runCli(['doctor', '--state-dir', file]);
  assert.match(d.stdout, /is not a directory/);
  assert.equal(readFileSync(file, 'utf8'), 'x');
});

test('on a host with no state yet, an unowned bridge is refused before the state dir is created', { skip }, async () => {
  sh('ip', 'link', 'add', 'pfbr2', 'type', 'bridge');
  const stateDir = join(host.dir, 'state-fresh');
  try {
    const yaml = BASE.replace('networks:\n', 'networks:\n  pfd: { subnet: 10.97.4.0/24, bridge: pfbr2 }\n');
    // host's objects carry netd's mark: to another state dir that is a lost state, which --force looks past.
    const r = await runCli(['apply', '--force', '-f', host.file(yaml), '--state-dir', stateDir]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /pre-flight: network "pfd": bridge "pfbr2" exists and is not netd's/);
    assert.equal(existsSync(stateDir), false, 'no state dir, lock or database was created');
  } finally {
    sh('ip', 'link', 'del', 'pfbr2');
  }
});

test("a recorded namespace name now bound to the host's namespace is never entered nor deleted", { skip }, async () => {
  const yaml = plus('pfr: {}');
  assert.equal((await host.apply(yaml)).code, 0);
  const veths = (): string[] => json<{ ifname: string }>('ip', '-j', 'link', 'show', 'type', 'veth').map((l) => l.ifname);
  const before = veths();
  sh('ip', 'netns', 'del', 'pfr');
  // The veth of a deleted namespace goes a little after `netns del` returns: wait, so the snapshot below is stable.
  for (let i = 0; i < 200 && veths().length >= before.length; i++) await new Promise((r) => setTimeout(r, 10));
  sh('ip', 'netns', 'attach', 'pfr', String(process.pid));
  try {
    const was = await snapshot();
    for (const [what, r] of [
      ['apply', await host.apply(yaml)],
      ['prune', await host.apply(BASE)],
      ['delete', await host.cli(['delete'], yaml)],
    ] as const) {
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, /pre-flight: container "pfr": netns \/run\/netns\/pfr(, recorded by netd,)? is (now )?the host's network namespace/, what);
      assert.deepEqual(await snapshot(), was, `${what} changed nothing`);
    }
  } finally {
    sh('ip', 'netns', 'del', 'pfr');
  }
  assert.equal((await host.apply(BASE)).code, 0, 'once the name is gone, the prune goes through');
});
