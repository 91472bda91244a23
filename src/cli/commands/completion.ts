import { EXIT, escapeControls } from '../../errors.js';
import { SHELLS, completionScript, type Shell } from '../completion.js';
import type { Context } from '../context.js';
import { COMMANDS } from './index.js';

export function run(ctx: Context): Promise<number> {
  const [shell, ...extra] = ctx.positionals;
  if (!SHELLS.includes(shell as Shell) || extra.length > 0) {
    ctx.err(`netd completion: ${shell ? `unknown shell "${escapeControls(shell)}"` : 'the shell is required'} (known: ${SHELLS.join(', ')})`);
    return Promise.resolve(EXIT.usage);
  }
  ctx.io.stdout.write(completionScript(shell as Shell, COMMANDS));
  return Promise.resolve(EXIT.ok);
}
