/**
 * Validation throughput: a generated file of 5,000 containers and 5,000 attachments.
 *   node dist/bench/validate.js [CONTAINERS]
 * Prints objects/s for loadDesiredState and, as a reference, for yaml.parse alone.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadDesiredState } from '../src/desired/validate.js';

const n = Number(process.argv[2] ?? 5000);
const NETS = 20; // /20 each: room for n/NETS static addresses per network

function generate(): string {
  const out = ['version: 1', 'networks:'];
  for (let i = 0; i < NETS; i++) out.push(`  net-${i}: {subnet: 10.${100 + i}.0.0/20}`);
  out.push('containers:');
  for (let i = 0; i < n; i++) out.push(`  c-${i}: {hostname: c-${i}}`);
  out.push('attachments:');
  for (let i = 0; i < n; i++) {
    const host = Math.floor(i / NETS) + 10;
    out.push(
      `  - {container: c-${i}, network: net-${i % NETS}, ipv4: 10.${100 + (i % NETS)}.${host >> 8}.${host & 255}, ports: [{hostPort: ${10000 + i}, containerPort: 80}]}`,
    );
  }
  return `${out.join('\n')}\n`;
}

async function time(label: string, runs: number, f: () => unknown): Promise<number> {
  await f(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await f();
  const ms = (performance.now() - t0) / runs;
  const objects = NETS + 2 * n;
  console.log(
    `${label.padEnd(18)} ${ms.toFixed(1).padStart(8)} ms  ${Math.round((objects / ms) * 1000)
      .toLocaleString('en')
      .padStart(10)} objects/s`,
  );
  return ms;
}

const dir = mkdtempSync(join(tmpdir(), 'netd-bench-'));
try {
  const file = join(dir, 'big.yaml');
  const text = generate();
  writeFileSync(file, text);
  console.log(`${n} containers, ${n} attachments, ${NETS} networks (${(text.length / 1024).toFixed(0)} KiB)`);
  const full = await time('loadDesiredState', 5, async () => {
    const r = await loadDesiredState([file]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors.slice(0, 3)));
  });
  // Same key handling as the loader, so the ratio is the cost of everything after parsing.
  const yamlOnly = await time('yaml.parse alone', 5, () => parse(text, { uniqueKeys: false }));
  console.log(`ratio: validation costs ${(full / yamlOnly).toFixed(2)}x yaml.parse`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
