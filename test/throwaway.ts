/**
 * Runs a command inside a throwaway host: a new network namespace and a private mount
 * namespace with its own tmpfs on /run (so its own /run/netns), /etc/netns and
 * /var/lib/netd, and sysfs remounted for the new network namespace. Nothing the command
 * does to links, namespaces, nft rules or those directories reaches the machine's own
 * root namespace.
 *
 *   node dist/test/throwaway.js node --test dist/test/
 *
 * Test files that touch the kernel refuse to run outside it (see helpers/kernel.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function run(argv: string[], inherit = false): number {
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: inherit ? 'inherit' : ['ignore', 'ignore', 'inherit'] });
  if (r.error) throw r.error;
  return r.status ?? 128 + 1;
}

function must(argv: string[]): void {
  const code = run(argv);
  if (code !== 0) {
    process.stderr.write(`throwaway: ${argv.join(' ')} exited ${code}\n`);
    process.exit(1);
  }
}

const args = process.argv.slice(2);
if (args.length === 0) {
  process.stderr.write('usage: throwaway.js COMMAND [ARG...]\n');
  process.exit(64);
}

if (process.env.NETD_THROWAWAY !== '1') {
  // Mount points must exist before the private mount namespace can cover them; they stay empty here.
  for (const d of ['/etc/netns', '/var/lib/netd']) mkdirSync(d, { recursive: true });
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync('unshare', ['--mount', '--net', '--propagation', 'private', '--', process.execPath, self, ...args], {
    stdio: 'inherit',
    env: { ...process.env, NETD_THROWAWAY: '1' },
  });
  if (r.error) throw r.error;
  process.exit(r.status ?? 1);
} else {
  for (const d of ['/run', '/etc/netns', '/var/lib/netd']) must(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', d]);
  mkdirSync('/run/netns', { recursive: true });
  must(['mount', '-t', 'sysfs', 'sysfs', '/sys']);
  must(['ip', 'link', 'set', 'lo', 'up']);
  process.exit(run(args, true));
}
