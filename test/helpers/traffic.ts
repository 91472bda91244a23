/**
 * Traffic between namespaces: a TCP echo server in one namespace (or the host, ns undefined)
 * and a client in another. Connectivity is proven by a round trip, never by reading config.
 */
import { spawn } from 'node:child_process';

/**
 * Where a side runs: a named namespace of this host, this host (undefined), or the command
 * that runs a program there (a simulated host's nsenter prefix, see hosts.ts).
 */
export type Place = string | undefined | readonly string[];

function nodeIn(ns: Place, script: string): { done: Promise<string>; ready: Promise<void>; kill: () => void } {
  const prefix = ns === undefined ? [] : typeof ns === 'string' ? ['ip', 'netns', 'exec', ns] : ns;
  const argv = [...prefix, process.execPath, '-e', script];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (markReady = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('listening')) markReady();
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<string>((resolve) => child.on('exit', () => resolve(out)));
  return { done, ready, kill: () => child.kill('SIGKILL') };
}

/**
 * True when a client in `clientNs` gets the echo of a server listening on addr:port in
 * `serverNs` (undefined: the host namespace) within timeoutMs; false when it cannot connect.
 */
export async function tcpRoundTrip(clientNs: Place, serverNs: Place, addr: string, port = 7000, timeoutMs = 1500): Promise<boolean> {
  return (await tcpExchange(clientNs, serverNs, addr, port, { timeoutMs })) !== undefined;
}

/**
 * A TCP round trip; resolves with the client address the server saw (to check NAT), or
 * undefined when there was no round trip. `connect` is where the client connects (default:
 * the server's own address and port; a published host port for DNAT).
 */
export async function tcpExchange(
  clientNs: Place,
  serverNs: Place,
  addr: string,
  port = 7000,
  o: { timeoutMs?: number; connect?: { addr: string; port: number } } = {},
): Promise<string | undefined> {
  const timeoutMs = o.timeoutMs ?? 1500;
  const to = o.connect ?? { addr, port };
  const server = nodeIn(
    serverNs,
    `const s=require('net').createServer(c=>c.on('data',d=>{c.end('pong:'+d+' from '+c.remoteAddress);s.close()}));s.listen(${port},'${addr}',()=>console.log('listening'));setTimeout(()=>process.exit(0),${timeoutMs + 3000})`,
  );
  await Promise.race([server.ready, server.done]);
  const client = nodeIn(
    clientNs,
    `const c=require('net').connect(${to.port},'${to.addr}',()=>c.write('ping'));let b='';c.on('data',d=>b+=d);c.on('end',()=>{console.log(b);process.exit(0)});c.on('error',e=>{console.log('error '+e.code);process.exit(0)});setTimeout(()=>{console.log('timeout');process.exit(0)},${timeoutMs})`,
  );
  const answer = (await client.done).trim();
  server.kill();
  await server.done;
  const m = /^pong:ping from (\S+)$/.exec(answer);
  return m ? m[1]!.replace(/^::ffff:/, '') : undefined;
}

/**
 * A UDP round trip: a datagram from `clientNs` to `connect` (default addr:port) answered by an
 * echo server on addr:port in `serverNs`; resolves with the client address the server saw, or
 * undefined when no answer came back within timeoutMs.
 */
export async function udpExchange(
  clientNs: Place,
  serverNs: Place,
  addr: string,
  port: number,
  o: { timeoutMs?: number; connect?: { addr: string; port: number } } = {},
): Promise<string | undefined> {
  const timeoutMs = o.timeoutMs ?? 1500;
  const to = o.connect ?? { addr, port };
  const type = (a: string): string => (a.includes(':') ? 'udp6' : 'udp4');
  const server = nodeIn(
    serverNs,
    `const s=require('dgram').createSocket('${type(addr)}');s.on('message',(m,r)=>s.send('pong:'+m+' from '+r.address,r.port,r.address));s.bind(${port},'${addr}',()=>console.log('listening'));setTimeout(()=>process.exit(0),${timeoutMs + 3000})`,
  );
  await Promise.race([server.ready, server.done]);
  const client = nodeIn(
    clientNs,
    `const c=require('dgram').createSocket('${type(to.addr)}');c.on('message',m=>{console.log(String(m));process.exit(0)});c.send('ping',${to.port},'${to.addr}');setTimeout(()=>{console.log('timeout');process.exit(0)},${timeoutMs})`,
  );
  const answer = (await client.done).trim();
  server.kill();
  await server.done;
  const m = /^pong:ping from (\S+)$/.exec(answer);
  return m ? m[1]!.replace(/^::ffff:/, '') : undefined;
}
