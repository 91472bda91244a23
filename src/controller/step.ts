/**
 * A Step is the kernel and store work of one object operation ("create endpoint web/frontend"):
 * a driver's Work (ops per phase with their undo) plus the store ops to commit when it
 * succeeded or when it failed (after its undo ran), and the steps it depends on (STYLE.md 8).
 */
import { Work } from '../drivers/work.js';
import type { Op } from '../store/store.js';
import type { KernelOp } from '../kernel/ops.js';

export { PHASES, type Phase, type NsKey } from '../drivers/work.js';

export class Step extends Work {
  /** Store ops committed when the step succeeded. */
  readonly done: Op[] = [];
  /** Store ops committed when the step failed (after its undo ran). */
  readonly failed: Op[] = [];
  /** Steps that must succeed first; if one fails, this one is skipped. */
  readonly deps: Step[] = [];
  error?: unknown;
  /** The op the step failed at, when the kernel said which. */
  failedOp?: KernelOp;
  /** The failed dependency that kept this step from running (its error says "skipped"). */
  skippedBy?: Step;
  /** Work that only follows others (a container's default route): skipped, it is no failure of its own. */
  follows?: boolean;
  /** /etc/netns/<name> to remove once the step succeeded (a deleted sandbox's files). */
  removeDir?: string;

  constructor(readonly label: string) {
    super();
  }

  get ok(): boolean {
    return this.error === undefined;
  }
}
