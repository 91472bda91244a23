/**
 * The kernel behind one runner. This is the only module that spawns processes (the only
 * importer of execa): commands are argument arrays, never a shell, always with a timeout and
 * LC_ALL=C so that error messages can be classified by kind. Everything above takes a
 * `Runner`, so tests can count or fake what reaches the kernel.
 */
import { execa } from 'execa';
import { NetdError, type ErrorCode } from '../errors.js';

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  /** The command changes kernel state (counted by CountingRunner). */
  write?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export interface Runner {
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** Kernel work done in this process (netlink), told to a counting runner: no process, maybe a write. */
  note?(kind: string, write: boolean): void;
}

export type KernelErrorKind = 'exists' | 'not-found' | 'forbidden' | 'busy' | 'invalid' | 'other';

const CODE_OF: Record<KernelErrorKind, ErrorCode> = {
  exists: 'conflict',
  'not-found': 'not-found',
  forbidden: 'forbidden',
  busy: 'retry',
  invalid: 'internal',
  other: 'internal',
};

// First match wins; the kernel's own words (via iproute2, nft, nsenter, sysctl).
const PATTERNS: [KernelErrorKind, RegExp][] = [
  ['exists', /File exists|already exists|Address already assigned/i],
  [
    'not-found',
    /No such file or directory|Cannot find device|does not exist|No such device|No such process|Cannot assign requested address|Cannot open network namespace|not found/i,
  ],
  ['forbidden', /Operation not permitted|Permission denied/i],
  ['busy', /Device or resource busy|Resource temporarily unavailable|try again|timed out/i],
  ['invalid', /Invalid argument|invalid|policy validation|not complete|is unknown|syntax error|out of range|not supported|Error: /i],
];

export function classifyStderr(stderr: string): KernelErrorKind {
  for (const [kind, re] of PATTERNS) if (re.test(stderr)) return kind;
  return 'other';
}

export interface KernelErrorInit {
  argv: string[];
  stderr: string;
  exitCode: number | undefined;
  kind?: KernelErrorKind;
  /** The batch line (or script line) that failed, when known. */
  op?: string | undefined;
  /** 1-based number of the failed batch line; the lines before it were applied. */
  line?: number | undefined;
  /** 0-based index of the failed op in the ops that were run. */
  opIndex?: number | undefined;
  cause?: unknown;
}

/** A command the kernel refused, with everything needed to tell why. */
export class KernelError extends NetdError {
  readonly argv: string[];
  readonly stderr: string;
  readonly exitCode: number | undefined;
  readonly kind: KernelErrorKind;
  readonly op: string | undefined;
  readonly line: number | undefined;
  readonly opIndex: number | undefined;

  constructor(init: KernelErrorInit) {
    const kind = init.kind ?? classifyStderr(init.stderr);
    const what = init.op !== undefined ? `${commandName(init.argv)}: "${init.op}"` : init.argv.join(' ');
    super(CODE_OF[kind], `${what}: ${reason(init.stderr, init.exitCode)}`, { cause: init.cause });
    this.name = 'KernelError';
    this.argv = init.argv;
    this.stderr = init.stderr;
    this.exitCode = init.exitCode;
    this.kind = kind;
    this.op = init.op;
    this.line = init.line;
    this.opIndex = init.opIndex;
  }

  /** The same error, pinned to the op it came from. */
  at(opIndex: number | undefined): KernelError {
    return opIndex === undefined ? this : new KernelError({ ...this.init(), opIndex, cause: this.cause });
  }

  private init(): KernelErrorInit {
    return {
      argv: this.argv,
      stderr: this.stderr,
      exitCode: this.exitCode,
      kind: this.kind,
      ...(this.op !== undefined ? { op: this.op } : {}),
      ...(this.line !== undefined ? { line: this.line } : {}),
    };
  }
}

function commandName(argv: string[]): string {
  const i = argv[0] === 'nsenter' ? 2 : 0;
  return argv.slice(0, i + 1 + (argv[i + 1] === '-n' ? 2 : 0)).join(' ');
}

/** The meaningful part of stderr: without iproute2's "Command failed -:N" trailer. */
function reason(stderr: string, exitCode: number | undefined): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Command failed/.test(l));
  return lines.slice(0, 2).join('; ') || `exit code ${exitCode ?? 'unknown'}`;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** Runs commands for real. */
export class ExecRunner implements Runner {
  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0) throw new NetdError('internal', 'run: empty command');
    const r = await execa(argv[0]!, argv.slice(1), {
      input: opts.input ?? '',
      timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      env: { LC_ALL: 'C' },
      reject: false,
      stripFinalNewline: false,
      // execa's exit handler (signal-exit) re-raises SIGTERM when it finds itself the last
      // listener: the watch daemon must decide when to stop. ip and nft exit on their own.
      cleanup: false,
    });
    const stdout = String(r.stdout ?? '');
    const stderr = String(r.stderr ?? '');
    if (r.timedOut) {
      throw new KernelError({ argv, stderr: `timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`, exitCode: undefined, kind: 'busy' });
    }
    if (r.failed) {
      const msg = stderr || (r.cause instanceof Error ? r.cause.message : '');
      throw new KernelError({ argv, stderr: msg, exitCode: r.exitCode, cause: r.cause });
    }
    return { stdout, stderr };
  }
}

/**
 * What kind of kernel call argv is: the program, its leading options and, for `ip` and `nft`,
 * the object or verb, without names, paths or values: `ip -batch`, `ip -json route`,
 * `nft -j list`, `sysctl -q -w`. `nsenter --net=PATH` and `ip -n NS` are left out (the same
 * call in any namespace is the same kind).
 */
export function callKind(argv: readonly string[]): string {
  const a = argv[0] === 'nsenter' && argv[1]?.startsWith('--net=') ? argv.slice(2) : argv;
  const kind: string[] = [a[0] ?? ''];
  for (let i = 1; i < a.length; i++) {
    const w = a[i]!;
    if (a[0] === 'ip' && w === '-n') i++;
    else if (w.startsWith('-') && w !== '-') kind.push(w);
    else {
      if (/^[a-z]+$/.test(w) && (a[0] === 'ip' || a[0] === 'nft')) kind.push(w);
      break;
    }
  }
  return kind.join(' ');
}

/**
 * Counts what passes through another runner: re-applying an unchanged state must add no
 * writes. `calls` are processes; `writes` also counts netlink batches that change the kernel.
 */
export class CountingRunner implements Runner {
  calls = 0;
  writes = 0;
  readonly log: { argv: string[]; write: boolean }[] = [];
  /** Processes spawned, by callKind. */
  readonly byKind = new Map<string, number>();
  constructor(readonly inner: Runner) {}

  run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    this.calls++;
    if (opts.write) this.writes++;
    this.log.push({ argv, write: opts.write === true });
    const kind = callKind(argv);
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    return this.inner.run(argv, opts);
  }

  /** Netlink work: counted by kind and in writes, not in calls (no process). */
  note(kind: string, write: boolean): void {
    if (write) this.writes++;
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    this.inner.note?.(kind, write);
  }

  reset(): void {
    this.calls = 0;
    this.writes = 0;
    this.log.length = 0;
    this.byKind.clear();
  }
}

/** The runner is the real kernel (perhaps counted): not a fake or a wrapper a test looks through. */
export const realKernel = (r: Runner): boolean => r instanceof ExecRunner || (r instanceof CountingRunner && realKernel(r.inner));
