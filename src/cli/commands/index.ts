/**
 * The command registry: the single source of the parser, --help and the completion scripts.
 * Adding a command: one module exporting `run`, one entry below. Explicit on purpose
 * (STYLE.md §3): no registration by import side effect. The modules are imported only when
 * their command runs: the registry itself loads nothing heavy.
 */
import { ALLOW_EMPTY_OPTION, CONVERGE_OPTIONS, FILE_OPTION, LOCK_OPTION, type Command } from '../context.js';

export type { Command, Context } from '../context.js';

export const COMMANDS: readonly Command[] = [
  {
    name: 'apply',
    summary: 'converge the host to the files: create, update, repair and prune',
    usage: 'netd apply -f PATH... [--dry-run] [--yes] [--max-deletes N] [--prune=false] [--allow-empty] [--force] [--lock-timeout 60s] [-o json|yaml]',
    examples: [
      'netd apply -f netd.yaml',
      'netd apply -f /etc/netd --dry-run',
      'netd apply -f /etc/netd --yes --max-deletes 10',
      'netd apply -f site.yaml -f extra/ --prune=false',
    ],
    options: {
      ...CONVERGE_OPTIONS,
      'dry-run': { type: 'boolean', help: 'print the plan and change nothing' },
      yes: { type: 'boolean', help: 'do not ask before deleting or replacing (asked only when stdin is a terminal)' },
    },
    writes: true,
    load: async () => (await import('./apply.js')).run,
  },
  {
    name: 'completion',
    summary: 'print a shell completion script (bash, zsh or fish)',
    usage: 'netd completion bash|zsh|fish',
    examples: ['eval "$(netd completion bash)"', 'netd completion fish > ~/.config/fish/completions/netd.fish'],
    positionals: 'bash|zsh|fish',
    outputs: ['table'],
    options: {},
    load: async () => (await import('./completion.js')).run,
  },
  {
    name: 'delete',
    summary: 'remove exactly what the files declare (attachments, containers, networks)',
    usage: 'netd delete -f PATH... [--force] [--lock-timeout 60s]',
    examples: ['netd delete -f examples/multi-homed.yaml', 'netd delete -f net.yaml --force   # also attachments of undeclared containers'],
    options: {
      ...FILE_OPTION,
      ...LOCK_OPTION,
      force: {
        type: 'boolean',
        help: "also delete attachments of undeclared containers on the deleted networks, and proceed although the state was lost (kernel objects carry netd's mark the store does not know)",
      },
    },
    writes: true,
    load: async () => (await import('./delete.js')).run,
  },
  {
    name: 'diff',
    aliases: ['plan'],
    summary: 'show field-level differences between the files, the store and the kernel (exit 2: drift or a lost state)',
    usage: 'netd diff -f PATH... [--allow-empty] [-o table|json|yaml]',
    examples: ['netd diff -f netd.yaml', 'netd diff -f /etc/netd -o json   # exit 2 on drift (cron)'],
    options: { ...FILE_OPTION, ...ALLOW_EMPTY_OPTION },
    load: async () => (await import('./diff.js')).run,
  },
  {
    name: 'dns',
    summary: 'the resolver: serves the names of dns: true networks on their gateways (apply starts it when needed)',
    usage: 'netd dns [--state-dir DIR] [--log-level info]',
    examples: ['netd dns --state-dir /var/lib/netd'],
    outputs: ['table'],
    options: {},
    load: async () => (await import('./dns.js')).run,
  },
  {
    name: 'doctor',
    summary: 'check prerequisites, store health, leaks and (with -f) the overlay cluster (exit 1: problems found); reads only',
    usage: 'netd doctor [-f PATH...] [-o table|json|yaml]',
    examples: ['netd doctor', 'netd doctor -f examples/overlay/host-a.yaml -o json'],
    options: { file: { ...FILE_OPTION.file, help: 'the desired state: its overlay networks are checked against the cluster (etcd, leases, config)' } },
    load: async () => (await import('./doctor.js')).run,
  },
  {
    name: 'export',
    summary: 'print what netd owns as a desired-state file that re-applies to a no-op',
    usage: 'netd export [-o yaml|json]',
    examples: ['netd export > current.yaml', 'netd export -o json'],
    outputs: ['yaml', 'json'],
    options: {},
    load: async () => (await import('./export.js')).run,
  },
  {
    name: 'get',
    summary: 'list networks, containers or attachments from the store, or the overlay subnet leases from etcd',
    usage:
      'netd get networks|containers|attachments [NAME] [-l key=value]... [-o table|wide|json|yaml]\n       netd get leases [NETWORK] -f PATH... [-o table|json|yaml]',
    examples: [
      'netd get networks',
      'netd get attachments web -o yaml',
      'netd get networks -l team=web -o wide',
      'netd get leases -f examples/overlay/host-a.yaml',
    ],
    positionals: 'networks|containers|attachments|leases [NAME]',
    options: {
      ...FILE_OPTION,
      selector: {
        type: 'string',
        short: 'l',
        multiple: true,
        value: 'KEY=VALUE',
        help: 'only networks or containers whose labels match key=value; all given (also comma-separated) must match',
      },
    },
    outputs: ['table', 'wide', 'json', 'yaml'],
    load: async () => (await import('./get.js')).run,
  },
  {
    name: 'graph',
    summary: 'draw networks, containers and attachments (Graphviz DOT, or SVG through dot)',
    usage: 'netd graph [-o dot|svg]',
    examples: ['netd graph | dot -Tpng > netd.png', 'netd graph -o svg > netd.svg'],
    outputs: ['dot', 'svg'],
    options: {},
    load: async () => (await import('./graph.js')).run,
  },
  {
    name: 'inspect',
    summary:
      'show networks or containers in detail, as docker inspect does (a JSON list; the kind found by name when left out); an overlay network with its lease and peers',
    usage: 'netd inspect [network|container] NAME... [-o json|yaml]',
    examples: ['netd inspect web', 'netd inspect network pods -o yaml'],
    positionals: '[network|container] NAME...',
    outputs: ['json', 'yaml'],
    options: {},
    load: async () => (await import('./inspect.js')).run,
  },
  {
    name: 'recover',
    summary: "rebuild a lost store's records from the marks on netd's kernel objects and the files",
    usage: 'netd recover -f PATH... [--lock-timeout 60s]',
    examples: ['netd recover -f /etc/netd'],
    options: { ...FILE_OPTION, ...LOCK_OPTION },
    outputs: ['table'],
    writes: true,
    load: async () => (await import('./recover.js')).run,
  },
  {
    name: 'validate',
    summary: 'check desired-state files and report every error at once',
    usage: 'netd validate -f PATH... [-o table|json|yaml]',
    examples: ['netd validate -f netd.yaml', 'netd validate -f examples/ -o json'],
    options: { ...FILE_OPTION },
    load: async () => (await import('./validate.js')).run,
  },
  {
    name: 'version',
    summary: 'print the netd version and the git commit it was built from',
    usage: 'netd version [-o table|json|yaml]',
    examples: ['netd version', 'netd version -o json'],
    options: {},
    load: async () => (await import('./version.js')).run,
  },
  {
    name: 'watch',
    summary: 'daemon: apply on every change of the files, and repair drift every --resync',
    usage:
      'netd watch -f PATH... [--resync 60s|1m30s|1h] [--listen 127.0.0.1:9464] [--max-deletes N] [--prune=false] [--allow-empty] [--force] [--lock-timeout 60s] [-o json]',
    examples: ['netd watch -f /etc/netd', 'netd watch -f /etc/netd --resync 5m --listen 127.0.0.1:9464 --max-deletes 20'],
    options: {
      ...CONVERGE_OPTIONS,
      resync: { type: 'string', value: 'DURATION', help: 'apply at least this often, repairing drift: 500ms, 60s, 1m30s, 1h (default 60s)' },
      listen: { type: 'string', value: 'ADDR:PORT', help: 'serve /metrics (Prometheus) and /healthz on ADDR:PORT (off by default; e.g. 127.0.0.1:9464)' },
    },
    writes: true,
    load: async () => (await import('./watch.js')).run,
  },
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name || (c.aliases ?? []).includes(name));
}

export function commandNames(): string[] {
  return COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
}
