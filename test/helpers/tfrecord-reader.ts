/**
 * A small TFRecord + tf.train.Example reader written from the formats' descriptions
 * (bitwise CRC-32C, hand-rolled protobuf parsing), sharing no code with Graft's writer,
 * so tests that read exports back check the bytes independently.
 */
import assert from 'node:assert/strict';

export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function masked(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 0x100000000;
}

export function readRecords(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    assert.ok(pos + 12 <= buf.length, 'truncated record header');
    const lenBytes = buf.subarray(pos, pos + 8);
    const len = Number(buf.readBigUInt64LE(pos));
    assert.equal(buf.readUInt32LE(pos + 8), masked(crc32cBitwise(lenBytes)), `length CRC of record ${out.length}`);
    const data = buf.subarray(pos + 12, pos + 12 + len);
    assert.equal(data.length, len, 'truncated record data');
    assert.equal(buf.readUInt32LE(pos + 12 + len), masked(crc32cBitwise(data)), `data CRC of record ${out.length}`);
    out.push(data);
    pos += 12 + len + 4;
  }
  return out;
}

type Field = { no: number; wire: number; value: bigint | Buffer };

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [result, pos];
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos);
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [v, p2] = readVarint(buf, p1);
      out.push({ no, wire, value: v });
      pos = p2;
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, p1);
      out.push({ no, wire, value: buf.subarray(p2, p2 + Number(len)) });
      pos = p2 + Number(len);
    } else if (wire === 5) {
      out.push({ no, wire, value: buf.subarray(p1, p1 + 4) });
      pos = p1 + 4;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

export type Parsed = Record<string, { floats?: number[]; ints?: bigint[]; bytes?: string[] }>;

export function parseExample(buf: Buffer): Parsed {
  const result: Parsed = {};
  const [features] = fields(buf).filter((f) => f.no === 1);
  for (const entry of fields(features.value as Buffer).filter((f) => f.no === 1)) {
    const parts = fields(entry.value as Buffer);
    const key = (parts.find((p) => p.no === 1)!.value as Buffer).toString('utf8');
    const feature = fields(parts.find((p) => p.no === 2)!.value as Buffer)[0];
    const list = fields(feature.value as Buffer);
    if (feature.no === 2) {
      const floats: number[] = [];
      for (const f of list) {
        const b = f.value as Buffer;
        if (f.wire === 2) for (let i = 0; i < b.length; i += 4) floats.push(b.readFloatLE(i));
        else floats.push(b.readFloatLE(0));
      }
      result[key] = { floats };
    } else if (feature.no === 3) {
      const ints: bigint[] = [];
      for (const f of list) {
        if (f.wire === 2) {
          let p = 0;
          const b = f.value as Buffer;
          while (p < b.length) {
            const [v, np] = readVarint(b, p);
            ints.push(BigInt.asIntN(64, v));
            p = np;
          }
        } else ints.push(BigInt.asIntN(64, f.value as bigint));
      }
      result[key] = { ints };
    } else if (feature.no === 1) {
      result[key] = { bytes: list.map((f) => (f.value as Buffer).toString('utf8')) };
    }
  }
  return result;
}

