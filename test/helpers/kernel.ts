/**
 * Guards for tests that touch the kernel: they run only inside the throwaway host made by
 * test/throwaway.ts, and they fail if they leave anything behind.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import assert from 'node:assert/strict';

export const inThrowaway = process.env.NETD_THROWAWAY === '1' && process.getuid?.() === 0;

/** For `test(name, { skip: kernelSkip }, …)`: the reason a kernel test cannot run here, or false. */
export const kernelSkip: string | false = inThrowaway ? false : 'needs root inside the throwaway host (npm test)';

function sh(argv: string[]): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Everything a test could have left in the throwaway host. */
export function kernelLeftovers(): string[] {
  const left: string[] = [];
  const links = JSON.parse(sh(['ip', '-json', 'link', 'show'])) as { ifname: string }[];
  for (const l of links) if (l.ifname !== 'lo') left.push(`link ${l.ifname}`);
  for (const n of readdirSync('/run/netns')) left.push(`netns ${n}`);
  for (const n of readdirSync('/etc/netns')) left.push(`/etc/netns/${n}`);
  const tables = sh(['nft', 'list', 'tables']).trim();
  if (tables) for (const t of tables.split('\n')) left.push(`nft ${t}`);
  return left;
}

export function assertNoLeaks(): void {
  assert.deepEqual(kernelLeftovers(), [], 'the test left objects in the throwaway host');
}
