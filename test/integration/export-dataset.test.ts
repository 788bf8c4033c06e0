/**
 * Dataset and codes exports on real photos: the folder-per-class copy and the CSV
 * manifest re-import with identical labels; the TFRecord is read back by an
 * independent reader (framing, CRCs, protobuf); the .npy files agree with it; a
 * cancelled export leaves nothing behind; a changed file is not vouched for.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ExportResult } from '../../shared/api/export';
import { Engine } from '../../main/engine/engine';
import { call } from '../../main/engine/dispatch';
import { openProject } from '../../main/engine/catalogue/open';
import { parseCsv } from '../../main/engine/export/csv';
import { exportProject } from '../../main/engine/export/export-project';
import { importFolder } from '../../main/engine/importer';
import { flowersMiniDir, graftBin, modelsDir, tempDir } from '../helpers/paths';
import { resultOf, runToEnd } from '../helpers/jobs';
import { parseExample, readRecords } from '../helpers/tfrecord-reader';

const tmp = tempDir('graft-export-dataset-');
const photos = path.join(tmp.dir, 'photos');
const projectFile = path.join(tmp.dir, 'source.graft');
let engine: Engine;

/** hash → label of every labelled, unconflicted image of a project. */
function labelsByHash(db: import('../../main/engine/catalogue/open').Db): Map<string, string> {
  const rows = db
    .prepare(`SELECT i.hash, c.name FROM images i JOIN classes c ON c.id = i.class_id AND c.deleted_at IS NULL WHERE i.conflict = 0`)
    .all() as Array<{ hash: string; name: string }>;
  return new Map(rows.map((r) => [r.hash, r.name]));
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

before(async () => {
  // A copy of flowers-mini, plus a class whose name needs care on disk and two files
  // with the same name in one class (from different subfolders).
  fs.cpSync(flowersMiniDir, photos, { recursive: true });
  const odd = path.join(photos, 'red: "roses"');
  fs.mkdirSync(path.join(odd, 'a'), { recursive: true });
  fs.mkdirSync(path.join(odd, 'b'), { recursive: true });
  const roses = fs.readdirSync(path.join(photos, 'roses')).sort();
  fs.renameSync(path.join(photos, 'roses', roses[0]), path.join(odd, 'a', 'same.jpg'));
  fs.renameSync(path.join(photos, 'roses', roses[1]), path.join(odd, 'b', 'same.jpg'));
  engine = new Engine(projectFile, { modelsDir });
  const summary = await importFolder(engine.db, photos);
  assert.equal(summary.classes['red: "roses"'], 2);
});
after(async () => {
  await engine?.close();
  tmp.cleanup();
});

describe('dataset export', () => {
  const out = path.join(tmp.dir, 'dataset');
  let result: ExportResult;

  it('graft export --format dataset copies one folder per class and writes manifest.csv', () => {
    const r = spawnSync(process.execPath, [graftBin, 'export', out, '--project', projectFile, '--format', 'dataset', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, GRAFT_MODELS_DIR: modelsDir },
    });
    assert.equal(r.status, 0, r.stderr);
    result = JSON.parse(r.stdout);
    assert.equal(result.files.length, 101);
    assert.equal(result.files.at(-1), 'manifest.csv');
    assert.equal(result.bytes, result.files.reduce((a, f) => a + fs.statSync(path.join(out, f)).size, 0));
    assert.ok(fs.existsSync(path.join(out, 'red_ _roses_')), 'the class folder name is safe on every file system');
    assert.deepEqual(fs.readdirSync(path.join(out, 'red_ _roses_')).length, 2, 'same-named files both kept');
  });

  it('the manifest names every copied file with its label and the hash of its bytes', () => {
    const rows = parseCsv(fs.readFileSync(path.join(out, 'manifest.csv'), 'utf8'));
    assert.deepEqual(rows[0], ['path', 'label', 'split', 'hash']);
    const source = labelsByHash(engine.db);
    assert.equal(rows.length - 1, source.size);
    for (const [rel, label, , hash] of rows.slice(1)) {
      assert.equal(sha256(path.join(out, rel)), hash, rel);
      assert.equal(source.get(hash), label, rel);
    }
    assert.ok(rows.some((r) => r[1] === 'red: "roses"'), 'the true class name is in the manifest');
  });

  it('re-imports into a new project with identical labels', async () => {
    const db = openProject(path.join(tmp.dir, 'reimported.graft'));
    try {
      const summary = await importFolder(db, out);
      assert.equal(summary.newImages, 100);
      const source = labelsByHash(engine.db);
      const again = labelsByHash(db);
      assert.equal(again.size, source.size);
      // Folder names are the class names, except where a file system forbids characters.
      for (const [hash, label] of source) assert.equal(again.get(hash), label === 'red: "roses"' ? 'red_ _roses_' : label, hash);
    } finally {
      db.close();
    }
  });

  it('a file changed on disk since its import is left out and said so, not exported with a wrong hash', async () => {
    const victim = path.join(photos, 'daisy', fs.readdirSync(path.join(photos, 'daisy')).sort()[0]);
    const original = fs.readFileSync(victim);
    fs.writeFileSync(victim, Buffer.concat([original, Buffer.from('changed')]));
    try {
      const r = await exportProject(engine.db, { dir: path.join(tmp.dir, 'dataset-changed'), formats: ['dataset'], projectPath: projectFile, workers: engine.compute });
      assert.equal(r.skipped.length, 1);
      assert.equal(r.skipped[0].path, victim);
      assert.match(r.skipped[0].reason, /changed on disk/);
      assert.equal(r.files.length, 100);
    } finally {
      fs.writeFileSync(victim, original);
    }
  });

  it('a cancelled export leaves neither the target nor a staging folder', async () => {
    const target = path.join(tmp.dir, 'cancelled', 'dataset');
    const controller = new AbortController();
    const pending = exportProject(engine.db, {
      dir: target,
      formats: ['dataset'],
      projectPath: projectFile,
      workers: engine.compute,
      signal: controller.signal,
      progress: (stage, done) => {
        if (stage === 'copy' && done === 30) controller.abort();
      },
    });
    await assert.rejects(pending, /cancelled/);
    assert.deepEqual(fs.readdirSync(path.dirname(target)), []);
  });
});

describe('codes export', () => {
  const out = path.join(tmp.dir, 'codes');

  it('runs as a job through the API and writes TFRecord, .npy and an index', async () => {
    const progress: string[] = [];
    const offProgress = engine.on('job.progress', (p) => progress.push(p.stage));
    const result = resultOf(await runToEnd(engine, 'export', () => call(engine, 'export.start', { dir: out, formats: ['codes'], backbones: ['mobilenet_v1_0.25_224'] })));
    offProgress();
    assert.deepEqual(result.files, ['codes.tfrecord', 'codes.npy', 'labels.npy', 'codes.csv', 'codes.json']);
    assert.ok(progress.includes('codes') && progress.includes('write'), `progress stages: ${[...new Set(progress)]}`);
  });

  it('the TFRecord reads back with an independent reader: framing, CRCs, codes and labels', () => {
    const records = readRecords(fs.readFileSync(path.join(out, 'codes.tfrecord')));
    const info = JSON.parse(fs.readFileSync(path.join(out, 'codes.json'), 'utf8'));
    assert.equal(records.length, 100);
    assert.equal(info.rows, 100);
    assert.equal(info.dim, 256);
    const index = parseCsv(fs.readFileSync(path.join(out, 'codes.csv'), 'utf8')).slice(1);
    const source = labelsByHash(engine.db);

    const npy = fs.readFileSync(path.join(out, 'codes.npy'));
    const codes = npy.subarray(10 + npy.readUInt16LE(8));
    const labelsNpy = fs.readFileSync(path.join(out, 'labels.npy'));
    const labels = labelsNpy.subarray(10 + labelsNpy.readUInt16LE(8));
    assert.equal(codes.length, 100 * 256 * 4);
    assert.equal(labels.length, 100 * 8);

    records.forEach((rec, r) => {
      const ex = parseExample(rec);
      const [row, hash, label, labelIndex] = index[r];
      assert.equal(Number(row), r);
      assert.equal(ex.codes.floats!.length, 256);
      assert.deepEqual(ex.label.ints, [BigInt(labelIndex)]);
      assert.equal(info.classes[Number(labelIndex)], label);
      assert.deepEqual(ex.label_text.bytes, [label]);
      assert.deepEqual(ex.hash.bytes, [hash]);
      assert.equal(source.get(hash), label);
      assert.equal(labels.readBigInt64LE(r * 8), BigInt(labelIndex));
      for (const j of [0, 17, 255]) assert.equal(codes.readFloatLE((r * 256 + j) * 4), ex.codes.floats![j]);
    });
    // Codes are real features (non-negative after ReLU, not all zero), not placeholders.
    const first = parseExample(records[0]).codes.floats!;
    assert.ok(first.every((v) => v >= 0) && first.some((v) => v > 0));

    const py = spawnSync('python3', ['-c', `import numpy as np;a=np.load(${JSON.stringify(path.join(out, 'codes.npy'))});b=np.load(${JSON.stringify(path.join(out, 'labels.npy'))});print(a.shape,a.dtype,b.shape,b.dtype)`], { encoding: 'utf8' });
    if (py.status === 0) assert.equal(py.stdout.trim(), '(100, 256) float32 (100,) int64');
  });

  it('the export.start call refuses a non-empty folder up front', async () => {
    await assert.rejects(call(engine, 'export.start', { dir: out, formats: ['codes'], backbones: ['mobilenet_v1_0.25_224'] }), /is not empty/);
  });
});
