/**
 * Shell completion scripts, generated from the command registry (names, aliases, flags and
 * their descriptions), so that they never drift from the CLI. bash completes commands and
 * flags and, after -f, files; zsh uses the bash function through bashcompinit; fish gets
 * descriptions too.
 */
import { GLOBAL_OPTIONS, type Command, type Flags } from './context.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const flagsOf = (options: Flags): string[] => Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);

/** Single-quoted for sh: no expansion inside. */
const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

function bash(commands: readonly Command[]): string {
  const names = commands.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
  const global = flagsOf(GLOBAL_OPTIONS);
  const cases = commands.map((c) => `    ${[c.name, ...(c.aliases ?? [])].join('|')}) words=${quote([...flagsOf(c.options), ...global].join(' '))} ;;`);
  return [
    '# netd completion for bash: eval "$(netd completion bash)", or save it under /etc/bash_completion.d/netd',
    '_netd() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" words="" i',
    '  case "$prev" in',
    '    -f|--file|--state-dir) COMPREPLY=($(compgen -f -- "$cur")); return ;;',
    '  esac',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    case "${COMP_WORDS[i]}" in -*) ;; *) cmd="${COMP_WORDS[i]}"; break ;; esac',
    '  done',
    '  case "$cmd" in',
    `    "") words=${quote([...names, ...global].join(' '))} ;;`,
    ...cases,
    '  esac',
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    '}',
    'complete -F _netd netd',
    '',
  ].join('\n');
}

function zsh(commands: readonly Command[]): string {
  return ['# netd completion for zsh: eval "$(netd completion zsh)"', 'autoload -U +X bashcompinit && bashcompinit', bash(commands)].join('\n');
}

function fish(commands: readonly Command[]): string {
  const lines = ['# netd completion for fish: netd completion fish > ~/.config/fish/completions/netd.fish', 'complete -c netd -f'];
  for (const c of commands) lines.push(`complete -c netd -n __fish_use_subcommand -a ${quote(c.name)} -d ${quote(c.summary)}`);
  for (const c of commands) {
    for (const [name, o] of Object.entries(c.options)) {
      const file = name === 'file' ? ' -r -F' : o.type === 'string' ? ' -r' : '';
      lines.push(
        `complete -c netd -n ${quote(`__fish_seen_subcommand_from ${c.name}`)}${o.short ? ` -s ${o.short}` : ''} -l ${name}${file} -d ${quote(o.help)}`,
      );
    }
  }
  for (const [name, o] of Object.entries(GLOBAL_OPTIONS as Flags))
    lines.push(`complete -c netd${o.short ? ` -s ${o.short}` : ''} -l ${name}${o.type === 'string' ? ' -r' : ''} -d ${quote(o.help)}`);
  return `${lines.join('\n')}\n`;
}

export function completionScript(shell: Shell, commands: readonly Command[]): string {
  return shell === 'bash' ? bash(commands) : shell === 'zsh' ? zsh(commands) : fish(commands);
}
