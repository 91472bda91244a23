/**
 * This host's identity in the cluster: a random id kept in the state dir (`host-id`, 0600),
 * made on first use. Not /etc/machine-id: cloned images and the hosts of a one-machine
 * simulation share it, and two hosts with one id would take each other's lease. Losing the
 * state dir loses the id; acquire then finds the host's lease by its public IP.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ensureStateDir, readPrivateFile, stateFileExists, writePrivateFile } from '../store/statedir.js';

export const HOST_ID_FILE = 'host-id';

/** A host id as stored: 32 lowercase hex digits; undefined for anything else. */
export function parseHostId(text: string): string | undefined {
  const id = text.trim();
  return /^[0-9a-f]{32}$/.test(id) ? id : undefined;
}

export function loadHostId(stateDir: string): string {
  const file = join(stateDir, HOST_ID_FILE);
  const kept = stateFileExists(file, 'read') ? parseHostId(readPrivateFile(file)) : undefined;
  if (kept) return kept;
  ensureStateDir(stateDir);
  const id = randomBytes(16).toString('hex');
  writePrivateFile(file, `${id}\n`);
  return id;
}

/** The host id if this state dir has one (read-only commands must not make it). */
export function peekHostId(stateDir: string): string | undefined {
  const file = join(stateDir, HOST_ID_FILE);
  return stateFileExists(file, 'read') ? parseHostId(readPrivateFile(file)) : undefined;
}
