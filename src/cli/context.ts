/** What every command receives: parsed flags, the streams, and the shared global behaviour. */
import type { Logger } from '../log.js';
import type { DesiredState } from '../desired/types.js';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
  /** Is stderr a terminal: enables caret excerpts, progress and colour on stderr. */
  isTTY?: boolean;
  /** Is stdout a terminal: enables colour in results. */
  stdoutTTY?: boolean;
  /** Is stdin a terminal: an apply that deletes or replaces asks there first (unless --yes). */
  stdinTTY?: boolean;
  /** Stops long-running commands (watch); default: SIGINT or SIGTERM. */
  signal?: AbortSignal;
}

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'dot' | 'svg';
/** What -o accepts unless a command names its own formats (the first is then its default). */
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'yaml'];

export interface Context {
  /** The command being run. */
  command: Command;
  /** The flags given, by their long names (`no-color`: true when given); repeatable ones as lists. */
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  io: CliIO;
  log: Logger;
  /** Colour for messages on stderr: decided by stderr, FORCE_COLOR, NO_COLOR and --no-color. */
  color: boolean;
  /** Colour for results on stdout: the same, decided by stdout. */
  outColor: boolean;
  output: OutputFormat;
  stateDir: string;
  /** -f PATH, repeatable, in argument order. */
  files: string[];
  /** A line to stdout (results). */
  out(s: string): void;
  /** A line to stderr (messages for people). */
  err(s: string): void;
  /**
   * Loads the -f files; on invalid input prints the errors and returns the exit code (65, or 64
   * without -f). A command with --allow-empty also refuses an input that declares nothing.
   * With `refused`, the reasons go to it (one line each) instead of stderr: the watch daemon
   * logs them as one event.
   */
  loadDesiredState(refused?: (reasons: string[]) => void): Promise<DesiredState | number>;
}

/** A flag as the registry declares it; commander's options are generated from it (cli/program.ts). */
export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  /** Repeatable: the values are collected in argument order. */
  multiple?: boolean;
  /** The name of its value in --help (`-f, --file <PATH>`). */
  value?: string;
  /** What it does, shown by --help and by fish's completion. */
  help: string;
}

export type Flags = Readonly<Record<string, Flag>>;

/** What a command does once parsed; its module is loaded only when the command runs. */
export type CommandRun = (ctx: Context) => Promise<number>;

/**
 * A command of the registry (commands/index.ts): what --help, completion and the parser need,
 * with no import of its implementation, so that `netd version` loads neither the kernel layer
 * nor ajv.
 */
export interface Command {
  name: string;
  aliases?: string[];
  summary: string;
  /** Shown after "Usage: ", e.g. "netd validate -f PATH...". */
  usage: string;
  options: Flags;
  /** Described positionals, e.g. "[NAME]"; undefined: the command takes none. */
  positionals?: string;
  /** The formats -o accepts for this command, default first; undefined: OUTPUT_FORMATS. */
  outputs?: readonly OutputFormat[];
  /** Shown under "Examples:" in --help: whole command lines. */
  examples: readonly string[];
  /** Changes the host: a thrown 'invalid' error may come after kernel work, so it exits 1, never 65. */
  writes?: boolean;
  load(): Promise<CommandRun>;
}

export const FILE_OPTION = {
  file: { type: 'string', short: 'f', multiple: true, value: 'PATH', help: 'a desired-state file, a directory of *.yaml files, or - for stdin' },
} as const satisfies Flags;

/** A command that offers it refuses an input that declares nothing (exit 65) unless it is given. */
export const ALLOW_EMPTY_OPTION = {
  'allow-empty': { type: 'boolean', help: 'accept an input that declares nothing: everything netd owns is then pruned' },
} as const satisfies Flags;

/** The safety flags of the commands that prune (apply, watch). */
export const SAFETY_OPTIONS = {
  'max-deletes': { type: 'string', value: 'N', help: 'refuse a plan that deletes or replaces more than N objects (nothing is changed; exit 1)' },
  prune: {
    type: 'string',
    value: 'BOOL',
    help: 'false: create, update and repair only; owned objects the files no longer declare stay (diff still shows them)',
  },
} as const satisfies Flags;

/** Proceed although the store was lost (reconcile/lost.ts). */
export const LOST_FORCE_OPTION = {
  force: { type: 'boolean', help: "proceed although the state was lost (kernel objects carry netd's mark the store does not know)" },
} as const satisfies Flags;

export const LOCK_OPTION = {
  'lock-timeout': { type: 'string', value: 'DURATION', help: 'how long to wait for the state-dir lock (default 60s)' },
} as const satisfies Flags;

/** The flags of the commands that converge the host: apply and watch. */
export const CONVERGE_OPTIONS = { ...FILE_OPTION, ...LOCK_OPTION, ...ALLOW_EMPTY_OPTION, ...LOST_FORCE_OPTION, ...SAFETY_OPTIONS } as const;

/** Accepted before or after the command name. */
export const GLOBAL_OPTIONS = {
  'state-dir': { type: 'string', value: 'DIR', help: 'state directory (env NETD_STATE_DIR, default /var/lib/netd)' },
  'log-level': { type: 'string', value: 'LEVEL', help: 'trace|debug|info|warn|error|fatal|silent (default warn); logs go to stderr' },
  output: { type: 'string', short: 'o', value: 'FORMAT', help: 'table|json|yaml (default table; some commands differ: see their usage)' },
  'no-color': { type: 'boolean', help: 'no ANSI colors (also NO_COLOR=1; FORCE_COLOR=1 forces them)' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
} as const satisfies Flags;
