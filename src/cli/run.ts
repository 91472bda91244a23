/**
 * run(argv, io) → exit code: the whole CLI as a function, so tests call it in-process.
 * Parsing is commander's (program.ts); the messages of usage errors are netd's (exit 64, the
 * way out named). Global flags may come before or after the command name.
 */
import { CommanderError } from 'commander';
import { EXIT, NetdError, escapeControls, exitCodeFor, messageOf } from '../errors.js';
import { createLogger, LOG_LEVELS } from '../log.js';
import { didYouMean } from '../desired/suggest.js';
import { commandNames, findCommand } from './commands/index.js';
import { FILE_OPTION, GLOBAL_OPTIONS, OUTPUT_FORMATS, type CliIO, type Command, type Context, type Flags, type OutputFormat } from './context.js';
import { VERSION_FLAG, buildProgram } from './program.js';
import type { DesiredState } from '../desired/types.js';

export type { CliIO } from './context.js';

class UsageError extends Error {}

/** Short flags that take a value: commander reads `-o=json` as the value "=json". */
const SHORT_WITH_VALUE = new Set<string>(
  Object.values({ ...GLOBAL_OPTIONS, ...FILE_OPTION } as Flags).flatMap((o) => (o.short && o.type === 'string' ? [o.short] : [])),
);

/** `-o=json` → `-o json` (up to a `--`). */
function normalise(argv: string[]): string[] {
  const end = argv.indexOf('--');
  return argv.flatMap((a, i) => {
    const m = /^-(\w)=(.*)$/s.exec(a);
    return m && SHORT_WITH_VALUE.has(m[1]!) && (end < 0 || i < end) ? [`-${m[1]}`, m[2]!] : [a];
  });
}

function pick<T extends string>(v: Context['values'][string], allowed: readonly T[], flag: string, dflt: T): T {
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, not "${String(v)}"`);
  return v as T;
}

/** FORCE_COLOR values that turn colour on, as node reads them; any other set value turns it off. */
const FORCE_ON = new Set(['', '1', '2', '3', 'true']);

/**
 * Colour for a stream: --no-color never; FORCE_COLOR when set decides (on for "", 1, 2, 3 or
 * true, off otherwise); NO_COLOR never; otherwise when the stream is a terminal.
 */
function colour(tty: boolean | undefined, values: Context['values'], env: CliIO['env']): boolean {
  if (values['no-color'] === true) return false;
  if (env.FORCE_COLOR !== undefined) return FORCE_ON.has(env.FORCE_COLOR);
  if (env.NO_COLOR) return false;
  return tty === true;
}

/** The system's own failures (EACCES, ENOSPC, SQLITE_BUSY), not node's ERR_* programming errors. */
const isSystemError = (e: unknown): boolean => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(E[A-Z0-9]+|SQLITE_[A-Z_]+)$/.test(code);
};

const declaresNothing = (s: DesiredState): boolean => s.networks.length === 0 && s.containers.length === 0 && s.attachments.length === 0;

function makeContext(io: CliIO, cmd: Command, values: Context['values'], positionals: string[]): Context {
  const line = (s: NodeJS.WritableStream) => (t: string) => void s.write(`${t}\n`);
  const env = io.env;
  const ctx: Context = {
    command: cmd,
    values,
    positionals,
    io,
    log: createLogger(pick(values['log-level'], LOG_LEVELS, '--log-level', 'warn'), io.stderr),
    color: colour(io.isTTY, values, env),
    outColor: colour(io.stdoutTTY, values, env),
    output: pick<OutputFormat>(values.output, cmd.outputs ?? OUTPUT_FORMATS, '-o', cmd.outputs?.[0] ?? 'table'),
    stateDir: (values['state-dir'] as string | undefined) ?? env.NETD_STATE_DIR ?? '/var/lib/netd',
    files: (values.file as string[] | undefined) ?? [],
    out: line(io.stdout),
    err: line(io.stderr),
    async loadDesiredState(refused) {
      const refuse = (reasons: string[]): void => (refused ? refused(reasons) : reasons.forEach((l) => ctx.err(l)));
      if (ctx.files.length === 0) {
        refuse([`netd ${cmd.name}: -f PATH is required`]);
        return EXIT.usage;
      }
      // Loaded here: ajv and the schema would cost a command that reads no files its startup.
      const [{ loadDesiredState }, { printSpecErrors }, { formatSpecError }, { desiredCache }] = await Promise.all([
        import('../desired/validate.js'),
        import('./report.js'),
        import('../desired/spec-error.js'),
        import('./desired-cache.js'),
      ]);
      // validate checks files and nothing else: it writes nowhere, not even a cache in a state dir it does not use.
      const cache = cmd.name === 'validate' ? undefined : desiredCache(ctx.stateDir);
      const r = await loadDesiredState(ctx.files, { stdin: io.stdin, ...(cache ? { cache } : {}) });
      if (!r.ok) {
        if (refused) refused(r.errors.map(formatSpecError));
        else printSpecErrors(ctx, r.errors, r.texts);
        return EXIT.invalid;
      }
      // An empty file or stdin (`cat missing.yaml | netd apply -f -`) would prune everything.
      if ('allow-empty' in cmd.options && values['allow-empty'] !== true && declaresNothing(r.state)) {
        refuse([`netd ${cmd.name}: nothing declared: refusing to remove everything netd owns; pass --allow-empty to do that`]);
        return EXIT.invalid;
      }
      return r.state;
    },
  };
  return ctx;
}

function usage(io: CliIO, message: string, hint: string): number {
  io.stderr.write(`netd: ${escapeControls(message)}\n${hint}\n`);
  return EXIT.usage;
}

/**
 * The exit code of an error a command threw. 65 promises that nothing changed: a command that
 * writes says so only through validation (its return value), since an 'invalid' error thrown
 * later (rendering the firewall, say) may come after kernel work.
 */
export function exitCodeOf(e: unknown, cmd: Pick<Command, 'writes'>): number {
  const code = exitCodeFor(e);
  return code === EXIT.invalid && cmd.writes ? EXIT.error : code;
}

/** Runs a parsed command; its own failures are one line (no stack) with their exit code. */
async function execute(io: CliIO, cmd: Command, values: Context['values'], positionals: string[]): Promise<number> {
  const hint = `run "netd ${cmd.name} --help" for its flags`;
  try {
    if (cmd.positionals === undefined && positionals.length > 0) return usage(io, `unexpected argument ${positionals[0]}`, hint);
    const ctx = makeContext(io, cmd, values, positionals);
    return await (
      await cmd.load()
    )(ctx);
  } catch (e) {
    if (e instanceof UsageError) return usage(io, e.message, hint);
    // Expected failures (kernel, store, lock, conflicts) and the system's (EACCES, SQLite):
    // one line, no stack. Anything else is a bug, for bin.ts.
    if (e instanceof NetdError || isSystemError(e)) {
      io.stderr.write(`netd ${cmd.name}: ${escapeControls(messageOf(e))}\n`);
      return exitCodeOf(e, cmd);
    }
    throw e;
  }
}

/**
 * commander's refusals, worded as netd's usage errors. Help asked for is not an error; help
 * printed on stderr is (`netd help NOSUCH`). commander's exit code is not used: it inherits
 * process.exitCode.
 */
function parseError(io: CliIO, e: CommanderError, cmd: Command | undefined, helpOnStderr: boolean): number {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help') return helpOnStderr ? EXIT.usage : EXIT.ok;
  const hint = cmd ? `run "netd ${cmd.name} --help" for its flags` : 'run "netd --help" for the global flags and the commands';
  const quoted = /'([^']+)'/.exec(e.message)?.[1] ?? '';
  if (e.code === 'commander.unknownOption') {
    const known = Object.keys(cmd ? { ...GLOBAL_OPTIONS, ...cmd.options } : { ...GLOBAL_OPTIONS, ...VERSION_FLAG }).map((n) => `--${n}`);
    return usage(io, `unknown flag "${quoted}"${didYouMean(quoted, known)}`, hint);
  }
  if (e.code === 'commander.optionMissingArgument') return usage(io, `flag ${quoted} needs a value`, hint);
  return usage(io, e.message.replace(/^error: /, ''), hint);
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  let code: number = EXIT.ok;
  let parsing: Command | undefined;
  let helpOnStderr = false;
  const helpErr = (s: string): void => {
    helpOnStderr = true;
    io.stderr.write(s);
  };
  const program = buildProgram(
    { stdout: (s) => void io.stdout.write(s), stderr: helpErr },
    {
      parsing: (c) => void (parsing = c),
      command: async (c, values, positionals) => void (code = await execute(io, c, values, positionals)),
      none: async (values, words, help) => {
        const [word] = words;
        if (word !== undefined) code = usage(io, `unknown command "${word}"${didYouMean(word, commandNames())}`, 'run "netd --help" for the list of commands');
        else if (values.version === true) code = await execute(io, findCommand('version')!, values, []);
        else code = usage(io, 'no command given', help.trimEnd());
      },
    },
  );
  try {
    await program.parseAsync(normalise(argv), { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return parseError(io, e, parsing, helpOnStderr);
    throw e;
  }
}
