/**
 * The /etc/netns files brought in line with the records, and what netd wrote to them recorded
 * (FileRecord, state/file-digest.ts) so that the next diff checks them by size and digest
 * instead of rendering them. A record is written after its file: a crash in between leaves an
 * older record, which makes the file rendered and compared (or rewritten), never taken as in sync.
 */
import { checkFile, fileRecordOf, type WantedFile } from '../state/file-digest.js';
import type { FileSeen } from '../state/view.js';
import { FILES, fileKey, type FileRecord } from '../state/records.js';
import type { Op, Store } from '../store/store.js';
import type { HostOps } from './ports.js';

/** /etc/netns files read or written at once: enough to overlap the syscalls, few enough for the fd limit. */
export const FILE_PARALLEL = 64;

/**
 * Writes the wanted files that differ from what `seenOf` gives (undefined: not observed, read
 * here) and records every file's digest where its record is missing or taken from other inputs;
 * drops the records of files no longer wanted. Returns the paths written.
 */
export async function syncFiles(
  host: Pick<HostOps, 'readFile' | 'writeFile'>,
  store: Store,
  wanted: ReadonlyMap<string, WantedFile>,
  seenOf: (path: string) => FileSeen | undefined,
): Promise<Set<string>> {
  const recorded = new Map((await store.list<FileRecord>(FILES)).map((kv) => [kv.value.path, kv.value]));
  const written = new Set<string>();
  const ops: Op[] = [];
  const entries = [...wanted];
  // Bounded batches of concurrent reads and writes: one `await` per file made a cold apply's
  // files take as long as its namespaces. Each text is rendered at most once and not kept.
  for (let i = 0; i < entries.length; i += FILE_PARALLEL) {
    await Promise.all(
      entries.slice(i, i + FILE_PARALLEL).map(async ([path, want]) => {
        const had = recorded.get(path);
        const observed = seenOf(path);
        const seen = observed !== undefined ? observed : await host.readFile(path);
        const check = seen === null ? { same: false } : checkFile(want, seen, had);
        if (check.same && had?.inputs === want.inputs) return;
        const text = check.text ?? want.render(); // same: checkFile rendered it (the inputs changed)
        if (!check.same) {
          await host.writeFile(path, text);
          written.add(path);
        }
        ops.push({ type: 'put', key: fileKey(path), value: fileRecordOf(path, text, want.inputs) });
      }),
    );
  }
  for (const path of recorded.keys()) if (!wanted.has(path)) ops.push({ type: 'delete', key: fileKey(path) });
  if (ops.length > 0) await store.txn([], ops);
  return written;
}
