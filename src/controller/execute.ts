/**
 * Runs the kernel work of many steps with as few processes as possible: per phase, one merged
 * batch for the host namespace, then one merged batch per namespace, in parallel. A failing
 * line fails only the step it belongs to: the lines before it have been applied, so the batch
 * resumes after that step's lines. Retryable errors (the kernel said busy) are retried with
 * bounded exponential backoff.
 */
import { isNetdError } from '../errors.js';
import type { Logger } from '../log.js';
import { PHASES, type NsKey, type Phase, type Step } from './step.js';

/** The kernel seam of the executor: run batch lines in a namespace (undefined: host). */
export interface BatchRunner {
  /** Throws on the first failing line; the error carries `line`, 1-based (the lines before it were applied). */
  run(ns: NsKey, lines: readonly string[], opts?: { force?: boolean }): Promise<void>;
}

export interface ExecuteOptions {
  readonly parallel?: number;
  /** Called after each namespace batch of a phase: (phase, batches done, batches in the phase). */
  readonly progress?: (phase: Phase, done: number, total: number) => void;
  readonly retries?: number;
  readonly backoffMs?: number;
  readonly log?: Logger;
}

/** The 0-based index of the line a batch failed at, when the error says. */
const failedLine = (e: unknown): number | undefined => {
  const line = (e as { line?: unknown } | undefined)?.line;
  return typeof line === 'number' ? line - 1 : undefined;
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function blocked(step: Step): boolean {
  const dep = step.deps.find((d) => !d.ok);
  if (dep && step.ok) step.error = new Error(`skipped: ${dep.label} failed`);
  return !step.ok;
}

/** Runs one merged batch; attributes a failure to its step and resumes after it. */
async function runMerged(runner: BatchRunner, ns: NsKey, entries: { step: Step; lines: string[] }[], o: ExecuteOptions): Promise<void> {
  let queue = entries.filter((e) => !blocked(e.step) && e.lines.length > 0);
  let attempt = 0;
  while (queue.length > 0) {
    const lines = queue.flatMap((e) => e.lines);
    try {
      await runner.run(ns, lines);
      return;
    } catch (e) {
      const at = failedLine(e);
      if (isNetdError(e, 'retry') && attempt < (o.retries ?? 5)) {
        // Lines before `at` were applied; retry from the failing step.
        queue = dropApplied(queue, at ?? 0);
        await sleep((o.backoffMs ?? 50) * 2 ** attempt++);
        continue;
      }
      if (at === undefined) {
        for (const q of queue) q.step.error ??= e;
        return;
      }
      queue = dropApplied(queue, at);
      queue[0]!.step.error ??= e;
      queue = queue.slice(1).filter((q) => !blocked(q.step));
      attempt = 0;
    }
  }
}

/** The entries from the one holding line `at` on (earlier ones were applied whole). */
function dropApplied(queue: { step: Step; lines: string[] }[], at: number): { step: Step; lines: string[] }[] {
  let n = 0;
  for (let i = 0; i < queue.length; i++) {
    n += queue[i]!.lines.length;
    if (at < n) return queue.slice(i);
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

async function runPhase(runner: BatchRunner, steps: readonly Step[], phase: Phase, o: ExecuteOptions): Promise<void> {
  const byNs = new Map<NsKey, { step: Step; lines: string[] }[]>();
  for (const step of steps) {
    for (const part of step.parts.filter((p) => p.phase === phase)) {
      if (!byNs.has(part.ns)) byNs.set(part.ns, []);
      byNs.get(part.ns)!.push({ step, lines: part.lines });
    }
  }
  const host = byNs.get(undefined);
  if (host) await runMerged(runner, undefined, host, o);
  const namespaces = [...byNs.keys()].filter((k): k is string => k !== undefined);
  let done = 0;
  await pool(namespaces, o.parallel ?? 8, async (ns) => {
    await runMerged(runner, ns, byNs.get(ns)!, o);
    o.progress?.(phase, ++done, namespaces.length);
  });
}

/** Best effort: undo lines run with -force; their own failures are logged, never thrown. */
async function runUndo(runner: BatchRunner, step: Step, o: ExecuteOptions): Promise<void> {
  for (const part of step.undoParts) {
    try {
      await runner.run(part.ns, part.lines, { force: true });
    } catch (e) {
      o.log?.warn({ step: step.label, err: String(e) }, 'undo failed');
    }
  }
}

/** Executes every step's kernel work; failed steps are undone. Returns the failed steps. */
export async function executeSteps(runner: BatchRunner, steps: readonly Step[], o: ExecuteOptions = {}): Promise<Step[]> {
  for (const phase of PHASES) await runPhase(runner, steps, phase, o);
  const failed = steps.filter((s) => blocked(s));
  for (const s of [...failed].reverse()) await runUndo(runner, s, o);
  return failed;
}
