#!/usr/bin/env node
import { exitCodeFor, messageOf } from '../errors.js';
import { run } from './run.js';

try {
  process.exitCode = await run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    isTTY: process.stderr.isTTY === true,
  });
} catch (e) {
  process.stderr.write(`netd: ${messageOf(e)}\n`);
  process.exitCode = exitCodeFor(e);
}
