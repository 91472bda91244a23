/**
 * The watch daemon's HTTP face (`--listen ADDR:PORT`, off by default): `/metrics` in
 * Prometheus' text format (prom-client) and `/healthz` — 200 when the last pass converged,
 * 503 with the reason otherwise (before the first pass too).
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { NetdError } from '../errors.js';
import type { ApplyReport } from '../reconcile/apply-report.js';
import type { RecordedState } from '../plan/types.js';

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly #passes = new Counter({
    name: 'netd_passes_total',
    help: 'Passes by trigger and outcome.',
    labelNames: ['trigger', 'outcome'],
    registers: [this.registry],
  });
  readonly #changes = new Counter({
    name: 'netd_changes_total',
    help: 'Changes applied, by object kind and action.',
    labelNames: ['kind', 'action'],
    registers: [this.registry],
  });
  readonly #failures = new Counter({ name: 'netd_failures_total', help: 'Errors by kind (NetdError code).', labelNames: ['kind'], registers: [this.registry] });
  readonly #drift = new Counter({
    name: 'netd_drift_total',
    help: 'Repairs planned: drift found in the kernel, by object kind.',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly #duration = new Histogram({
    name: 'netd_pass_duration_seconds',
    help: 'Duration of a pass, by trigger.',
    labelNames: ['trigger'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly #objects = new Gauge({ name: 'netd_objects', help: 'Objects netd owns, by kind.', labelNames: ['kind'], registers: [this.registry] });
  readonly #lastSuccess = new Gauge({
    name: 'netd_last_success_timestamp_seconds',
    help: 'When a pass last converged (Unix time).',
    registers: [this.registry],
  });
  readonly #leaseTtl = new Gauge({
    name: 'netd_lease_ttl_seconds',
    help: "Seconds left on this host's subnet lease, by overlay network.",
    labelNames: ['network'],
    registers: [this.registry],
  });
  #health: { ok: boolean; reason: string } = { ok: false, reason: 'no pass has run yet' };

  pass(trigger: string, r: ApplyReport): void {
    this.#passes.inc({ trigger, outcome: r.outcome });
    this.#duration.observe({ trigger }, r.phases.reduce((n, p) => n + p.ms, 0) / 1000);
    r.changes.forEach((c) => c.outcome === 'done' && this.#changes.inc({ kind: c.kind, action: c.action }));
    for (const f of r.failures) this.#failures.inc({ kind: f.code });
    for (const c of r.plan) if (c.action === 'repair') this.#drift.inc({ kind: c.kind });
    const ok = r.outcome === 'applied' || r.outcome === 'in-sync';
    if (ok) this.#lastSuccess.setToCurrentTime();
    this.#health = ok
      ? { ok, reason: r.outcome }
      : {
          ok,
          reason:
            r.outcome === 'refused'
              ? `refused: ${r.refused.join('; ')}`
              : `${r.outcome}: ${r.failures.map((f) => f.message).join('; ') || `${r.remaining.length} changes remain`}`,
        };
  }

  /** A pass that could not run at all (the files refused, an error before applying). */
  failed(trigger: string, kind: string, reason: string): void {
    this.#passes.inc({ trigger, outcome: 'failed' });
    this.#failures.inc({ kind });
    this.#health = { ok: false, reason };
  }

  objects(r: Pick<RecordedState, 'networks' | 'sandboxes' | 'endpoints'>): void {
    this.#objects.set({ kind: 'network' }, r.networks.length);
    this.#objects.set({ kind: 'container' }, r.sandboxes.length);
    this.#objects.set({ kind: 'attachment' }, r.endpoints.length);
  }

  leaseTtl(network: string, seconds: number): void {
    this.#leaseTtl.set({ network }, seconds);
  }

  get health(): { ok: boolean; reason: string } {
    return this.#health;
  }
}

/** `127.0.0.1:9464`, `[::1]:9464`, `:9464` (every address) → host and port; a usage error otherwise. */
export function parseListen(text: string): { host?: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new NetdError('usage', `--listen: "${text}" is not ADDR:PORT (e.g. 127.0.0.1:9464)`);
  const host = m[1] ?? m[2];
  return host ? { host, port } : { port };
}

export async function serveMetrics(metrics: DaemonMetrics, listen: { host?: string; port: number }): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      void metrics.registry.metrics().then((body) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(body);
      });
    } else if (path === '/healthz') {
      const h = metrics.health;
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${h.ok ? 'ok' : 'unhealthy'}: ${h.reason}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found: /metrics and /healthz are served here\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new NetdError('conflict', `--listen ${listen.host ?? ''}:${listen.port}: ${e.code === 'EADDRINUSE' ? 'the address is in use' : e.message}`)),
    );
    server.listen(listen.port, listen.host, () => resolve());
  });
  return server;
}
