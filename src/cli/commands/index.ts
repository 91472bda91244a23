/**
 * The command registry. Adding a command: one file exporting a Command, one line below.
 * Explicit on purpose (STYLE.md §3): no registration by import side effect.
 */
import type { Command } from '../context.js';
import { applyCommand } from './apply.js';
import { completionCommand } from './completion.js';
import { deleteCommand } from './delete.js';
import { diffCommand } from './diff.js';
import { dnsCommand } from './dns.js';
import { doctorCommand } from './doctor.js';
import { exportCommand } from './export.js';
import { getCommand } from './get.js';
import { graphCommand } from './graph.js';
import { inspectCommand } from './inspect.js';
import { recoverCommand } from './recover.js';
import { validate } from './validate.js';
import { version } from './version.js';
import { watchCommand } from './watch.js';

export type { Command, Context } from '../context.js';

export const COMMANDS: readonly Command[] = [
  applyCommand,
  completionCommand,
  deleteCommand,
  diffCommand,
  dnsCommand,
  doctorCommand,
  exportCommand,
  getCommand,
  graphCommand,
  inspectCommand,
  recoverCommand,
  validate,
  version,
  watchCommand,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name || (c.aliases ?? []).includes(name));
}

export function commandNames(): string[] {
  return COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
}
