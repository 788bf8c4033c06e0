/**
 * BMP decoding. libvips as shipped with sharp has no BMP loader, so BMP pixels come
 * from bmp-ts and go into sharp as raw RGB for the same thumbnail pipeline as every
 * other format.
 */
import { decode } from 'bmp-ts';

export interface BmpHeader {
  width: number;
  height: number;
  bitsPerPixel: number;
  compression: number;
  /** Where the pixel array starts, from the file header. */
  pixelOffset: number;
  headerSize: number;
  paletteEntries: number;
}

/** Reads the BMP headers, or null when they are not a BMP we can decode. */
export function readBmpHeader(buf: Buffer): BmpHeader | null {
  if (buf.length < 54 || buf.toString('latin1', 0, 2) !== 'BM') return null;
  const pixelOffset = buf.readUInt32LE(10);
  const headerSize = buf.readUInt32LE(14);
  if (![40, 52, 56, 108, 124].includes(headerSize)) return null;
  const width = buf.readInt32LE(18);
  const height = Math.abs(buf.readInt32LE(22));
  const bitsPerPixel = buf.readUInt16LE(28);
  const compression = buf.readUInt32LE(30);
  const colors = buf.readUInt32LE(46);
  const paletteEntries = bitsPerPixel <= 8 || colors > 0 ? colors || 1 << bitsPerPixel : 0;
  return { width, height, bitsPerPixel, compression, pixelOffset, headerSize, paletteEntries };
}

/**
 * Decodes a BMP to packed RGB pixels. Alpha is dropped: most 32-bit BMPs leave the
 * fourth byte at zero, which would otherwise make them entirely transparent.
 * Throws on damaged or truncated files.
 */
export function decodeBmp(buf: Buffer, header: BmpHeader): { data: Buffer; width: number; height: number } {
  // bmp-ts reads the pixel array straight after the header and palette, but the file
  // header says where it really starts; writers that leave a gap (alignment, an ICC
  // profile) would come out shifted. Close the gap first.
  const bitfieldMasks = header.headerSize === 40 && (header.compression === 3 || header.compression === 6) ? (header.compression === 6 ? 16 : 12) : 0;
  const expected = 14 + header.headerSize + bitfieldMasks + header.paletteEntries * 4;
  let bytes = buf;
  if (header.pixelOffset > expected && header.pixelOffset <= buf.length) {
    bytes = Buffer.concat([buf.subarray(0, expected), buf.subarray(header.pixelOffset)]);
  }
  const image = decode(bytes, { toRGBA: true });
  const rgba = image.data;
  const rgb = Buffer.allocUnsafe((rgba.length / 4) * 3);
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
    rgb[o] = rgba[i];
    rgb[o + 1] = rgba[i + 1];
    rgb[o + 2] = rgba[i + 2];
  }
  return { data: rgb, width: image.width, height: image.height };
}
