/**
 * Writes NumPy `.npy` files (format version 1.0), readable with `numpy.load`:
 * magic `\x93NUMPY`, version, a little-endian uint16 header length, an ASCII
 * Python-dict header padded with spaces to a multiple of 64 bytes, then the raw
 * C-order data.
 * Reference: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import fs from 'node:fs';

export type NpyDtype = '<f4' | '<i8' | '<i4';

const ITEM_BYTES: Record<NpyDtype, number> = { '<f4': 4, '<i8': 8, '<i4': 4 };

export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const preamble = 10; // magic (6) + version (2) + header length (2)
  const total = Math.ceil((preamble + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - preamble - 1, ' ') + '\n';
  const out = Buffer.alloc(total);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, preamble, 'latin1');
  return out;
}

/**
 * Streams rows of a 2-D (or 1-D) array to disk: the shape is fixed up front, so
 * a codes matrix of any size is written without holding it in memory.
 */
export class NpyWriter {
  private readonly fd: number;
  private readonly rowItems: number;
  private rowsWritten = 0;
  private bytes = 0;

  constructor(
    readonly file: string,
    readonly dtype: NpyDtype,
    readonly shape: readonly number[],
  ) {
    this.rowItems = shape.slice(1).reduce((a, b) => a * b, 1);
    this.fd = fs.openSync(file, 'w');
    const header = npyHeader(dtype, shape);
    fs.writeSync(this.fd, header);
    this.bytes = header.length;
  }

  /** One row (`shape[1]` values for a matrix, one value for a vector). */
  writeRow(values: ArrayLike<number> | number): void {
    const items = typeof values === 'number' ? [values] : values;
    if (items.length !== this.rowItems) {
      throw new Error(`npy row of ${items.length} values, expected ${this.rowItems}`);
    }
    const size = ITEM_BYTES[this.dtype];
    const buf = Buffer.alloc(items.length * size);
    for (let i = 0; i < items.length; i++) {
      if (this.dtype === '<f4') buf.writeFloatLE(items[i], i * size);
      else if (this.dtype === '<i4') buf.writeInt32LE(items[i], i * size);
      else buf.writeBigInt64LE(BigInt(items[i]), i * size);
    }
    fs.writeSync(this.fd, buf);
    this.bytes += buf.length;
    this.rowsWritten++;
  }

  /** Checks that every declared row arrived, flushes, and returns the file size. */
  close(): number {
    try {
      if (this.rowsWritten !== this.shape[0]) {
        throw new Error(`npy file ${this.file} got ${this.rowsWritten} rows, declared ${this.shape[0]}`);
      }
      fs.fsyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
    }
    return this.bytes;
  }

  discard(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}
