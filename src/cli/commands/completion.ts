import { EXIT, escapeControls } from '../../errors.js';
import { SHELLS, completionScript, type Shell } from '../completion.js';
import type { Command } from '../context.js';

export const completionCommand: Command = {
  name: 'completion',
  summary: 'print a shell completion script (bash, zsh or fish)',
  usage: 'netd completion bash|zsh|fish',
  examples: ['eval "$(netd completion bash)"', 'netd completion fish > ~/.config/fish/completions/netd.fish'],
  positionals: 'bash|zsh|fish',
  outputs: ['table'],
  options: {},
  async run(ctx) {
    const [shell, ...extra] = ctx.positionals;
    if (!SHELLS.includes(shell as Shell) || extra.length > 0) {
      ctx.err(`netd completion: ${shell ? `unknown shell "${escapeControls(shell)}"` : 'the shell is required'} (known: ${SHELLS.join(', ')})`);
      return EXIT.usage;
    }
    // The registry and its help, loaded here: they import this command.
    const [{ COMMANDS }, { flagHelp }] = await Promise.all([import('./index.js'), import('../help.js')]);
    ctx.io.stdout.write(completionScript(shell as Shell, COMMANDS, flagHelp));
    return EXIT.ok;
  },
};
