/**
 * Connecting to etcd: the endpoints are tried in order, each with a bounded timeout, and the
 * first that answers is used; TLS material is read from files.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Etcd3, type IOptions } from 'etcd3';
import { NetdError, isNetdError, messageOf } from '../errors.js';

export interface EtcdTls {
  /** PEM file paths: the CA that signed the server's certificate, and this client's certificate and key. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface EtcdConnectOptions {
  readonly endpoints: readonly string[];
  readonly tls?: EtcdTls;
  /** How long each endpoint gets to answer, and each call to complete (default 3000 ms). */
  readonly timeoutMs?: number;
}

/** Returns a client bound to the first endpoint that answers a read, and that endpoint. */
export async function connectEtcd(opts: EtcdConnectOptions): Promise<{ client: Etcd3; endpoint: string }> {
  if (opts.endpoints.length === 0) throw new NetdError('invalid', 'etcd: no endpoints given (cluster.etcd.endpoints)');
  const timeoutMs = opts.timeoutMs ?? 3000;
  const credentials = readTls(opts.tls);
  const failures: string[] = [];
  for (const endpoint of opts.endpoints) {
    const silent = await unanswered(endpoint, timeoutMs);
    if (silent !== undefined) {
      failures.push(`"${endpoint}": ${silent}`);
      continue;
    }
    const client = new Etcd3({
      hosts: [endpoint],
      dialTimeout: timeoutMs,
      // Streams (watch, keepalive) live as long as they are used; single calls are bounded.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
      faultHandling: { host: () => passThrough, global: passThrough },
      ...(credentials && { credentials }),
    });
    try {
      await client.kv.range({ key: Buffer.from([0]), limit: 1 });
      return { client, endpoint };
    } catch (e) {
      failures.push(`"${endpoint}": ${messageOf(e)}`);
      client.close();
    }
  }
  throw new NetdError(
    'retry',
    `etcd: none of the endpoints answered within ${timeoutMs} ms (${failures.join('; ')}); check cluster.etcd.endpoints and that etcd runs`,
  );
}

/**
 * Why endpoint takes no TCP connection within timeoutMs, or undefined when it does (or has no
 * port to try). gRPC cannot abandon a connection attempt: to an endpoint that drops packets
 * it stays pending after client.close() and keeps the process alive until the kernel gives up
 * (about 2 minutes, measured), long after the error was reported.
 */
function unanswered(endpoint: string, timeoutMs: number): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return Promise.resolve(undefined);
  }
  if (url.port === '') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port), timeout: timeoutMs });
    const done = (why: string | undefined): void => {
      socket.destroy();
      resolve(why);
    };
    socket.once('connect', () => done(undefined));
    socket.once('timeout', () => done(`no TCP connection within ${timeoutMs} ms`));
    socket.once('error', (e) => done(messageOf(e)));
  });
}

type Policy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;
/**
 * No fault handling in the client. etcd3's per-host circuit breaker refused every call for
 * 5 s after etcd came back (measured), and with one host per client there is nothing to fail
 * over to; its global retry tripled the time to give up on a silent endpoint and could apply
 * a write twice. Callers are level-based and retry themselves. (etcd3 only calls execute.)
 */
const passThrough = {
  // async: a function that throws must give a rejected promise (etcd3 catches those).
  execute: async <T>(fn: (ctx: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> => await fn({ signal: new AbortController().signal }),
} as unknown as Policy;

/** Runs one etcd call; an error that is not netd's names the endpoint (etcd down, TLS refused…). */
export async function etcdCall<T>(endpoint: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw isNetdError(e) ? e : new NetdError('retry', `etcd "${endpoint}": ${what}: ${messageOf(e)}`, { cause: e });
  }
}

function readTls(tls: EtcdTls | undefined): IOptions['credentials'] {
  if (!tls || (tls.ca === undefined && tls.cert === undefined && tls.key === undefined)) return undefined;
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new NetdError('invalid', 'etcd tls: a client certificate needs its key and the key its certificate (cluster.etcd.tls cert and key)');
  }
  const read = (what: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new NetdError('invalid', `etcd tls: ${what} file "${file}" cannot be read: ${messageOf(e)}`, { cause: e });
    }
  };
  // Without a CA file the server's certificate is checked against Node's bundled roots.
  const rootCertificate = tls.ca === undefined ? Buffer.from(rootCertificates.join('\n')) : read('ca', tls.ca);
  const out: { rootCertificate: Buffer; privateKey?: Buffer; certChain?: Buffer } = { rootCertificate };
  if (tls.cert !== undefined && tls.key !== undefined) {
    out.certChain = read('cert', tls.cert);
    out.privateKey = read('key', tls.key);
  }
  return out;
}
