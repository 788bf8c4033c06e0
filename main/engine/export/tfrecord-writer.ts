/**
 * Writes TFRecord files, the record container that `tf.data.TFRecordDataset` reads:
 *
 *   uint64 length            (little-endian)
 *   uint32 masked_crc32c(length bytes)
 *   byte   data[length]
 *   uint32 masked_crc32c(data)
 */
import fs from 'node:fs';
import { crc32c, maskCrc } from './crc32c';

/** One record's framed bytes. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskCrc(crc32c(out.subarray(0, 8))), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskCrc(crc32c(data)), 12 + data.length);
  return out;
}

/** Appends framed records to a file, buffering writes; `close()` flushes and fsyncs. */
export class TFRecordWriter {
  private readonly fd: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  records = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w');
  }

  write(data: Uint8Array): void {
    const framed = frameRecord(data);
    this.pending.push(framed);
    this.pendingBytes += framed.length;
    this.records++;
    if (this.pendingBytes >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (!this.pendingBytes) return;
    const chunk = Buffer.concat(this.pending, this.pendingBytes);
    fs.writeSync(this.fd, chunk);
    this.written += chunk.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Total bytes in the file once closed. */
  close(): number {
    try {
      this.flush();
      fs.fsyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
    }
    return this.written;
  }

  /** Closes without flushing, for abandoned exports (the staging folder is removed anyway). */
  discard(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}
