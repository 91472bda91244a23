/** The Runner seam's fake (beside ExecRunner and CountingRunner): records commands and answers from a script, for pure tests above the kernel. */
import type { RunOptions, RunResult, Runner } from './exec.js';

export class FakeRunner implements Runner {
  readonly calls: { argv: string[]; opts: RunOptions }[] = [];
  constructor(private readonly answer: (argv: string[], opts: RunOptions) => RunResult | Promise<RunResult> = () => ({ stdout: '', stderr: '' })) {}

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    this.calls.push({ argv, opts });
    return this.answer(argv, opts);
  }
}
