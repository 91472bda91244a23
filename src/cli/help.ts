/** Help texts, generated from the registry so that they never drift from the commands. */
import type { ParseArgsConfig } from 'node:util';
import { COMMANDS } from './commands/index.js';
import type { Command } from './context.js';

const GLOBAL_HELP = [
  '  --state-dir DIR        state directory (env NETD_STATE_DIR, default /var/lib/netd)',
  '  --log-level LEVEL      trace|debug|info|warn|error|fatal|silent (default warn); logs go to stderr',
  '  -o, --output FORMAT    table|json|yaml (default table; graph: dot|svg, see each command)',
  '  --no-color             no ANSI colors (also NO_COLOR=1; FORCE_COLOR=1 forces them)',
  '  -h, --help             this help',
  '  --version              the netd version (as "netd version")',
];

/** What each command flag does, shown by "netd COMMAND --help". */
const FLAG_HELP: Record<string, string> = {
  file: 'a desired-state file, a directory of *.yaml files, or - for stdin',
  'dry-run': 'print the plan and change nothing',
  'allow-empty': 'accept an input that declares nothing: everything netd owns is then pruned',
  'lock-timeout': 'how long to wait for the state-dir lock (default 60s)',
  force:
    "also delete attachments of undeclared containers on the deleted networks, and proceed although the state was lost (kernel objects carry netd's mark the store does not know)",
  resync: 'apply at least this often, repairing drift: 500ms, 60s, 1m30s, 1h (default 60s)',
  selector: 'only networks whose labels match key=value (repeatable, or comma-separated; all must match)',
  listen: 'serve /metrics (Prometheus) and /healthz on ADDR:PORT (off by default; e.g. 127.0.0.1:9464)',
  yes: 'do not ask before deleting or replacing (asked only when stdin is a terminal)',
  'max-deletes': 'refuse a plan that deletes or replaces more than N objects (nothing is changed; exit 1)',
  prune: 'false: create, update and repair only; owned objects the files no longer declare stay (diff still shows them)',
};

export function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'netd: declarative container networks for Linux hosts',
    '',
    'usage: netd COMMAND [FLAGS]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'global flags:',
    ...GLOBAL_HELP,
    '',
    'run "netd COMMAND --help" for the flags of a command',
  ].join('\n');
}

function optionLine(name: string, o: NonNullable<ParseArgsConfig['options']>[string], help: string | undefined): string {
  const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ' VALUE' : ''}${o.multiple ? ' (repeatable)' : ''}`;
  return help ? `  ${flag.padEnd(30)} ${help}` : `  ${flag}`;
}

/** A command's description of one of its flags. */
export const flagHelp = (c: Command, flag: string): string | undefined => c.flagHelp?.[flag] ?? FLAG_HELP[flag];

export function commandHelp(c: Command): string {
  const own = Object.entries(c.options).map(([n, o]) => optionLine(n, o, flagHelp(c, n)));
  return [
    `usage: ${c.usage}`,
    '',
    c.summary,
    ...(c.aliases?.length ? ['', `aliases: ${c.aliases.join(', ')}`] : []),
    ...(own.length ? ['', 'flags:', ...own] : []),
    ...(c.examples?.length ? ['', 'examples:', ...c.examples.map((e) => `  ${e}`)] : []),
    '',
    'global flags:',
    ...GLOBAL_HELP,
  ].join('\n');
}
