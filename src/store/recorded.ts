/** The records as the diff reads them, with their revisions: no kernel layer (get, inspect and export load only this). */
import {
  ENDPOINTS,
  FILES,
  IPAM,
  NETWORKS,
  SANDBOXES,
  type AllocationRecord,
  type EndpointRecord,
  type FileRecord,
  type NetworkRecord,
  type RecordedState,
  type SandboxRecord,
} from '../state/records.js';
import type { Store } from './store.js';

export async function loadRecorded(store: Store): Promise<RecordedState> {
  const revisions = new Map<string, number>();
  const list = async <T>(prefix: string): Promise<T[]> =>
    (await store.list<T>(prefix)).map((kv) => {
      revisions.set(kv.key, kv.modRevision);
      return kv.value;
    });
  return {
    networks: await list<NetworkRecord>(NETWORKS),
    sandboxes: await list<SandboxRecord>(SANDBOXES),
    endpoints: await list<EndpointRecord>(ENDPOINTS),
    allocations: await list<AllocationRecord>(IPAM),
    files: await list<FileRecord>(FILES),
    revisions,
  };
}
