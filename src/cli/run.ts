/**
 * run(argv, io) → exit code: the whole CLI as a function, so tests call it in-process.
 * Global flags may come before or after the command name.
 */
import { parseArgs } from 'node:util';
import { EXIT, NetdError, escapeControls, exitCodeFor, messageOf } from '../errors.js';
import { createLogger, LOG_LEVELS } from '../log.js';
import { loadDesiredState } from '../desired/validate.js';
import { didYouMean } from '../desired/suggest.js';
import { commandNames, findCommand } from './commands/index.js';
import { FILE_OPTION, GLOBAL_OPTIONS, OUTPUT_FORMATS, type CliIO, type Command, type Context, type OutputFormat } from './context.js';
import { commandHelp, globalHelp } from './help.js';
import { printSpecErrors } from './report.js';
import type { DesiredState } from '../desired/types.js';

export type { CliIO } from './context.js';

class UsageError extends Error {}

/** Short options that take a value: parseArgs reads `-o=json` as the value "=json". */
const SHORT_WITH_VALUE = new Set<string>(
  Object.values({ ...GLOBAL_OPTIONS, ...FILE_OPTION }).flatMap((o) => ('short' in o && o.type === 'string' ? [o.short] : [])),
);

/** `-o=json` → `-o json` (up to a `--`). */
function normalise(argv: string[]): string[] {
  const end = argv.indexOf('--');
  return argv.flatMap((a, i) => {
    const m = /^-(\w)=(.*)$/s.exec(a);
    return m && SHORT_WITH_VALUE.has(m[1]!) && (end < 0 || i < end) ? [`-${m[1]}`, m[2]!] : [a];
  });
}

/** The command name: the first positional once the global flags (and their values) are skipped. */
function splitCommand(argv: string[]): { name?: string; rest: string[] } {
  const { tokens } = parseArgs({ args: argv, options: GLOBAL_OPTIONS, strict: false, allowPositionals: true, tokens: true });
  const first = tokens.find((t) => t.kind === 'positional' || t.kind === 'option-terminator');
  if (first?.kind !== 'positional') return { rest: argv };
  return { name: first.value, rest: argv.filter((_, i) => i !== first.index) };
}

function flagError(e: unknown, c: Command): string {
  const code = (e as { code?: string }).code;
  const m = /'(-[^' ]+)/.exec(messageOf(e));
  const known = Object.keys({ ...GLOBAL_OPTIONS, ...c.options }).map((n) => `--${n}`);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && m) return `unknown flag "${m[1]}"${didYouMean(m[1]!, known)}`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument ${/'([^']*)'/.exec(messageOf(e))?.[1] ?? ''}`.trim();
  return messageOf(e).replace(/^Option/, 'flag');
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
    async loadDesiredState() {
      if (ctx.files.length === 0) {
        ctx.err(`netd ${cmd.name}: -f PATH is required`);
        return EXIT.usage;
      }
      const r = await loadDesiredState(ctx.files, { stdin: io.stdin });
      if (!r.ok) {
        printSpecErrors(ctx, r.errors, r.texts);
        return EXIT.invalid;
      }
      // An empty file or stdin (`cat missing.yaml | netd apply -f -`) would prune everything.
      if ('allow-empty' in cmd.options && values['allow-empty'] !== true && declaresNothing(r.state)) {
        ctx.err(`netd ${cmd.name}: nothing declared: refusing to remove everything netd owns; pass --allow-empty to do that`);
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

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { name, rest } = splitCommand(normalise(argv));
  if (name === undefined && rest.includes('--version')) return run(['version', ...rest.filter((a) => a !== '--version')], io);
  const out = (s: string): number => {
    io.stdout.write(`${s}\n`);
    return EXIT.ok;
  };
  if (name === undefined || name === 'help') {
    const topic = name === 'help' ? findCommand(rest.find((a) => !a.startsWith('-')) ?? '') : undefined;
    if (topic) return out(commandHelp(topic));
    if (name === 'help' || rest.some((a) => a === '--help' || a === '-h')) return out(globalHelp());
    return usage(io, 'no command given', globalHelp());
  }
  const cmd = findCommand(name);
  if (!cmd) return usage(io, `unknown command "${name}"${didYouMean(name, commandNames())}`, 'run "netd --help" for the list of commands');
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...cmd.options },
      allowPositionals: cmd.positionals !== undefined,
      strict: true,
    });
    if (values.help) return out(commandHelp(cmd));
    return await cmd.run(makeContext(io, cmd, values, positionals));
  } catch (e) {
    const hint = `run "netd ${cmd.name} --help" for its flags`;
    if (e instanceof UsageError) return usage(io, e.message, hint);
    if (typeof (e as { code?: unknown }).code === 'string' && String((e as { code: string }).code).startsWith('ERR_PARSE_ARGS'))
      return usage(io, flagError(e, cmd), hint);
    // Expected failures (kernel, store, lock, conflicts) and the system's (EACCES, SQLite):
    // one line, no stack. Anything else is a bug, for bin.ts.
    if (e instanceof NetdError || isSystemError(e)) {
      io.stderr.write(`netd ${cmd.name}: ${escapeControls(messageOf(e))}\n`);
      return exitCodeOf(e, cmd);
    }
    throw e;
  }
}
