/**
 * Idempotent `ensureX` steps (CNI's ensureBridge, flannel's ensureLink): read first; an
 * existing object is success only when it is compatible, otherwise the error lists every
 * differing field (`bridge "br-web": mtu 1450, want 1500`). Reading first means an
 * unchanged re-apply performs no write at all.
 */
import { NetdError } from '../errors.js';
import { KernelError, type Runner } from './exec.js';
import { IpBatch, runBatch, type LinkCommon, type VethOptions, type VxlanOptions } from './batch.js';
import { ipArgv, type NsRef } from './netns.js';
import { checkIfName } from './names.js';
import { parseLink, type IpLinkJson, type ObservedLink } from './observe-ip.js';

export async function readLink(runner: Runner, ns: NsRef | undefined, name: string): Promise<ObservedLink | undefined> {
  try {
    const { stdout } = await runner.run(ipArgv(ns, ['-details', '-json', 'link', 'show', 'dev', checkIfName(name)]));
    const rows = JSON.parse(stdout) as IpLinkJson[];
    return rows[0] ? parseLink(rows[0]) : undefined;
  } catch (e) {
    if (e instanceof KernelError && e.kind === 'not-found') return undefined;
    throw e;
  }
}

export interface WantedLink {
  kind?: string;
  mtu?: number;
  mac?: string;
  alias?: string;
  master?: string | null;
  vxlan?: { vni?: number; port?: number; local?: string; learning?: boolean };
}

type Shown = string | number | boolean | null | undefined;
const show = (v: Shown): string => (v === undefined || v === null ? 'none' : typeof v === 'string' ? `"${v}"` : String(v));

/** Every field where `have` differs from `want`, as `field have, want wanted`. */
export function fieldDifferences(have: ObservedLink, want: WantedLink): string[] {
  const d: string[] = [];
  const cmp = (field: string, h: Shown, w: Shown): void => {
    if (w !== undefined && h !== w) d.push(`${field} ${show(h)}, want ${show(w)}`);
  };
  cmp('kind', have.kind, want.kind);
  cmp('mtu', have.mtu, want.mtu);
  cmp('mac', have.mac, want.mac?.toLowerCase());
  cmp('alias', have.alias, want.alias);
  if (want.master !== undefined) cmp('master', have.master ?? null, want.master);
  if (want.vxlan) {
    cmp('vni', have.vxlan?.vni, want.vxlan.vni);
    cmp('port', have.vxlan?.port, want.vxlan.port);
    cmp('local', have.vxlan?.local, want.vxlan.local);
    cmp('learning', have.vxlan?.learning, want.vxlan.learning);
  }
  return d;
}

export interface Ensured {
  created: boolean;
  link: ObservedLink;
}

type Check = (have: ObservedLink) => Promise<string[]>;

async function ensure(runner: Runner, ns: NsRef | undefined, label: string, name: string, create: IpBatch, check: Check): Promise<Ensured> {
  const compatible = async (have: ObservedLink): Promise<Ensured> => {
    const diff = await check(have);
    if (diff.length) throw new NetdError('conflict', `${label} "${name}": ${diff.join('; ')}`);
    return { created: false, link: have };
  };
  const existing = await readLink(runner, ns, name);
  if (existing) return compatible(existing);
  try {
    await runBatch(runner, ns, create);
  } catch (e) {
    // Lost a race with someone creating the same name: judge what is there now.
    const now = e instanceof KernelError && e.kind === 'exists' ? await readLink(runner, ns, name) : undefined;
    if (now) return compatible(now);
    throw e;
  }
  const link = await readLink(runner, ns, name);
  if (!link) throw new NetdError('internal', `${label} "${name}": created but not found`);
  return { created: true, link };
}

export function ensureBridge(runner: Runner, ns: NsRef | undefined, name: string, o: LinkCommon = {}): Promise<Ensured> {
  const want: WantedLink = { kind: 'bridge', mtu: o.mtu, mac: o.mac, alias: o.alias };
  return ensure(runner, ns, 'bridge', name, new IpBatch().linkAddBridge(name, o), (h) => Promise.resolve(fieldDifferences(h, want)));
}

export function ensureVxlan(runner: Runner, ns: NsRef | undefined, name: string, o: VxlanOptions): Promise<Ensured> {
  const want: WantedLink = {
    kind: 'vxlan',
    mtu: o.mtu,
    mac: o.mac,
    alias: o.alias,
    vxlan: { vni: o.vni, port: o.port, local: o.local, learning: o.learning ?? true },
  };
  return ensure(runner, ns, 'vxlan', name, new IpBatch().linkAddVxlan(name, o), (h) => Promise.resolve(fieldDifferences(h, want)));
}

/**
 * A veth pair whose peer lives in `o.peerNetns` (or here). Compatible means: same fields on
 * this end, and the peer of that name in the target namespace is this end's partner.
 */
export function ensureVeth(runner: Runner, ns: NsRef | undefined, name: string, peer: string, o: VethOptions = {}): Promise<Ensured> {
  const want: WantedLink = { kind: 'veth', mtu: o.mtu, mac: o.mac, alias: o.alias };
  return ensure(runner, ns, 'veth', name, new IpBatch().linkAddVeth(name, peer, o), async (h) => {
    const d = fieldDifferences(h, want);
    if (d.length) return d;
    const p = await readLink(runner, o.peerNetns ?? ns, peer);
    const where = o.peerNetns !== undefined ? ` in namespace "${o.peerNetns}"` : '';
    if (!p) return [`peer "${peer}" not found${where}`];
    if (p.peerIndex !== h.index || h.peerIndex !== p.index) return [`peer "${peer}"${where} is not this veth's partner`];
    return fieldDifferences(p, { mtu: o.peerMtu, mac: o.peerMac }).map((x) => `peer ${x}`);
  });
}
