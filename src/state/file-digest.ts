/**
 * Whether an /etc/netns file holds what netd wants, without rendering it when it need not
 * (issue 13: a hosts file lists every peer, so rendering and reading them all is O(N²) bytes).
 * netd records, per file it writes, the size and sha256 of what it wrote and the digest of the
 * inputs it rendered that from (FileRecord). The snapshot then reads a recorded file only as far
 * as needed: its size, and its sha256 when the size is the recorded one (FileDigest); a file
 * netd recorded nothing for is read whole, as before. Pure.
 */
import { byteLength, sha256 } from '../digest.js';
import type { FileRecord } from './records.js';
import type { FileDigest } from './view.js';

/**
 * A file netd keeps, before it is rendered (state/files.ts): `inputs` digests what the content
 * is rendered from (equal inputs render equal content), so that a file whose record was taken
 * from the same inputs is checked without rendering it.
 */
export interface WantedFile {
  readonly inputs: string;
  render(): string;
}

/** The record of a file holding `text`, rendered from `inputs`. */
export const fileRecordOf = (path: string, text: string, inputs: string): FileRecord => ({ path, size: byteLength(text), sha256: sha256(text), inputs });

/**
 * Whether the file seen holds what is wanted. Rendered only when the inputs changed since the
 * record was taken (or there is none): then `text` is what was rendered, for the caller to write.
 * A file whose size is not the recorded one (its bytes unread) differs; should it hold what the
 * new inputs render, rewriting it changes nothing.
 */
export function checkFile(want: WantedFile, seen: string | FileDigest, recorded?: FileRecord): { same: boolean; text?: string } {
  if (typeof seen !== 'string' && recorded?.inputs === want.inputs) {
    return { same: seen.size === recorded.size && seen.sha256 === recorded.sha256 };
  }
  const text = want.render();
  if (typeof seen === 'string') return { same: seen === text, text };
  return { same: seen.sha256 !== undefined && seen.size === byteLength(text) && seen.sha256 === sha256(text), text };
}
