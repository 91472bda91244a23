import { EXIT, NetdError } from '../../errors.js';
import { ExecRunner, KernelError, type Runner } from '../../kernel/index.js';
import type { Context } from '../context.js';
import { readRecorded } from '../engine.js';
import { renderDot } from '../graph.js';

/** DOT → SVG through Graphviz's `dot`, with a clear message when it is not installed. */
export async function toSvg(dot: string, runner: Runner = new ExecRunner()): Promise<string> {
  try {
    return (await runner.run(['dot', '-Tsvg'], { input: dot })).stdout;
  } catch (e) {
    if (e instanceof KernelError && /ENOENT/.test(e.stderr)) {
      throw new NetdError('not-found', 'graph -o svg needs Graphviz: "dot" is not on PATH (install graphviz, or use -o dot)', { cause: e });
    }
    throw e;
  }
}

export async function run(ctx: Context): Promise<number> {
  const dot = renderDot(await readRecorded(ctx));
  ctx.out(ctx.output === 'svg' ? (await toSvg(dot)).trimEnd() : dot);
  return EXIT.ok;
}
