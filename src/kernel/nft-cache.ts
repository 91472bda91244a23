/**
 * netd's nft tables without listing them: the tables as last listed are kept with the ruleset
 * generation they were listed at (netlink/nfgen.ts), and reused while the generation has not
 * moved — any change to any table bumps it. netd's own load keeps the tables it loaded, at
 * the generation its transaction made, when nothing else committed around it (loadKnown).
 * Kept in /run/netd, not the state dir: a generation counts from boot, per network namespace
 * (the entry names the namespace). Only with the addon and the real kernel; any trouble with
 * the cache is a miss (the tables are listed).
 */
import { closeSync, constants, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { netlinkWriter } from './netlink/apply.js';
import { rulesetGeneration, rulesetTables } from './netlink/nfgen.js';
import type { Addon } from './netlink/addon.js';
import type { Runner } from './exec.js';

export const NFT_CACHE_DIR = '/run/netd';
const FILE = `${NFT_CACHE_DIR}/nft-tables.json`;

interface Entry<T> {
  readonly netns: string;
  readonly generation: number;
  readonly ruleset: T;
}

function ownNetns(): string {
  const s = statSync('/proc/thread-self/ns/net');
  return `${s.dev}:${s.ino}`;
}

function load<T>(): Entry<T> | undefined {
  try {
    const fd = openSync(FILE, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return JSON.parse(readFileSync(fd, 'utf8')) as Entry<T>;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

function save<T>(entry: Entry<T>): void {
  try {
    mkdirSync(NFT_CACHE_DIR, { mode: 0o700, recursive: true });
    const tmp = `${FILE}.${process.pid}`;
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
    try {
      writeFileSync(fd, JSON.stringify(entry));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, FILE);
  } catch {
    // A cache: the next observation lists the tables again.
  }
}

/** The generation after one more commit: a u32 that skips 0 when it wraps (nf_tables_commit). */
export const nextGeneration = (g: number): number => (g >= 0xffffffff ? 1 : g + 1);

/** The generation, or undefined when it cannot be read (then nothing is kept). */
function generationOf(runner: Runner, addon: Addon): number | undefined {
  runner.note?.('nft generation', false);
  try {
    return rulesetGeneration(addon);
  } catch {
    return undefined;
  }
}

/**
 * Runs netd's load (one `nft -f` transaction that defines its tables whole) and keeps
 * `loaded` as the host's tables at the generation after it, when that generation is exactly
 * one commit past the one read before: the transaction is atomic, so the one commit is
 * netd's and the tables are what it loaded; any other writer meanwhile bumps the generation
 * again and nothing is kept (the next observation lists). The next observation — verify,
 * or the next run's diff — then reads them without listing while the generation holds.
 */
export async function loadKnown<T>(runner: Runner, load: () => Promise<void>, loaded: T): Promise<void> {
  const addon = netlinkWriter(runner);
  const before = addon && generationOf(runner, addon);
  await load();
  if (before === undefined) return;
  const after = generationOf(runner, addon!);
  if (after === nextGeneration(before)) save({ netns: ownNetns(), generation: after, ruleset: loaded });
}

/**
 * The host's ruleset view: from the cache when the generation it was listed at is current, else
 * listed (and kept). `list` is told which tables exist (`family name`, one netlink dump) so that
 * it starts no process for a table that is not there — all of them on a host netd has not set up.
 */
export async function cachedRuleset<T>(runner: Runner, list: (present?: ReadonlySet<string>) => Promise<T>): Promise<T> {
  const addon = netlinkWriter(runner);
  if (!addon) return list();
  const netns = ownNetns();
  const generation = rulesetGeneration(addon);
  runner.note?.('nft generation', false);
  const hit = load<T>();
  if (hit && hit.netns === netns && hit.generation === generation) return hit.ruleset;
  let present: Set<string> | undefined;
  try {
    present = rulesetTables(addon);
  } catch {
    present = undefined; // list them all, as without the addon
  }
  const ruleset = await list(present);
  // Listed in several processes: kept only when nothing changed meanwhile.
  if (rulesetGeneration(addon) === generation) save({ netns, generation, ruleset });
  return ruleset;
}
