/**
 * Runs the kernel work of many steps with as few processes as possible: per phase, one merged
 * batch for the host namespace, then one merged batch per namespace, in parallel. A failing
 * line fails only the step it belongs to: the lines before it have been applied, so the batch
 * resumes after that step's lines. Retryable errors (the kernel said busy) are retried with
 * bounded exponential backoff. Deleting what is already gone is success (like CNI DEL): a
 * crash, or the kernel tearing a deleted namespace's veths down after `netns del` returned, can
 * leave the snapshot stale, so such a line is skipped and its step goes on.
 */
import { isNetdError } from '../errors.js';
import type { Logger } from '../log.js';
import { DEFAULT_PARALLEL, KernelError } from '../kernel/index.js';
import type { NamespaceView } from '../state/view.js';
import { PHASES, type NsKey, type Phase, type Step } from './step.js';

/** The kernel seam of the executor: run batch lines in a namespace (undefined: host). */
export interface BatchRunner {
  /** Throws on the first failing line; the error carries `line`, 1-based (the lines before it were applied). */
  run(ns: NsKey, lines: readonly string[], opts?: { force?: boolean }): Promise<void>;
  /** The same in a namespace, reading the namespace back in the same process afterwards. */
  runAndView?(ns: string, lines: readonly string[]): Promise<NamespaceView>;
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

/** The batch lines that delete: `link del`, `netns del`, `addr del`, `route del`. */
const DELETION = /^(link|netns|addr|address|route) (del|delete)\b/;

/** Whether a batch failed only because what a line deletes is not there. */
const alreadyGone = (e: unknown, line: string | undefined): boolean =>
  e instanceof KernelError && e.kind === 'not-found' && line !== undefined && DELETION.test(line);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function blocked(step: Step): boolean {
  const dep = step.deps.find((d) => !d.ok);
  if (dep && step.ok) {
    step.error = new Error(`skipped: ${dep.label} failed`);
    step.skippedBy = dep;
  }
  return !step.ok;
}

type Entry = { step: Step; lines: string[] };

/** Runs one merged batch; attributes a failure to its step and resumes after it. */
async function runMerged(runner: BatchRunner, ns: NsKey, entries: Entry[], o: ExecuteOptions, view = false): Promise<NamespaceView | undefined> {
  let queue = entries.filter((e) => !blocked(e.step) && e.lines.length > 0);
  let attempt = 0;
  while (queue.length > 0) {
    const lines = queue.flatMap((e) => e.lines);
    try {
      if (view && ns !== undefined && runner.runAndView) return await runner.runAndView(ns, lines);
      await runner.run(ns, lines);
      return undefined;
    } catch (e) {
      const at = failedLine(e);
      if (isNetdError(e, 'retry') && attempt < (o.retries ?? 5)) {
        // Lines before `at` were applied; retry from the failing line.
        queue = resumeAt(queue, at ?? 0);
        await sleep((o.backoffMs ?? 50) * 2 ** attempt++);
        continue;
      }
      if (at === undefined) {
        // `ip -n NS` could not enter NS: what was to be deleted in it went with it.
        if (ns !== undefined && queue.every((q) => q.lines.every((l) => alreadyGone(e, l)))) return undefined;
        for (const q of queue) q.step.error ??= e;
        return undefined;
      }
      if (alreadyGone(e, lines[at])) {
        queue = resumeAt(queue, at + 1);
        attempt = 0;
        continue;
      }
      queue = resumeAt(queue, at);
      queue[0]!.step.error ??= e;
      queue = queue.slice(1).filter((q) => !blocked(q.step));
      attempt = 0;
    }
  }
  return undefined;
}

/** What is left to run from line `at` of the merged batch on (the lines before it were applied). */
function resumeAt(queue: Entry[], at: number): Entry[] {
  let n = 0;
  for (let i = 0; i < queue.length; i++) {
    const q = queue[i]!;
    if (at < n + q.lines.length) return [{ step: q.step, lines: q.lines.slice(at - n) }, ...queue.slice(i + 1)];
    n += q.lines.length;
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
async function runPhase(runner: BatchRunner, steps: readonly Step[], phase: Phase, o: ExecuteOptions, views: Map<string, NamespaceView>): Promise<void> {
  const byNs = new Map<NsKey, Entry[]>();
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
  await pool(namespaces, o.parallel ?? DEFAULT_PARALLEL, async (ns) => {
    const view = await runMerged(runner, ns, byNs.get(ns)!, o, phase === PHASES[PHASES.length - 1]);
    if (view) views.set(ns, view);
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

export interface Executed {
  readonly failed: Step[];
  /** Namespaces as their last batch left them (read in the same process), for verify. */
  readonly views: ReadonlyMap<string, NamespaceView>;
}

/** Executes every step's kernel work; failed steps are undone. */
export async function executeSteps(runner: BatchRunner, steps: readonly Step[], o: ExecuteOptions = {}): Promise<Executed> {
  const views = new Map<string, NamespaceView>();
  for (const phase of PHASES) await runPhase(runner, steps, phase, o, views);
  const failed = steps.filter((s) => blocked(s));
  for (const s of [...failed].reverse()) {
    await runUndo(runner, s, o);
    // Its undo may have changed its namespaces after they were read back.
    for (const p of [...s.parts, ...s.undoParts]) if (p.ns !== undefined) views.delete(p.ns);
  }
  return { failed, views };
}
