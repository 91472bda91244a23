/**
 * sha256 of text or bytes, as hex: a pure function (no I/O), below every layer so that the pure
 * ones (state/, plan/) can digest what they render (state/file-digest.ts).
 */
import { createHash } from 'node:crypto';

export const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The bytes `text` takes as UTF-8 (as netd writes it). */
export const byteLength = (text: string): number => Buffer.byteLength(text);
