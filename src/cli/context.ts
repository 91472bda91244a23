/** What every command receives: parsed flags, the streams, and the shared global behaviour. */
import type { ParseArgsConfig } from 'node:util';
import type { Logger } from '../log.js';
import type { DesiredState } from '../spec/types.js';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
  /** Is stderr a terminal: enables caret excerpts (and color unless disabled). */
  isTTY?: boolean;
  /** Stops long-running commands (watch); default: SIGINT or SIGTERM. */
  signal?: AbortSignal;
}

export type OutputFormat = 'table' | 'json' | 'yaml' | 'dot' | 'svg';
/** What -o accepts unless a command names its own formats (the first is then its default). */
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'yaml'];

export interface Context {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  io: CliIO;
  log: Logger;
  color: boolean;
  output: OutputFormat;
  stateDir: string;
  /** -f PATH, repeatable, in argument order. */
  files: string[];
  /** A line to stdout (results). */
  out(s: string): void;
  /** A line to stderr (messages for people). */
  err(s: string): void;
  /** Loads the -f files; on invalid input prints the errors and returns the exit code (65, or 64 without -f). */
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
  run(ctx: Context): Promise<number>;
}

export const FILE_OPTION = { file: { type: 'string', short: 'f', multiple: true } } as const;

export const GLOBAL_OPTIONS = {
  'state-dir': { type: 'string' },
  'log-level': { type: 'string' },
  output: { type: 'string', short: 'o' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
