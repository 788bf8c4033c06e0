/**
 * Decoded RGB bytes wrapped as an uncompressed baseline TIFF, for sharp to read back.
 *
 * Why not sharp's `raw` input: libvips reads raw memory with random access, a file with
 * sequential access, and its Lanczos reduction (reducev) computes each output row's
 * position from the top of the region it is asked for, so the two demand patterns give
 * different bytes on some rows (1,282 values of one 500×333 flower at 320 px, by up to 5
 * levels). An uncompressed TIFF is read sequentially, as the JPEG was: the same 519 flowers
 * that reduce at 320 px, and 1,173 at 224, came out byte for byte as decoding their JPEGs.
 */

/** Tags in the image file directory (IFD), in ascending order as TIFF requires. */
const TAG_COUNT = 10;
const IFD_OFFSET = 8;
const IFD_BYTES = 2 + TAG_COUNT * 12 + 4;
const BITS_OFFSET = IFD_OFFSET + IFD_BYTES;
const DATA_OFFSET = BITS_OFFSET + 8;

const SHORT = 3;
const LONG = 4;

/** `width × height × 3` bytes, row-major RGB, as a TIFF file's bytes (one copy of the pixels). */
export function rgbAsTiff(rgb: Uint8Array, width: number, height: number): Buffer {
  if (rgb.length !== width * height * 3) throw new Error(`rgbAsTiff: ${rgb.length} bytes is not ${width}×${height} RGB`);
  const file = Buffer.allocUnsafe(DATA_OFFSET + rgb.length);
  file.fill(0, 0, DATA_OFFSET);
  file.write('II', 0, 'latin1'); // little-endian
  file.writeUInt16LE(42, 2);
  file.writeUInt32LE(IFD_OFFSET, 4);
  file.writeUInt16LE(TAG_COUNT, IFD_OFFSET);
  const tags: Array<[tag: number, type: number, count: number, value: number]> = [
    [256, LONG, 1, width], // ImageWidth
    [257, LONG, 1, height], // ImageLength
    [258, SHORT, 3, BITS_OFFSET], // BitsPerSample: 8, 8, 8 (stored after the IFD)
    [259, SHORT, 1, 1], // Compression: none
    [262, SHORT, 1, 2], // PhotometricInterpretation: RGB
    [273, LONG, 1, DATA_OFFSET], // StripOffsets
    [277, SHORT, 1, 3], // SamplesPerPixel
    [278, LONG, 1, height], // RowsPerStrip: one strip
    [279, LONG, 1, rgb.length], // StripByteCounts
    [284, SHORT, 1, 1], // PlanarConfiguration: chunky
  ];
  tags.forEach(([tag, type, count, value], i) => {
    const at = IFD_OFFSET + 2 + i * 12;
    file.writeUInt16LE(tag, at);
    file.writeUInt16LE(type, at + 2);
    file.writeUInt32LE(count, at + 4);
    if (type === SHORT && count === 1) file.writeUInt16LE(value, at + 8);
    else file.writeUInt32LE(value, at + 8);
  });
  // The next IFD's offset (none) is already 0.
  for (let c = 0; c < 3; c++) file.writeUInt16LE(8, BITS_OFFSET + c * 2);
  file.set(rgb, DATA_OFFSET);
  return file;
}
