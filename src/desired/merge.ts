/**
 * Merging schema-valid documents by object name. Each object keeps its Origin so that later
 * checks and layers can point back at the YAML that declared it.
 */
import type { AddressPoolDoc, AttachmentDoc, ClusterDoc, ContainerDoc, Document, NetworkDoc } from './types.js';
import { errorAt, where, type LoadedDoc, type Origin } from './source.js';
import type { SpecError } from './spec-error.js';

export interface Entry<T> {
  readonly value: T;
  readonly origin: Origin;
}

export interface Named<T> extends Entry<T> {
  readonly name: string;
}

export interface Merged {
  readonly pools: Entry<AddressPoolDoc>[];
  readonly cluster?: Entry<ClusterDoc>;
  readonly networks: Named<NetworkDoc>[];
  readonly containers: Named<ContainerDoc>[];
  readonly attachments: Entry<AttachmentDoc>[];
}

function addNamed<T>(
  kind: string,
  into: Map<string, Named<T>>,
  src: LoadedDoc,
  section: 'networks' | 'containers',
  objs: Record<string, T> | undefined,
  errors: SpecError[],
): void {
  for (const [name, value] of Object.entries(objs ?? {})) {
    const origin: Origin = { src, path: [section, name] };
    const prev = into.get(name);
    if (prev) errors.push(errorAt(origin, [], `${kind} "${name}" is declared twice (first at ${where(prev.origin, [], 'key')})`, 'key'));
    else into.set(name, { name, value, origin });
  }
}

export function merge(docs: readonly LoadedDoc[]): { merged: Merged; errors: SpecError[] } {
  const errors: SpecError[] = [];
  const networks = new Map<string, Named<NetworkDoc>>();
  const containers = new Map<string, Named<ContainerDoc>>();
  const pools: Entry<AddressPoolDoc>[] = [];
  const attachments: Entry<AttachmentDoc>[] = [];
  let cluster: Entry<ClusterDoc> | undefined;
  for (const src of docs) {
    const d = src.value as Document;
    (d.addressPools ?? []).forEach((value, i) => pools.push({ value, origin: { src, path: ['addressPools', i] } }));
    if (d.cluster) {
      const origin: Origin = { src, path: ['cluster'] };
      if (cluster) errors.push(errorAt(origin, [], `cluster is declared twice (first at ${where(cluster.origin, [], 'key')})`, 'key'));
      else cluster = { value: d.cluster, origin };
    }
    addNamed('network', networks, src, 'networks', d.networks, errors);
    addNamed('container', containers, src, 'containers', d.containers, errors);
    (d.attachments ?? []).forEach((value, i) => attachments.push({ value, origin: { src, path: ['attachments', i] } }));
  }
  const merged: Merged = { pools, networks: [...networks.values()], containers: [...containers.values()], attachments };
  return { merged: cluster ? { ...merged, cluster } : merged, errors };
}
