/**
 * The large preview of an image: decoded from the file on disk (the first of its files
 * still there), orientation-corrected, sRGB JPEG, long side at most `longSide`. Runs in a
 * media worker (decoding a 50-megapixel photo takes a while).
 */
import fs from 'node:fs';
import { GraftError } from '../errors';
import { ImageDecodeError, jpegFromBytes } from '../importer/decode';
import type { TaskInput, TaskOutput } from '../workers/task-types';

export async function renderPreviewTask(input: TaskInput<'render-preview'>): Promise<TaskOutput<'render-preview'>> {
  const files = input.paths;
  let lastError: unknown;
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(file);
    } catch (err) {
      lastError = err;
      continue; // a copy may still be elsewhere
    }
    try {
      const jpeg = await jpegFromBytes(bytes, input.longSide);
      return new Uint8Array(jpeg);
    } catch (err) {
      if (err instanceof ImageDecodeError) throw new GraftError('bad_image', `${file} can no longer be displayed: ${err.reason}.`);
      throw err;
    }
  }
  const code = (lastError as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') {
    throw new GraftError('not_found', `The file of this image is missing: ${files[0]}. Put it back, or import the folder it moved to; its label is kept.`);
  }
  throw new GraftError('io', `Cannot read ${files[0]}: ${(lastError as Error)?.message ?? 'unknown error'}.`);
}
