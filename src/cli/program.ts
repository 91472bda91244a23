/**
 * The commander program, generated from the registry (commands/index.ts): its flags with their
 * descriptions, usage lines and examples. Global flags are accepted before the command (parsed
 * by the program) and after it (declared, hidden, on every command).
 */
import { Command as Commander, Help, Option } from 'commander';
import { COMMANDS } from './commands/index.js';
import { GLOBAL_OPTIONS, type Command, type Context, type Flag, type Flags } from './context.js';

type Values = Context['values'];

/** The program's own flag: `netd --version` runs `netd version`. */
export const VERSION_FLAG = { version: { type: 'boolean', help: 'the netd version and the commit it was built from (as "netd version")' } } as const;

export interface Handlers {
  /** A command was given: its flags (the global ones merged in) and its positionals. */
  command(c: Command, values: Values, positionals: string[]): Promise<void>;
  /** No command: `--version`, a word that names no command, or nothing at all. */
  none(values: Values, words: string[], help: string): Promise<void>;
  /** The command being parsed, before its flags are (so that a flag error can name it). */
  parsing(c: Command): void;
}

function option(name: string, f: Flag): Option {
  const flags = `${f.short ? `-${f.short}, ` : ''}--${name}${f.type === 'string' ? ` <${f.value ?? 'VALUE'}>` : ''}`;
  const o = new Option(flags, f.multiple ? `${f.help} (repeatable)` : f.help);
  return f.multiple ? o.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]) : o;
}

/** The flags that were given on the command line, by their long names (`--no-color` → `no-color: true`). */
function given(cmd: Commander, flags: Flags): Values {
  const values: Values = {};
  for (const name of Object.keys(flags)) {
    const o = cmd.options.find((x) => x.long === `--${name}`);
    if (!o || cmd.getOptionValueSource(o.attributeName()) !== 'cli') continue;
    values[name] = o.negate ? true : (cmd.getOptionValue(o.attributeName()) as Values[string]);
  }
  return values;
}

const GLOBALS = Object.entries(GLOBAL_OPTIONS).filter(([name]) => name !== 'help');

/** `help`: where commander writes help (asked for, or after an error). */
export function buildProgram(help: { stdout: (s: string) => void; stderr: (s: string) => void }, handlers: Handlers): Commander {
  const program = new Commander('netd')
    .description('netd: declarative container networks for Linux hosts')
    .usage('[GLOBAL FLAGS] COMMAND [FLAGS]')
    .enablePositionalOptions()
    .allowExcessArguments(true)
    .exitOverride()
    // Errors are worded by run.ts (exit 64, the way out named); help goes where it is asked for.
    .configureOutput({ writeOut: help.stdout, writeErr: help.stderr, outputError: () => undefined })
    .configureHelp({
      showGlobalOptions: true,
      subcommandTerm: (c) => [[c.name(), ...c.aliases()].join('|'), ...c.registeredArguments.map((a) => `[${a.name()}]`)].join(' '),
      // --version belongs to the program alone: not listed as a global flag of each command.
      visibleGlobalOptions(c) {
        return Help.prototype.visibleGlobalOptions.call(this as Help, c).filter((o) => o.long !== '--version');
      },
    })
    .helpOption('-h, --help', GLOBAL_OPTIONS.help.help)
    .helpCommand('help [COMMAND]', 'the help of a command')
    .addHelpText('after', '\nrun "netd COMMAND --help" for the flags and examples of a command');
  for (const [name, f] of GLOBALS) program.addOption(option(name, f));
  program.addOption(option('version', VERSION_FLAG.version));
  program.action(() => handlers.none(given(program, { ...GLOBAL_OPTIONS, ...VERSION_FLAG }), program.args, program.helpInformation()));
  program.hook('preSubcommand', (_, sub) => {
    const c = COMMANDS.find((x) => x.name === sub.name());
    if (c) handlers.parsing(c);
  });

  for (const c of COMMANDS) {
    const sub = program
      .command(c.name)
      .aliases(c.aliases ?? [])
      .description(c.summary)
      .usage(c.usage.replace(/^netd \S+ ?/, ''))
      .addHelpText('after', `\nExamples:\n${c.examples.map((e) => `  ${e}`).join('\n')}`);
    for (const [name, f] of Object.entries(c.options)) sub.addOption(option(name, f));
    for (const [name, f] of GLOBALS) sub.addOption(option(name, f).hideHelp());
    sub.action(() => handlers.command(c, { ...given(program, GLOBAL_OPTIONS), ...given(sub, { ...GLOBAL_OPTIONS, ...c.options }) }, sub.args));
  }
  return program;
}
