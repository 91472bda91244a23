/** In-process CLI runs: run(argv, io) with captured stdout/stderr. */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/cli/run.js';

/** The repository root (tests run from dist/test/...). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): { stream: Writable; text: () => string } {
  let buf = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => buf };
}

export interface RunOptions {
  stdin?: string;
  env?: Record<string, string>;
  /** stderr is a terminal */
  isTTY?: boolean;
  stdoutTTY?: boolean;
  signal?: AbortSignal;
}

export async function runCli(argv: string[], opts: RunOptions = {}): Promise<Captured> {
  const out = sink();
  const err = sink();
  const code = await run(argv, {
    stdout: out.stream,
    stderr: err.stream,
    stdin: Readable.from(opts.stdin === undefined ? [] : [opts.stdin]),
    env: opts.env ?? {},
    isTTY: opts.isTTY ?? false,
    stdoutTTY: opts.stdoutTTY ?? false,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** A temporary directory with the given files; remove() deletes it. */
export function tempFiles(files: Record<string, string | Buffer>): { dir: string; path: (n: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'netd-spec-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return { dir, path: (n) => join(dir, n), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
