/** `netd completion`: scripts generated from the registry that the shells accept, and that complete. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { runCli } from '../helpers/cli.js';

/** What bash's completion function offers for a command line (the cursor at its end). */
function complete(script: string, line: string): string[] {
  const words = line.split(' ');
  const program = [
    script,
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    '_netd',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '-c', program], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

test('completion bash: commands, then the flags of the command', async () => {
  const r = await runCli(['completion', 'bash']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(spawnSync('bash', ['-n'], { input: r.stdout }).status, 0, 'bash parses it');
  assert.deepEqual(complete(r.stdout, 'netd ap'), ['apply']);
  assert.ok(complete(r.stdout, 'netd apply --max').includes('--max-deletes'));
  assert.ok(complete(r.stdout, 'netd watch --li').includes('--listen'));
  assert.deepEqual(complete(r.stdout, 'netd get -o w'), [], 'no flag starts that way');
});

test('completion zsh and fish; an unknown shell is a usage error', async () => {
  const zsh = await runCli(['completion', 'zsh']);
  assert.match(zsh.stdout, /^autoload -U \+X bashcompinit && bashcompinit$/m);
  const fish = await runCli(['completion', 'fish']);
  assert.match(fish.stdout, /^complete -c netd -n '__fish_seen_subcommand_from apply' -l max-deletes -r -d 'refuse a plan/m);
  assert.match(fish.stdout, /^complete -c netd -n '__fish_seen_subcommand_from apply' -s f -l file -r -F/m);
  const bad = await runCli(['completion', 'tcsh']);
  assert.equal(bad.code, 64);
  assert.match(bad.stderr, /unknown shell "tcsh" \(known: bash, zsh, fish\)/);
});

test('--help: every command has examples and every flag a description', async () => {
  const { COMMANDS } = await import('../../src/cli/commands/index.js');
  for (const c of COMMANDS) {
    assert.ok(c.examples.length > 0, `${c.name}: examples`);
    for (const e of c.examples) assert.match(e, new RegExp(`^(eval "\\$\\()?netd ${c.name}\\b`), `${c.name}: "${e}" runs the command`);
    const r = await runCli([c.name, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(`\nExamples:\n  ${c.examples[0]}\n`), `${c.name}: examples in --help`);
    // Each flag on its line, with (the start of) its description; and the global flags.
    const help = r.stdout.replace(/\s+/g, ' ');
    for (const [name, f] of Object.entries(c.options))
      assert.ok(help.includes(`--${name}`) && help.includes(f.help.slice(0, 30)), `${c.name} --${name}: described`);
    assert.match(r.stdout, /\nGlobal Options:\n(.*\n)* {2}--state-dir <DIR> +state directory/, c.name);
  }
});
