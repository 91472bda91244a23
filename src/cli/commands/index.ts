/**
 * The command registry. Adding a command: one file exporting a Command, one line below.
 * Explicit on purpose (STYLE.md §3): no registration by import side effect.
 */
import type { Command } from '../context.js';
import { applyCommand } from './apply.js';
import { diffCommand } from './diff.js';
import { doctorCommand } from './doctor.js';
import { validate } from './validate.js';
import { version } from './version.js';

export type { Command, Context } from '../context.js';

export const COMMANDS: readonly Command[] = [
  applyCommand,
  diffCommand,
  doctorCommand,
  validate,
  version,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name || (c.aliases ?? []).includes(name));
}

export function commandNames(): string[] {
  return COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
}
