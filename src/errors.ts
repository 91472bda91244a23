/**
 * Errors by kind, not by text. Every error netd reports is a NetdError with a code;
 * callers branch on `code` (retry only `retry`), never on the message.
 * Messages are lowercase, context first, names quoted:
 *   create endpoint "web/frontend": address 10.88.0.10 already in use by "api/frontend"
 */
export type ErrorCode =
  | 'invalid' // bad input: the desired state or an argument (exit 65)
  | 'usage' // unknown command or flag (exit 64)
  | 'conflict' // compare-and-swap lost, object exists and differs, not owned (exit 1)
  | 'not-found'
  | 'forbidden'
  | 'retry' // transient: the kernel said busy, try again
  | 'lock-timeout' // the state-dir lock could not be taken in time (exit 75)
  | 'internal';

export class NetdError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetdError';
    this.code = code;
  }
}

export function isNetdError(e: unknown, code?: ErrorCode): e is NetdError {
  return e instanceof NetdError && (code === undefined || e.code === code);
}

/** Exit codes, the same for every command (DESIGN.md §6). */
export const EXIT = {
  ok: 0,
  error: 1,
  drift: 2,
  usage: 64,
  invalid: 65,
  lockTimeout: 75,
} as const;

export function exitCodeFor(e: unknown): number {
  if (!(e instanceof NetdError)) return EXIT.error;
  switch (e.code) {
    case 'invalid':
      return EXIT.invalid;
    case 'usage':
      return EXIT.usage;
    case 'lock-timeout':
      return EXIT.lockTimeout;
    default:
      return EXIT.error;
  }
}

/** The message of any thrown value, for logs and user output (never a stack for user mistakes). */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Control and escape characters shown as escapes (`\n`, `\x1b`, `\u200b`…), never raw: a name
 * or message from a file must not move the cursor, recolour a terminal or forge a line.
 */
export function escapeControls(s: string): string {
  return s.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    if (named[c]) return named[c];
    const code = c.codePointAt(0)!;
    if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
    return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
