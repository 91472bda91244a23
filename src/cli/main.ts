/** The CLI: `netd ARGS…` with the process as its context; src/cli/bin.ts loads it. */
import { escapeControls, exitCodeFor, messageOf } from '../errors.js';
import { run } from './run.js';

// A reader that went away (`netd get … | head -1`) is not an error: the rest of the output
// is dropped and the command finishes as it would have.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
    // Any other failure to write output (ENOSPC, EIO): one line where it still can go, exit 1.
    if (s !== process.stderr) process.stderr.write(`netd: writing output: ${escapeControls(messageOf(e))}\n`);
    process.exitCode = 1;
  });
}

try {
  process.exitCode = await run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    isTTY: process.stderr.isTTY === true,
    stdoutTTY: process.stdout.isTTY === true,
    stdinTTY: process.stdin.isTTY === true,
  });
} catch (e) {
  process.stderr.write(`netd: ${escapeControls(messageOf(e))}\n`);
  process.exitCode = exitCodeFor(e);
}
