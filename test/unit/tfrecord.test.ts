/**
 * The TFRecord + tf.train.Example writer, checked by a small reader written here
 * from the format's description (bitwise CRC-32C, hand-rolled protobuf parsing),
 * sharing no code with the writer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { crc32c, maskCrc, unmaskCrc } from '../../main/export/crc32c';
import { encodeExample } from '../../main/export/tf-example';
import { TFRecordWriter } from '../../main/export/tfrecord-writer';
import { tempDir } from '../helpers/paths';

// --- independent reader -------------------------------------------------------

function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function masked(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 0x100000000;
}

function readRecords(buf: Buffer): Buffer[] {
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

type Parsed = Record<string, { floats?: number[]; ints?: bigint[]; bytes?: string[] }>;

function parseExample(buf: Buffer): Parsed {
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

// --- tests --------------------------------------------------------------------

test('CRC-32C matches the published check value and masking round-trips', () => {
  const check = new TextEncoder().encode('123456789');
  assert.equal(crc32c(check), 0xe3069283);
  assert.equal(crc32c(check), crc32cBitwise(check));
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  for (const c of [0, 1, 0xe3069283, 0xffffffff, 0x12345678]) {
    assert.equal(maskCrc(c), masked(c));
    assert.equal(unmaskCrc(maskCrc(c)), c);
  }
});

test('TFRecord of tf.train.Example reads back with framing, CRCs, codes and labels intact', () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, 'codes.tfrecord');
    const writer = new TFRecordWriter(file);
    const rows: Array<{ codes: Float32Array; label: number; name: string }> = [];
    for (let i = 0; i < 300; i++) {
      const codes = new Float32Array(1 + (i % 17) * 40).map((_, j) => Math.sin(i * 31 + j) * (j % 3 ? 1 : 1e-3));
      rows.push({ codes, label: i % 5, name: `class ${i % 5} ✓` });
      writer.write(
        encodeExample({
          codes: { kind: 'float', values: codes },
          label: { kind: 'int64', values: [i % 5] },
          label_text: { kind: 'bytes', values: [`class ${i % 5} ✓`] },
        }),
      );
    }
    // A label beyond 32 bits and a negative one exercise the 64-bit varint path.
    writer.write(encodeExample({ codes: { kind: 'float', values: [1.5] }, label: { kind: 'int64', values: [2n ** 40n, -3] } }));
    const bytes = writer.close();
    const buf = fs.readFileSync(file);
    assert.equal(buf.length, bytes);

    const records = readRecords(buf);
    assert.equal(records.length, 301);
    records.slice(0, 300).forEach((rec, i) => {
      const ex = parseExample(rec);
      assert.deepEqual(ex.codes.floats, Array.from(rows[i].codes), `codes of record ${i}`);
      assert.deepEqual(ex.label.ints, [BigInt(rows[i].label)]);
      assert.deepEqual(ex.label_text.bytes, [rows[i].name]);
    });
    const last = parseExample(records[300]);
    assert.deepEqual(last.label.ints, [2n ** 40n, -3n]);

    // A flipped byte must be caught by the reader's CRC check (so the check is real).
    const damaged = Buffer.from(buf);
    damaged[20] ^= 0x40;
    assert.throws(() => readRecords(damaged), /CRC/);
  } finally {
    cleanup();
  }
});
