/** Help texts, generated from the registry so that they never drift from the commands. */
import type { ParseArgsConfig } from 'node:util';
import { COMMANDS } from './commands/index.js';
import type { Command } from './context.js';

const GLOBAL_HELP = [
  '  --state-dir DIR        state directory (env NETD_STATE_DIR, default /var/lib/netd)',
  '  --log-level LEVEL      trace|debug|info|warn|error|fatal|silent (default warn); logs go to stderr',
  '  -o, --output FORMAT    table|json|yaml (default table; graph: dot|svg, see each command)',
  '  --no-color             no ANSI colors (also NO_COLOR=1)',
  '  -h, --help             this help',
];

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

function optionLine(name: string, o: NonNullable<ParseArgsConfig['options']>[string]): string {
  const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ' VALUE' : ''}`;
  return `  ${flag}${o.multiple ? ' (repeatable)' : ''}`;
}

export function commandHelp(c: Command): string {
  const own = Object.entries(c.options).map(([n, o]) => optionLine(n, o));
  return [
    `usage: ${c.usage}`,
    '',
    c.summary,
    ...(c.aliases?.length ? ['', `aliases: ${c.aliases.join(', ')}`] : []),
    ...(own.length ? ['', 'flags:', ...own] : []),
    '',
    'global flags:',
    ...GLOBAL_HELP,
  ].join('\n');
}
