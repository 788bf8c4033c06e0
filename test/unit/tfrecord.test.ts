/**
 * The TFRecord + tf.train.Example writer, checked by a small reader written here
 * from the format's description (bitwise CRC-32C, hand-rolled protobuf parsing),
 * sharing no code with the writer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { crc32c, maskCrc, unmaskCrc } from '../../main/engine/export/crc32c';
import { encodeExample } from '../../main/engine/export/tf-example';
import { TFRecordWriter } from '../../main/engine/export/tfrecord-writer';
import { tempDir } from '../helpers/paths';
import { crc32cBitwise, masked, parseExample, readRecords } from '../helpers/tfrecord-reader';

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
