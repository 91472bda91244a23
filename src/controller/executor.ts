/**
 * Runs the kernel work of many steps with as few processes as possible: per phase, one merged
 * batch for the host namespace, then one merged batch per namespace, in parallel. A failing
 * op fails only the step it belongs to: the ops before it have been applied, so the batch
 * resumes after that step's ops. Retryable errors (the kernel said busy) are retried with
 * bounded exponential backoff. Deleting what is already gone is success (like CNI DEL): a
 * crash, or the kernel tearing a deleted namespace's veths down after `netns del` returned, can
 * leave the snapshot stale, so such an op is skipped and its step goes on.
 */
import { isNetdError } from '../errors.js';
import type { Logger } from '../log.js';
import { DEFAULT_PARALLEL, KernelError, isRemoval, type KernelOp } from '../kernel/index.js';
import type { NamespaceView } from '../state/view.js';
import { PHASES, type NsKey, type Phase, type Step } from './step.js';

/** The kernel seam of the executor: run ops in a namespace (undefined: host). */
export interface OpRunner {
  /** Throws on the first failing op; the error carries `opIndex`, 0-based (the ops before it were applied). */
  run(ns: NsKey, ops: readonly KernelOp[], opts?: { force?: boolean }): Promise<void>;
  /** The same in a namespace, reading the namespace back in the same process afterwards. */
  runAndView?(ns: string, ops: readonly KernelOp[]): Promise<NamespaceView>;
  /** Namespaces about to be worked in this order: their sockets may be opened ahead, together; the returned function lets go of what was not used. */
  ahead?(namespaces: readonly string[]): () => void;
}

export interface ExecuteOptions {
  readonly parallel?: number;
  /** Called after each namespace batch of a phase: (phase, batches done, batches in the phase). */
  readonly progress?: (phase: Phase, done: number, total: number) => void;
  readonly retries?: number;
  readonly backoffMs?: number;
  readonly log?: Logger;
}

/** The 0-based index of the op a batch failed at, when the error says. */
const failedOp = (e: unknown): number | undefined => {
  const i = (e as { opIndex?: unknown } | undefined)?.opIndex;
  return typeof i === 'number' ? i : undefined;
};

/** Whether a batch failed only because what an op removes is not there. */
const alreadyGone = (e: unknown, op: KernelOp | undefined): boolean => e instanceof KernelError && e.kind === 'not-found' && op !== undefined && isRemoval(op);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function blocked(step: Step): boolean {
  const dep = step.deps.find((d) => !d.ok);
  if (dep && step.ok) {
    step.error = new Error(`skipped: ${dep.label} failed`);
    step.skippedBy = dep;
  }
  return !step.ok;
}

type Entry = { step: Step; ops: KernelOp[] };

/** Runs one merged batch; attributes a failure to its step and resumes after it. */
async function runMerged(runner: OpRunner, ns: NsKey, entries: Entry[], o: ExecuteOptions, view = false): Promise<NamespaceView | undefined> {
  let queue = entries.filter((e) => !blocked(e.step) && e.ops.length > 0);
  let attempt = 0;
  while (queue.length > 0) {
    const ops = queue.flatMap((e) => e.ops);
    try {
      if (view && ns !== undefined && runner.runAndView) return await runner.runAndView(ns, ops);
      await runner.run(ns, ops);
      return undefined;
    } catch (e) {
      const at = failedOp(e);
      if (isNetdError(e, 'retry') && attempt < (o.retries ?? 5)) {
        // Ops before `at` were applied; retry from the failing one.
        queue = resumeAt(queue, at ?? 0);
        await sleep((o.backoffMs ?? 50) * 2 ** attempt++);
        continue;
      }
      if (at === undefined) {
        // `ip -n NS` could not enter NS: what was to be deleted in it went with it.
        if (ns !== undefined && queue.every((q) => q.ops.every((o) => alreadyGone(e, o)))) return undefined;
        for (const q of queue) q.step.error ??= e;
        return undefined;
      }
      if (alreadyGone(e, ops[at])) {
        queue = resumeAt(queue, at + 1);
        attempt = 0;
        continue;
      }
      queue = resumeAt(queue, at);
      queue[0]!.step.error ??= e;
      const first = queue[0]!.ops[0];
      if (first) queue[0]!.step.failedOp ??= first;
      queue = queue.slice(1).filter((q) => !blocked(q.step));
      attempt = 0;
    }
  }
  return undefined;
}

/** What is left to run from op `at` of the merged batch on (the ops before it were applied). */
function resumeAt(queue: Entry[], at: number): Entry[] {
  let n = 0;
  for (let i = 0; i < queue.length; i++) {
    const q = queue[i]!;
    if (at < n + q.ops.length) return [{ step: q.step, ops: q.ops.slice(at - n) }, ...queue.slice(i + 1)];
    n += q.ops.length;
  }
  return [];
}

async function pool<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Runs a phase; the last phase's namespace batches also read their namespace back (into views). */
async function runPhase(runner: OpRunner, steps: readonly Step[], phase: Phase, o: ExecuteOptions, views: Map<string, NamespaceView>): Promise<void> {
  const byNs = new Map<NsKey, Entry[]>();
  for (const step of steps) {
    const mine = new Map<NsKey, KernelOp[]>();
    for (const p of step.ops) if (p.phase === phase) mine.set(p.op.ns, [...(mine.get(p.op.ns) ?? []), p.op]);
    for (const [ns, ops] of mine) byNs.set(ns, [...(byNs.get(ns) ?? []), { step, ops }]);
  }
  const host = byNs.get(undefined);
  if (host) await runMerged(runner, undefined, host, o);
  const namespaces = [...byNs.keys()].filter((k): k is string => k !== undefined);
  let done = 0;
  const release = runner.ahead?.(namespaces);
  try {
    await pool(namespaces, o.parallel ?? DEFAULT_PARALLEL, async (ns) => {
      const view = await runMerged(runner, ns, byNs.get(ns)!, o, phase === PHASES[PHASES.length - 1]);
      if (view) views.set(ns, view);
      o.progress?.(phase, ++done, namespaces.length);
    });
  } finally {
    release?.();
  }
}

/** Best effort: undo ops run with -force; their own failures are logged, never thrown. */
async function runUndo(runner: OpRunner, step: Step, o: ExecuteOptions): Promise<void> {
  // In order, one -force batch per run of ops in the same namespace (ip goes on past a failing line).
  const runs: KernelOp[][] = [];
  for (const op of step.undoOps.filter((u) => !undoesRefusedCreate(u, step))) {
    const last = runs[runs.length - 1];
    if (last && last[0]!.ns === op.ns) last.push(op);
    else runs.push([op]);
  }
  for (const ops of runs) {
    try {
      await runner.run(ops[0]!.ns, ops, { force: true });
    } catch (e) {
      o.log?.warn({ step: step.label, err: String(e) }, 'undo failed');
    }
  }
}

/**
 * A create the kernel refused because the object exists made nothing: its undo would delete
 * the object that was there (someone else's bridge of the same name), so it does not run.
 */
function undoesRefusedCreate(undo: KernelOp, step: Step): boolean {
  const f = step.failedOp;
  if (!f || !(step.error instanceof KernelError) || step.error.kind !== 'exists') return false;
  if (f.op === 'link-add') return undo.op === 'link-del' && undo.name === f.name && undo.ns === f.ns;
  if (f.op === 'netns-add') return undo.op === 'netns-del' && undo.name === f.name;
  return false;
}

export interface Executed {
  readonly failed: Step[];
  /** Namespaces as their last batch left them (read in the same process), for verify. */
  readonly views: ReadonlyMap<string, NamespaceView>;
}

/** Executes every step's kernel work; failed steps are undone. */
export async function executeSteps(runner: OpRunner, steps: readonly Step[], o: ExecuteOptions = {}): Promise<Executed> {
  const views = new Map<string, NamespaceView>();
  for (const phase of PHASES) await runPhase(runner, steps, phase, o, views);
  const failed = steps.filter((s) => blocked(s) && !(s.follows && s.skippedBy));
  for (const s of [...failed].reverse()) {
    await runUndo(runner, s, o);
    // Its undo may have changed its namespaces after they were read back.
    for (const ns of s.namespaces()) views.delete(ns);
  }
  return { failed, views };
}
