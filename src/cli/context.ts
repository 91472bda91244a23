/** What every command receives: parsed flags, the streams, and the shared global behaviour. */
import type { ParseArgsConfig } from 'node:util';
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
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
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
   */
  loadDesiredState(): Promise<DesiredState | number>;
}

export interface Command {
  name: string;
  aliases?: string[];
  summary: string;
  /** Shown after "usage: ", e.g. "netd validate -f PATH...". */
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Described positionals, e.g. "[NAME]"; undefined: the command takes none. */
  positionals?: string;
  /** The formats -o accepts for this command, default first; undefined: OUTPUT_FORMATS. */
  outputs?: readonly OutputFormat[];
  /** Shown under "examples:" in --help: whole command lines. */
  examples?: readonly string[];
  /** Flag descriptions of this command that differ from the shared ones (help.ts). */
  flagHelp?: Readonly<Record<string, string>>;
  /** Changes the host: a thrown 'invalid' error may come after kernel work, so it exits 1, never 65. */
  writes?: boolean;
  run(ctx: Context): Promise<number>;
}

export const FILE_OPTION = { file: { type: 'string', short: 'f', multiple: true } } as const;

/** A command that offers it refuses an input that declares nothing (exit 65) unless it is given. */
export const ALLOW_EMPTY_OPTION = { 'allow-empty': { type: 'boolean' } } as const;

/** The safety flags of the commands that prune (apply, watch). */
export const SAFETY_OPTIONS = { 'max-deletes': { type: 'string' }, prune: { type: 'string' } } as const;

/** Proceed although the store was lost (reconcile/lost.ts). */
export const LOST_FORCE_OPTION = { force: { type: 'boolean' } } as const;
export const LOST_FORCE_HELP = { force: "proceed although the state was lost (kernel objects carry netd's mark the store does not know)" };

export const GLOBAL_OPTIONS = {
  'state-dir': { type: 'string' },
  'log-level': { type: 'string' },
  output: { type: 'string', short: 'o' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
