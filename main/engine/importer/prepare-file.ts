/**
 * The importer's work on one file, in a worker thread: reading and hashing it, and for
 * bytes the catalogue does not have yet, decoding it and making its thumbnail. The JavaScript
 * parts (the SHA-256 of a photo, the BMP decoder) would otherwise run on the main thread.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { HashedFile, PreparedFile, TaskInput, ThumbnailedFile } from '../workers/task-types';
import { thumbnailAndInputs } from '../tf/import-decode';
import { describeDecodeFailure, ImageDecodeError, MAX_FILE_BYTES, thumbnailFromBytes } from './decode';
import { errnoText } from './scan';

export async function hashFile(input: TaskInput<'hash-file'>): Promise<HashedFile> {
  const read = await readWhole(input.path);
  if (!read.ok) return read;
  return { ok: true, size: read.bytes.length, mtimeMs: read.mtimeMs, hash: sha256(read.bytes) };
}

export async function thumbnailFile(input: TaskInput<'thumbnail-file'>): Promise<ThumbnailedFile> {
  const read = await readWhole(input.path);
  if (!read.ok) return read;
  // The file changed since it was hashed: its recorded hash would not match its bytes.
  if (sha256(read.bytes) !== input.hash) return { ok: false, reason: 'it changed while being imported; import the folder again' };
  return thumbnailOf(read.bytes, input.networkSizes);
}

/** Both of the above from one read: the hash and the thumbnail come from the same bytes. */
export async function hashAndThumbnailFile(input: TaskInput<'hash-and-thumbnail-file'>): Promise<PreparedFile> {
  const read = await readWhole(input.path);
  if (!read.ok) return read;
  return { ok: true, size: read.bytes.length, mtimeMs: read.mtimeMs, hash: sha256(read.bytes), decoded: await thumbnailOf(read.bytes, input.networkSizes) };
}

/** With `networkSizes`, the networks' inputs too, from the same decode when it can (tf/import-decode.ts). */
async function thumbnailOf(bytes: Buffer, networkSizes?: number[]): Promise<ThumbnailedFile> {
  try {
    if (networkSizes?.length) {
      const { thumbnailed, inputs } = await thumbnailAndInputs(bytes, networkSizes);
      const { thumbnail, ...facts } = thumbnailed;
      return { ok: true, facts, thumbnail: new Uint8Array(thumbnail), ...(inputs ? { inputs } : {}) };
    }
    const { thumbnail, ...facts } = await thumbnailFromBytes(bytes);
    return { ok: true, facts, thumbnail: new Uint8Array(thumbnail) };
  } catch (err) {
    return { ok: false, reason: err instanceof ImageDecodeError ? err.reason : describeDecodeFailure(err) };
  }
}

async function readWhole(path: string): Promise<{ ok: true; bytes: Buffer; mtimeMs: number } | { ok: false; reason: string }> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    // O_NONBLOCK: if the file was swapped for a named pipe since the scan, opening it must
    // not wait forever for a writer.
    handle = await fs.promises.open(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const st = await handle.stat();
    if (!st.isFile()) return { ok: false, reason: 'not a regular file' };
    if (st.size > MAX_FILE_BYTES) return { ok: false, reason: `too large to import (${(st.size / 2 ** 30).toFixed(1)} GiB)` };
    const bytes = await handle.readFile();
    if (bytes.length === 0) return { ok: false, reason: 'empty file (0 bytes)' };
    return { ok: true, bytes, mtimeMs: Math.trunc(st.mtimeMs) };
  } catch (err) {
    return { ok: false, reason: `cannot read: ${errnoText(err)}` };
  } finally {
    await handle?.close().catch(() => {});
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
