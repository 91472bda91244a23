import { EXIT, NetdError } from '../../errors.js';
import type { Runner } from '../../kernel/index.js';
import type { Command } from '../context.js';
import { readRecorded } from '../engine.js';
import { renderDot } from '../graph.js';

/** DOT → SVG through Graphviz's `dot`, with a clear message when it is not installed. */
export async function toSvg(dot: string, runner?: Runner): Promise<string> {
  const { ExecRunner, KernelError } = await import('../../kernel/index.js');
  try {
    return (await (runner ?? new ExecRunner()).run(['dot', '-Tsvg'], { input: dot })).stdout;
  } catch (e) {
    if (e instanceof KernelError && /ENOENT/.test(e.stderr)) {
      throw new NetdError('not-found', 'graph -o svg needs Graphviz: "dot" is not on PATH (install graphviz, or use -o dot)', { cause: e });
    }
    throw e;
  }
}

export const graphCommand: Command = {
  name: 'graph',
  summary: 'draw networks, containers and attachments (Graphviz DOT, or SVG through dot)',
  usage: 'netd graph [-o dot|svg]',
  examples: ['netd graph | dot -Tpng > netd.png', 'netd graph -o svg > netd.svg'],
  outputs: ['dot', 'svg'],
  options: {},
  async run(ctx) {
    const dot = renderDot(await readRecorded(ctx));
    ctx.out(ctx.output === 'svg' ? (await toSvg(dot)).trimEnd() : dot);
    return EXIT.ok;
  },
};
