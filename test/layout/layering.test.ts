/**
 * The layering of DESIGN.md §1, checked on the sources: the import graph has no cycle,
 * nothing imports upward, `plan/` and `state/` do no I/O, and no iproute2 text is written
 * outside `kernel/`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const sources = new Map(files(SRC).map((f) => [relative(SRC, f), readFileSync(f, 'utf8')]));
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/g;

/** file → the project files it imports (type-only imports included: they tie layers too). */
const graph = new Map<string, string[]>();
for (const [file, text] of sources) {
  const deps: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1]!;
    if (!spec.startsWith('.')) continue;
    deps.push(relative(SRC, resolve(SRC, dirname(file), spec)).replace(/\.js$/, '.ts'));
  }
  graph.set(file, deps);
}
const layer = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '.');
const externals = (file: string): string[] => [...sources.get(file)!.matchAll(IMPORT)].map((m) => m[1]!).filter((s) => !s.startsWith('.'));

test('layering: the import graph has no cycle', () => {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...path.slice(path.indexOf(f)), f].join(' → '));
      return;
    }
    state.set(f, 'open');
    for (const d of graph.get(f) ?? []) visit(d, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});

// Which layers each layer may import (besides itself). cli → reconcile → plan, controller →
// drivers, ipam, cluster → store → kernel → state; dns (the resolver) sits on the store; desired (the files' model) and errors/log
// sit below all. cluster (the overlay's shared state: config, subnet leases) sits on the store.
const BASE = ['state', 'desired', '.'];
const ALLOWED: Record<string, string[]> = {
  state: ['desired', '.'],
  desired: ['kernel', '.'], // the kernel's name rules are the one definition
  kernel: BASE,
  store: ['kernel', ...BASE],
  ipam: ['store', 'kernel', ...BASE],
  cluster: ['store', 'kernel', ...BASE],
  drivers: ['cluster', 'kernel', ...BASE],
  controller: ['drivers', 'ipam', 'cluster', 'store', 'kernel', ...BASE],
  plan: ['drivers', 'kernel', ...BASE],
  dns: ['store', 'kernel', ...BASE], // the resolver reads the records, read-only
  reconcile: ['dns', 'plan', 'controller', 'drivers', 'ipam', 'cluster', 'store', 'kernel', ...BASE],
  cli: ['dns', 'reconcile', 'plan', 'controller', 'drivers', 'ipam', 'cluster', 'store', 'kernel', ...BASE],
};

test('layering: nothing imports upward (drivers import nothing from the controller)', () => {
  const bad: string[] = [];
  for (const [file, deps] of graph) {
    const from = layer(file);
    if (from === '.' || !ALLOWED[from]) continue;
    for (const d of deps) if (layer(d) !== from && !ALLOWED[from].includes(layer(d))) bad.push(`${file} → ${d}`);
  }
  assert.deepEqual(bad, []);
});

test('layering: plan/ and state/ do no I/O (no node: modules, no process)', () => {
  const bad = [...sources.keys()]
    .filter((f) => layer(f) === 'plan' || layer(f) === 'state')
    .filter((f) => externals(f).some((s) => s.startsWith('node:')) || /\bprocess\./.test(sources.get(f)!));
  assert.deepEqual(bad, []);
});

test('layering: no iproute2 text outside kernel/', () => {
  const IPROUTE = /['`](?:link (?:add|del|set)|netns (?:add|del)|addr (?:add|del)|route (?:add|del|replace)|neigh (?:replace|del)|fdb (?:append|del))\b/;
  const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const bad = [...sources].filter(([f, text]) => layer(f) !== 'kernel' && IPROUTE.test(code(text))).map(([f]) => f);
  assert.deepEqual(bad, []);
});
