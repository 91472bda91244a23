/**
 * A Step is the kernel and store work of one object operation ("create endpoint web/frontend"),
 * split into phases so that many steps can share one `ip -batch` per namespace:
 *
 *   phase 0  removals: veths, stale interfaces in namespaces, namespaces, bridges
 *   phase 1  creations and fixes: namespaces, bridges, veths (host side), then inside namespaces
 *
 * In each phase the host namespace's batch runs first, then every namespace's batch, in
 * parallel. A step also carries its undo (best effort, reverse order) and the store ops to
 * commit when it succeeded or when it failed (STYLE.md 8).
 */
import type { Op } from '../store/store.js';

export const PHASES = [0, 1] as const;
export type Phase = (typeof PHASES)[number];

/** undefined: the host namespace. */
export type NsKey = string | undefined;

export interface BatchPart {
  readonly phase: Phase;
  readonly ns: NsKey;
  readonly lines: string[];
}

export class Step {
  readonly parts: BatchPart[] = [];
  readonly undoParts: BatchPart[] = [];
  /** Store ops committed when the step succeeded. */
  readonly done: Op[] = [];
  /** Store ops committed when the step failed (after its undo ran). */
  readonly failed: Op[] = [];
  /** Steps that must succeed first; if one fails, this one is skipped. */
  readonly deps: Step[] = [];
  error?: unknown;
  /** The failed dependency that kept this step from running (its error says "skipped"). */
  skippedBy?: Step;
  /** /etc/netns/<name> to remove once the step succeeded (a deleted sandbox's files). */
  removeDir?: string;

  constructor(readonly label: string) {}

  /** The batch lines of this step for (phase, namespace), created on first use. */
  lines(phase: Phase, ns?: NsKey): string[] {
    let part = this.parts.find((p) => p.phase === phase && p.ns === ns);
    if (!part) this.parts.push((part = { phase, ns, lines: [] }));
    return part.lines;
  }

  /** Registers kernel work that undoes what this step created; run in reverse on failure. */
  undo(ns: NsKey, ...lines: string[]): void {
    this.undoParts.unshift({ phase: 0, ns, lines });
  }

  get ok(): boolean {
    return this.error === undefined;
  }

  /** Whether this step does any kernel work. */
  get kernel(): boolean {
    return this.parts.some((p) => p.lines.length > 0);
  }
}
