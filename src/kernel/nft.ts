/**
 * Applying and observing netd's nftables tables (rendering: nft-render.ts). Apply is one
 * `nft -f -` transaction: the ruleset is either the old one or the new one (on the host the
 * tables it loaded count as observed while nothing else writes: nft-cache.ts). Observation
 * reads `nft -j list table` for each netd table (the host's only when the ruleset generation
 * moved: nft-cache.ts) and recognises rules by their comment, so an unchanged re-apply diffs
 * to nothing and the caller can skip the write. Whether a table
 * carries netd's marker comes from `nft list table`: nft 1.0.6's JSON omits table comments.
 */
import type { ChainView, TableView } from '../state/view.js';
import { TABLE_MARK } from '../state/marks.js';
import { KernelError, type Runner } from './exec.js';
import { cachedRuleset, loadKnown } from './nft-cache.js';
import { nsExecArgv, type NsRef } from './netns.js';
import { buildRuleset, renderRuleset, ruleId, NETD_TABLES, type FirewallInput, type Ruleset } from './nft-render.js';

export * from './nft-render.js';

/** Loads an nft script in one transaction; on error the previous ruleset is untouched. */
export async function loadScript(runner: Runner, ns: NsRef | undefined, script: string): Promise<void> {
  try {
    await runner.run(nsExecArgv(ns, ['nft', '-f', '-']), { input: script, write: true });
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    // nft names the failing line as "/dev/stdin:LINE:COL-COL: Error: …".
    const m = /:(\d+):\d+(?:-\d+)?: Error/.exec(e.stderr);
    const line = m ? Number(m[1]) : undefined;
    const op = line !== undefined ? script.split('\n')[line - 1]?.trim() : undefined;
    throw new KernelError({ argv: e.argv, stderr: e.stderr, exitCode: e.exitCode, kind: e.kind, op, line, cause: e });
  }
}

/** Loads a script that defines netd's tables whole; on the host, `tables` are kept as what the kernel then has (nft-cache.ts). */
function loadTables(runner: Runner, ns: NsRef | undefined, script: string, tables: ObservedTable[]): Promise<void> {
  const load = (): Promise<void> => loadScript(runner, ns, script);
  return ns === undefined ? loadKnown<ObservedRuleset>(runner, load, { tables }) : load();
}

export function applyRuleset(runner: Runner, ns: NsRef | undefined, input: FirewallInput): Promise<void> {
  const rs = buildRuleset(input);
  return loadTables(runner, ns, renderRuleset(rs), loadedTables(rs));
}

/** Removes netd's tables (absent ones included: `add` first makes `delete` always valid). */
export function deleteTables(runner: Runner, ns: NsRef | undefined): Promise<void> {
  return loadTables(runner, ns, NETD_TABLES.map((t) => `add table ${t.family} ${t.name}\ndelete table ${t.family} ${t.name}\n`).join(''), []);
}

/**
 * The tables as the kernel has them once `rs` is loaded: marked, its chains with policy
 * accept, each rule with its comment. The rule handles the kernel chose are not known.
 */
export function loadedTables(rs: Ruleset): ObservedTable[] {
  return rs.map((t) => ({
    family: t.family,
    name: t.name,
    marked: true,
    chains: t.chains.map((c) => ({
      name: c.name,
      ...(c.base ? { base: { ...c.base, policy: 'accept' } } : {}),
      rules: c.rules.map((r) => ({ comment: ruleId(t, c.name, r) })),
    })),
  }));
}

export interface ObservedChain extends ChainView {
  base?: { type: string; hook: string; priority: number; policy: string };
  rules: { handle?: number; comment?: string }[];
}

export interface ObservedTable extends TableView {
  /** The table carries netd's marker comment: without it, the table is an admin's. */
  marked: boolean;
  chains: ObservedChain[];
}

/** Why netd leaves a netd-named table alone: it lacks netd's marker. */
export const foreignTable = (t: { family: string; name: string }): string => `table ${t.family} ${t.name} exists and is not netd's (no netd marker)`;

/** The pre-flight problem a foreign table is: what it is, that nothing changes, and the fix. */
export const foreignTableProblem = (t: { family: string; name: string }): string =>
  `${foreignTable(t)}: netd will not load its rules over it nor delete it; delete or rename it (nft delete table ${t.family} ${t.name}), then run netd again`;

/** The comment `nft list table` prints on the line after the table's header, if any. */
export function parseTableComment(text: string): string | undefined {
  const m = /^table \S+ \S+ \{\n\tcomment "((?:[^"\\]|\\.)*)"$/m.exec(text);
  return m?.[1];
}

/** netd's tables as the kernel has them; a table that does not exist is absent. */
export interface ObservedRuleset {
  tables: ObservedTable[];
}

/** What the diff of a ruleset reads: observed tables, or the ones a snapshot kept. */
export interface RulesetView {
  readonly tables: readonly TableView[];
}

/** The parts of `nft -j` output netd reads; a chain's type and prio come with its hook. */
interface NftChain {
  family: string;
  table: string;
  name: string;
  type: string;
  hook?: string;
  prio: number;
  policy?: string;
}
interface NftJson {
  nftables: {
    table?: { comment?: unknown };
    chain?: NftChain;
    rule?: { chain: string; handle: number; comment?: unknown };
  }[];
}

/** A table from `nft -j list table`; `comment` from the text listing (newer nft puts it in the JSON too). */
export function parseNftJson(family: string, name: string, stdout: string, comment?: string): ObservedTable {
  const items = (JSON.parse(stdout) as NftJson).nftables;
  const chains = new Map<string, ObservedChain>();
  const marked = comment === TABLE_MARK || items.some((it) => it.table?.comment === TABLE_MARK);
  for (const it of items) {
    const c = it.chain;
    if (!c) continue;
    const chain: ObservedChain = { name: c.name, rules: [] };
    if (c.hook !== undefined) chain.base = { type: c.type, hook: c.hook, priority: c.prio, policy: c.policy ?? 'accept' };
    chains.set(c.name, chain);
  }
  for (const it of items) {
    const r = it.rule;
    if (!r) continue;
    const rule: { handle: number; comment?: string } = { handle: r.handle };
    if (typeof r.comment === 'string') rule.comment = r.comment;
    chains.get(r.chain)?.rules.push(rule);
  }
  return { family, name, marked, chains: [...chains.values()] };
}

/** netd's tables in a namespace; the host's from the cache while the ruleset generation has not moved (nft-cache.ts). */
export function observeRuleset(runner: Runner, ns: NsRef | undefined): Promise<ObservedRuleset> {
  return ns === undefined ? cachedRuleset(runner, (present) => listRuleset(runner, ns, present)) : listRuleset(runner, ns);
}

/** netd's tables, each listed (JSON for the rules, text for the table's comment); only those in `present` when it is known. */
async function listRuleset(runner: Runner, ns: NsRef | undefined, present?: ReadonlySet<string>): Promise<ObservedRuleset> {
  const tables = await Promise.all(
    NETD_TABLES.filter((t) => present === undefined || present.has(`${t.family} ${t.name}`)).map(async (t) => {
      try {
        const [json, text] = await Promise.all(['-j', '-t'].map((flag) => runner.run(nsExecArgv(ns, ['nft', flag, 'list', 'table', t.family, t.name]))));
        return parseNftJson(t.family, t.name, json!.stdout, parseTableComment(text!.stdout));
      } catch (e) {
        if (e instanceof KernelError && e.kind === 'not-found') return undefined;
        throw e;
      }
    }),
  );
  return { tables: tables.filter((t): t is ObservedTable => t !== undefined) };
}

/** What differs between the ruleset netd would load and the one the kernel has; [] = in sync. */
export function diffRuleset(want: Ruleset, have: RulesetView): string[] {
  const out: string[] = [];
  for (const t of want) {
    const label = `table ${t.family} ${t.name}`;
    const ht = have.tables.find((h) => h.family === t.family && h.name === t.name);
    if (!ht) {
      out.push(`${label}: missing`);
      continue;
    }
    if (!ht.marked) {
      out.push(foreignTable(t));
      continue;
    }
    for (const c of t.chains) {
      const hc = ht.chains.find((h) => h.name === c.name);
      const where = `${label} chain ${c.name}`;
      if (!hc) {
        out.push(`${where}: missing`);
        continue;
      }
      const wantBase = c.base ? `${c.base.type} hook ${c.base.hook} priority ${c.base.priority} policy accept` : 'regular';
      const haveBase = hc.base ? `${hc.base.type} hook ${hc.base.hook} priority ${hc.base.priority} policy ${hc.base.policy}` : 'regular';
      if (wantBase !== haveBase) out.push(`${where}: ${haveBase}, want ${wantBase}`);
      out.push(
        ...diffRules(
          where,
          c.rules.map((r) => ({ text: r, id: ruleId(t, c.name, r) })),
          hc.rules,
        ),
      );
    }
    for (const hc of ht.chains) if (!t.chains.some((c) => c.name === hc.name)) out.push(`${label} chain ${hc.name}: extra`);
  }
  return out;
}

function diffRules(where: string, want: { text: string; id: string }[], have: ChainView['rules']): string[] {
  const out: string[] = [];
  const haveIds = have.map((r) => r.comment ?? '');
  const wantIds = new Set(want.map((r) => r.id));
  for (const r of want) if (!haveIds.includes(r.id)) out.push(`${where}: rule missing: ${r.text}`);
  for (const r of have) {
    if (wantIds.has(r.comment ?? '')) continue;
    const what = [r.handle !== undefined ? `handle ${r.handle}` : undefined, r.comment ? `comment "${r.comment}"` : undefined];
    out.push(`${where}: extra rule (${what.filter((w) => w !== undefined).join(', ')})`);
  }
  const kept = haveIds.filter((id) => wantIds.has(id));
  if (out.length === 0 && kept.join() !== want.map((r) => r.id).join()) out.push(`${where}: rules out of order`);
  return out;
}

/** Observes and diffs in one step: what `applyRuleset(input)` would change. */
export async function rulesetDrift(runner: Runner, ns: NsRef | undefined, input: FirewallInput): Promise<string[]> {
  return diffRuleset(buildRuleset(input), await observeRuleset(runner, ns));
}

/** A base chain of any table (netd's or another's), as `nft -j list ruleset` shows it. */
export interface BaseChain {
  family: string;
  table: string;
  chain: string;
  type: string;
  hook: string;
  priority: number;
  policy: string;
}

export function parseBaseChains(stdout: string): BaseChain[] {
  const items = (JSON.parse(stdout) as NftJson).nftables;
  return items
    .map((it) => it.chain)
    .filter((c): c is NftChain & { hook: string } => c?.hook !== undefined)
    .map((c) => ({ family: c.family, table: c.table, chain: c.name, type: c.type, hook: c.hook, priority: c.prio, policy: c.policy ?? 'accept' }));
}

/** Every base chain of the whole ruleset: what else hooks into the paths netd's traffic takes. */
export async function observeBaseChains(runner: Runner, ns: NsRef | undefined): Promise<BaseChain[]> {
  return parseBaseChains((await runner.run(nsExecArgv(ns, ['nft', '-j', 'list', 'ruleset']))).stdout);
}
