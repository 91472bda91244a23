/**
 * Connecting to etcd: the endpoints are tried in order, each with a bounded timeout, and the
 * first that answers is used; TLS material is read from files.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Etcd3, type IOptions } from 'etcd3';
import { NetdError, messageOf } from '../errors.js';

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

/** Returns a client bound to the first endpoint that answers a read. */
export async function connectEtcd(opts: EtcdConnectOptions): Promise<Etcd3> {
  if (opts.endpoints.length === 0) throw new NetdError('invalid', 'etcd: no endpoints given (cluster.etcd.endpoints)');
  const timeoutMs = opts.timeoutMs ?? 3000;
  const credentials = readTls(opts.tls);
  const failures: string[] = [];
  for (const endpoint of opts.endpoints) {
    const client = new Etcd3({
      hosts: [endpoint],
      dialTimeout: timeoutMs,
      // Streams (watch, keepalive) live as long as they are used; single calls are bounded.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
      ...(credentials && { credentials }),
    });
    try {
      await client.kv.range({ key: Buffer.from([0]), limit: 1 });
      return client;
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
