/**
 * CRC-32C (Castagnoli), the checksum TFRecord files use, and TensorFlow's "masked"
 * form of it. TFRecord masks its CRCs because a CRC computed over bytes that embed
 * CRCs is weak; the rotation plus constant keeps the stored value from being one.
 * Also plain CRC-32 (zip's), for the files packed into a .tflite model.
 */

function tableOf(polyReversed: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ polyReversed : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const CASTAGNOLI = tableOf(0x82f63b78);
const ZIP = tableOf(0xedb88320);

function crcWith(table: Uint32Array, bytes: Uint8Array, crc: number): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32C of `bytes` (continuing from `crc` when checksumming in pieces). */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  return crcWith(CASTAGNOLI, bytes, crc);
}

/** CRC-32 (ISO-HDLC, as zip and gzip use it) of `bytes`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  return crcWith(ZIP, bytes, crc);
}

const MASK_DELTA = 0xa282ead8;

/** TensorFlow's masked CRC: rotate right by 15 bits, then add a constant (mod 2^32). */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}
