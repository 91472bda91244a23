/**
 * What a driver (and the controller around it) hands to the executor: kernel ops split into
 * phases so that many objects' work can share one batch per namespace, with the undo of what
 * they create.
 *
 *   phase 0  removals: veths, stale interfaces in namespaces, namespaces, bridges
 *   phase 1  creations and fixes: namespaces, bridges, veths (host side), then inside namespaces
 *
 * In each phase the host namespace's batch runs first, then every namespace's batch, in
 * parallel. The ops say where they run (`op.ns`).
 */
import type { KernelOp } from '../kernel/ops.js';

export const PHASES = [0, 1] as const;
export type Phase = (typeof PHASES)[number];

/** Where a batch runs: undefined is the host namespace. */
export type NsKey = string | undefined;

export interface PhasedOp {
  readonly phase: Phase;
  readonly op: KernelOp;
}

export class Work {
  readonly ops: PhasedOp[] = [];
  /** Best effort, run in this order when the work failed (the last thing created goes first). */
  readonly undoOps: KernelOp[] = [];

  /** Queues ops in a phase (removals default to phase 0, everything else to phase 1). */
  add(...ops: KernelOp[]): this {
    for (const op of ops) this.ops.push({ phase: op.op.endsWith('-del') ? 0 : 1, op });
    return this;
  }

  /** Queues ops in an explicit phase. */
  addIn(phase: Phase, ...ops: KernelOp[]): this {
    for (const op of ops) this.ops.push({ phase, op });
    return this;
  }

  /** Registers ops that undo what this work creates; they run in reverse registration order. */
  undo(...ops: KernelOp[]): this {
    this.undoOps.unshift(...ops);
    return this;
  }

  /** Drops the queued ops that match (a removal another op makes moot). */
  drop(pred: (p: PhasedOp) => boolean): void {
    for (let i = this.ops.length - 1; i >= 0; i--) if (pred(this.ops[i]!)) this.ops.splice(i, 1);
  }

  /** Whether this work does anything in the kernel. */
  get kernel(): boolean {
    return this.ops.length > 0;
  }

  /** The namespaces this work (or its undo) runs in. */
  namespaces(): string[] {
    return [...new Set([...this.ops.map((p) => p.op.ns), ...this.undoOps.map((o) => o.ns)].filter((n): n is string => n !== undefined))];
  }
}
