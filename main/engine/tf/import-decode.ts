/**
 * A new photo's import and its codes from one decode: the thumbnail the catalogue keeps and
 * the networks' input at each size asked for. Decoding is most of what both cost once the
 * networks run on ONNX Runtime, so a photo decoded once instead of twice saves 2-8 ms of CPU
 * (a small flower is decoded in about 2 ms, a 500×333 one in 3-8 ms, depending on the machine).
 * The inputs are byte for byte what `decodeForNetwork` gives for the file (preprocess.ts), so
 * a code never depends on whether it was computed during the import or after it.
 */
import type { Thumbnailed } from '../importer/decode';
import { decodeWhole, thumbnailFromBytes, thumbnailFromDecoded } from '../importer/decode';
import { readJpegHeader } from '../importer/jpeg-header';
import { decodeForNetwork, networkInputFromDecoded, sharesDecode } from './preprocess';

export interface ImportDecode {
  thumbnailed: Thumbnailed;
  /** RGB bytes per size, in the order asked; null when the photo could not be prepared for a network (the codes step says why). */
  inputs: Uint8Array[] | null;
}

/**
 * Throws ImageDecodeError as `thumbnailFromBytes` does: a photo the importer refuses has no
 * inputs either.
 */
export async function thumbnailAndInputs(bytes: Buffer, sizes: readonly number[]): Promise<ImportDecode> {
  const header = readJpegHeader(bytes);
  if (header && sizes.every((size) => sharesDecode(header, size))) {
    const decoded = await decodeWhole(bytes);
    const thumbnail = await thumbnailFromDecoded(decoded);
    const { rgb, width, height, ...facts } = decoded;
    const inputs = await Promise.all(sizes.map((size) => networkInputFromDecoded(rgb, width, height, size))).catch(() => null);
    return { thumbnailed: { ...facts, width, height, thumbnail }, inputs };
  }
  // Rotated, grey, CMYK, profiled, large or not a JPEG: decoded for each purpose, as before.
  const thumbnailed = await thumbnailFromBytes(bytes);
  const inputs = await Promise.all(sizes.map((size) => decodeForNetwork(bytes, size))).catch(() => null);
  return { thumbnailed, inputs };
}
