/**
 * What a JPEG's header says, read from its bytes without libvips: size, colour
 * components, EXIF orientation and embedded ICC profile. Asking sharp for the metadata
 * cost 0.2-0.45 ms per flower photo, against a few microseconds here, and preprocessing
 * needs these facts for every photo before it decides how to decode it.
 */

export interface JpegHeader {
  width: number;
  height: number;
  /** 1 grey, 3 YCbCr or RGB, 4 CMYK or YCCK. */
  components: number;
  /** EXIF orientation, 1 (as stored) when the file has none. */
  orientation: number;
  /** The embedded ICC profile, null when there is none. */
  icc: Uint8Array | null;
}

const ICC_MARKER = 'ICC_PROFILE\0';
const EXIF_MARKER = 'Exif\0\0';
const ORIENTATION_TAG = 0x0112;

/**
 * The header of a JPEG, or `undefined` when the bytes are not a JPEG or their header is
 * anything but plain (then ask sharp): a profile split into chunks out of order, a segment
 * running past the end, an EXIF block that cannot be walked, no frame header before the scan.
 */
export function readJpegHeader(bytes: Uint8Array): JpegHeader | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Uint8Array[] = [];
  let count = 0;
  let frame: { width: number; height: number; components: number } | undefined;
  let orientation = 1;
  let at = 2;
  for (;;) {
    if (at + 4 > bytes.length || bytes[at] !== 0xff) return undefined;
    let marker = bytes[at + 1];
    // Fill bytes: any number of 0xFF may come before a marker.
    while (marker === 0xff && at + 2 < bytes.length) marker = bytes[++at + 1];
    at += 2;
    // Start of scan (or the image's end): the header is over.
    if (marker === 0xda || marker === 0xd9) break;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (at + 2 > bytes.length) return undefined;
    const length = (bytes[at] << 8) | bytes[at + 1];
    if (length < 2 || at + length > bytes.length) return undefined;
    if (marker === 0xe2 && length >= 2 + 14 && buf.toString('latin1', at + 2, at + 2 + ICC_MARKER.length) === ICC_MARKER) {
      const seq = bytes[at + 2 + 12];
      const of = bytes[at + 2 + 13];
      if (seq !== chunks.length + 1 || of < 1 || (count && of !== count)) return undefined;
      count = of;
      chunks.push(bytes.subarray(at + 2 + 14, at + length));
    } else if (marker === 0xe1 && length >= 2 + 6 && buf.toString('latin1', at + 2, at + 2 + EXIF_MARKER.length) === EXIF_MARKER) {
      const found = exifOrientation(buf.subarray(at + 2 + 6, at + length));
      if (found === undefined) return undefined;
      if (found !== 1) orientation = found;
    } else if (isFrameMarker(marker)) {
      if (frame || length < 8) return undefined;
      frame = { height: buf.readUInt16BE(at + 3), width: buf.readUInt16BE(at + 5), components: bytes[at + 7] };
    }
    at += length;
  }
  if (!frame || chunks.length !== count) return undefined;
  const icc = !chunks.length ? null : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  return { ...frame, orientation, icc };
}

/** SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isFrameMarker(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/**
 * The orientation an EXIF block (a TIFF structure) gives: the image's IFD's, or its
 * thumbnail's when the image's has none or says upright, so that a file any reader could
 * take for rotated never reads as upright here. 1 when neither has one, `undefined` when the
 * block cannot be walked.
 */
function exifOrientation(tiff: Buffer): number | undefined {
  if (tiff.length < 8) return undefined;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const le = order === 'II';
  const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  if (u16(2) !== 42) return undefined;
  let ifd = u32(4);
  let orientation = 1;
  for (let n = 0; n < 2 && ifd !== 0; n++) {
    if (ifd + 2 > tiff.length) return undefined;
    const entries = u16(ifd);
    if (ifd + 2 + entries * 12 + 4 > tiff.length) return undefined;
    for (let i = 0; i < entries; i++) {
      const entry = ifd + 2 + i * 12;
      if (u16(entry) !== ORIENTATION_TAG) continue;
      const value = u16(entry + 8);
      // The image's own IFD decides, unless it says upright (or nothing) and the thumbnail's does not.
      if (n === 0 || orientation === 1) orientation = value;
    }
    ifd = u32(ifd + 2 + entries * 12);
  }
  return orientation;
}
