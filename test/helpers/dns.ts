/**
 * DNS from inside a container: lookups the way programs make them (getent, through glibc and
 * the container's resolv.conf), and raw queries with a small node client run in the
 * namespace (its rcode and answers; a flood that counts the answers).
 */
import { execFile } from 'node:child_process';
import { ROOT } from './cli.js';

function inNs(ns: string, argv: string[], timeoutMs = 15_000): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns, ...argv], { cwd: ROOT, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) || 1 : 0, stdout }),
    );
  });
}

/** The addresses getent prints for name in ns; [] when it does not resolve. */
export async function getent(ns: string, name: string): Promise<string[]> {
  const r = await inNs(ns, ['getent', 'hosts', name]);
  return r.code === 0
    ? [
        ...new Set(
          r.stdout
            .split('\n')
            .map((l) => l.split(/\s+/)[0]!)
            .filter(Boolean),
        ),
      ].sort()
    : [];
}

const QUERY = `
const p = require('dns-packet'), s = require('dgram').createSocket(process.argv[1].includes(':') ? 'udp6' : 'udp4');
const id = 4242, t = setTimeout(() => { console.log('timeout'); process.exit(0); }, 2000);
s.on('message', (m) => { const r = p.decode(m); if (r.id !== id) return;
  console.log(JSON.stringify({ rcode: r.rcode, aa: r.flag_aa, answers: r.answers.map((a) => String(a.data)) })); process.exit(0); });
s.send(p.encode({ type: 'query', id, flags: p.RECURSION_DESIRED, questions: [{ type: process.argv[3], name: process.argv[2] }] }), 53, process.argv[1]);
`;

export interface QueryResult {
  readonly rcode: string;
  readonly aa: boolean;
  readonly answers: string[];
}

const QUERY_TCP = `
const p = require('dns-packet'), c = require('net').connect(53, process.argv[1]);
const t = setTimeout(() => { console.log('timeout'); process.exit(0); }, 2000);
c.on('error', () => { console.log('timeout'); process.exit(0); });
c.on('connect', () => c.write(p.streamEncode({ type: 'query', id: 4242, flags: p.RECURSION_DESIRED, questions: [{ type: process.argv[3], name: process.argv[2] }] })));
let b = Buffer.alloc(0);
c.on('data', (d) => { b = Buffer.concat([b, d]); if (b.length < 2 || b.length < 2 + b.readUInt16BE(0)) return; const r = p.streamDecode(b);
  console.log(JSON.stringify({ rcode: r.rcode, aa: r.flag_aa, answers: r.answers.map((a) => String(a.data)) })); process.exit(0); });
`;

/** One query from ns to server, over UDP (or TCP); undefined when no answer came within 2 s. */
export async function query(ns: string, server: string, name: string, type = 'A', transport: 'udp' | 'tcp' = 'udp'): Promise<QueryResult | undefined> {
  const r = await inNs(ns, [process.execPath, '-e', transport === 'udp' ? QUERY : QUERY_TCP, server, name, type]);
  return r.stdout.trim() === 'timeout' ? undefined : (JSON.parse(r.stdout) as QueryResult);
}

const FLOOD = `
const p = require('dns-packet'), s = require('dgram').createSocket('udp4');
const [server, name, total, rate] = [process.argv[1], process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const seen = new Set(); let sent = 0; const t0 = Date.now();
s.on('message', (m) => { const r = p.decode(m); if (r.rcode === 'NOERROR' && r.answers.length > 0) seen.add(r.id); });
const tick = setInterval(() => {
  const due = Math.min(total, Math.ceil(((Date.now() - t0) * rate) / 1000));
  for (; sent < due; sent++) s.send(p.encode({ type: 'query', id: sent, flags: p.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), 53, server);
  if (sent === total) { clearInterval(tick); const ms = Date.now() - t0;
    setTimeout(() => { console.log(JSON.stringify({ sent, answered: seen.size, ms })); process.exit(0); }, 2000); }
}, 5);
`;

/** Sends total A queries for name at rate per second from ns; how many were answered (with an address). */
export async function flood(ns: string, server: string, name: string, total: number, rate: number): Promise<{ sent: number; answered: number; ms: number }> {
  const r = await inNs(ns, [process.execPath, '-e', FLOOD, server, name, String(total), String(rate)], 60_000);
  return JSON.parse(r.stdout) as { sent: number; answered: number; ms: number };
}
