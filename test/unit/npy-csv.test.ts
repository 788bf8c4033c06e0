import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { NpyWriter, npyHeader } from '../../main/engine/export/npy-writer';
import { csvRow, parseCsv } from '../../main/engine/export/csv';
import { tempDir } from '../helpers/paths';

test('npy header is a version 1.0 header padded to 64 bytes', () => {
  const h = npyHeader('<f4', [3, 256]);
  assert.equal(h.subarray(0, 6).toString('latin1'), '\x93NUMPY');
  assert.equal(h[6], 1);
  assert.equal(h.length % 64, 0);
  const len = h.readUInt16LE(8);
  assert.equal(10 + len, h.length);
  const dict = h.subarray(10).toString('latin1');
  assert.match(dict, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3, 256\), \} *\n$/);
  assert.match(npyHeader('<i8', [7]).toString('latin1'), /'shape': \(7,\)/);
});

test('npy matrix and label vector hold the written values (and numpy agrees when present)', () => {
  const { dir, cleanup } = tempDir();
  try {
    const codesFile = path.join(dir, 'codes.npy');
    const labelsFile = path.join(dir, 'labels.npy');
    const codes = new NpyWriter(codesFile, '<f4', [4, 3]);
    const labels = new NpyWriter(labelsFile, '<i8', [4]);
    for (let i = 0; i < 4; i++) {
      codes.writeRow([i, i + 0.5, -i]);
      labels.writeRow(i % 2);
    }
    const size = codes.close();
    labels.close();
    const buf = fs.readFileSync(codesFile);
    assert.equal(buf.length, size);
    const data = buf.subarray(buf.readUInt16LE(8) + 10);
    assert.equal(data.length, 4 * 3 * 4);
    assert.equal(data.readFloatLE((2 * 3 + 1) * 4), 2.5);
    assert.throws(() => {
      const w = new NpyWriter(path.join(dir, 'short.npy'), '<f4', [2, 3]);
      w.writeRow([1, 2, 3]);
      w.close();
    }, /got 1 rows, declared 2/);

    const py = spawnSync('python3', ['-c', `import numpy as np;a=np.load(${JSON.stringify(codesFile)});b=np.load(${JSON.stringify(labelsFile)});print(a.shape,a.dtype,float(a[3,1]),b.tolist(),b.dtype)`], { encoding: 'utf8' });
    if (py.status === 0) assert.equal(py.stdout.trim(), '(4, 3) float32 3.5 [0, 1, 0, 1] int64');
  } finally {
    cleanup();
  }
});

test('CSV quotes what needs quoting and parses back', () => {
  const rows = [
    ['path', 'label', 'split', 'hash'],
    ['roses/a,b.jpg', 'red "roses"', 'train', 'ab12'],
    ['multi\nline.jpg', ' padded ', '', 'cd34'],
  ];
  const text = rows.map(csvRow).join('');
  assert.ok(text.includes('"roses/a,b.jpg"'));
  assert.ok(text.includes('"red ""roses"""'));
  assert.deepEqual(parseCsv(text), rows);
});
