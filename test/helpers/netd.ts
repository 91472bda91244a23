/**
 * A netd "host" for integration tests: its own state dir, YAML written to temp files, and the
 * CLI run in-process. `teardown()` applies an empty desired state with --allow-empty (netd
 * prunes what it owns) and then checks nothing is left in the throwaway host.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type Captured } from './cli.js';
import { assertNoLeaks } from './kernel.js';
import { loadDesiredState } from '../../src/desired/validate.js';
import type { DesiredState } from '../../src/desired/types.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import { CountingRunner, ExecRunner } from '../../src/kernel/index.js';
import { silentLogger } from '../../src/log.js';
import type { Engine } from '../../src/reconcile/reconcile.js';

/** Declares nothing: apply and diff refuse it (65) unless given ALLOW_EMPTY. */
export const EMPTY = 'version: 1\n';
export const ALLOW_EMPTY = '--allow-empty';

export class TestHost {
  readonly dir = mkdtempSync(join(tmpdir(), 'netd-host-'));
  readonly stateDir = join(this.dir, 'state');
  private n = 0;

  /** Writes yaml to a new file and returns its path. */
  file(yaml: string): string {
    const path = join(this.dir, `desired-${++this.n}.yaml`);
    writeFileSync(path, yaml);
    return path;
  }

  cli(args: string[], yaml?: string): Promise<Captured> {
    return runCli([...args, ...(yaml === undefined ? [] : ['-f', this.file(yaml)]), '--state-dir', this.stateDir]);
  }

  apply(yaml: string, ...flags: string[]): Promise<Captured> {
    return this.cli(['apply', ...flags], yaml);
  }

  diff(yaml: string, ...flags: string[]): Promise<Captured> {
    return this.cli(['diff', ...flags], yaml);
  }

  async desired(yaml: string): Promise<DesiredState> {
    const r = await loadDesiredState([this.file(yaml)]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.state;
  }

  /** An engine whose runner counts kernel writes; close the store when done. */
  async engine(): Promise<Engine & { runner: CountingRunner; store: SqliteStore }> {
    return { store: await openSqliteStore(this.stateDir), runner: new CountingRunner(new ExecRunner()), log: silentLogger };
  }

  async teardown(): Promise<void> {
    const r = await this.apply(EMPTY, ALLOW_EMPTY);
    rmSync(this.dir, { recursive: true, force: true });
    if (r.code !== 0) throw new Error(`teardown apply failed: ${r.stderr}`);
    assertNoLeaks();
  }
}
