/**
 * The cached codes with their labels, in the two forms other pipelines read:
 *
 * - `codes.tfrecord`: one `tf.train.Example` per image with features `codes`
 *   (float_list), `label` (int64_list, index into the class list), `label_text`
 *   and `hash` (bytes_list); what classic TensorFlow transfer-learning scripts
 *   train on (`tf.data.TFRecordDataset` + `tf.io.parse_single_example`);
 * - `codes.npy` (float32, images × dim) and `labels.npy` (int64), for NumPy.
 *
 * Rows are in the same order in every file; `codes.csv` names each row's image
 * (hash, label, split) and `codes.json` says what the numbers are.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensureCodes } from '../codes/extract';
import { readCodes } from '../catalogue/codes';
import { GraftError } from '../errors';
import { getBackbone } from '../tf/registry';
import { csvRow } from './csv';
import { trainableImagesInSplit } from '../catalogue/images';
import type { ExportStep, SplitChoice } from './export-types';
import { NpyWriter } from './npy-writer';
import { encodeExample } from './tf-example';
import { TFRecordWriter } from './tfrecord-writer';

export interface CodesExportOptions {
  backbones: string[];
  /** Class order for the integer labels (the model's output order when a run is exported). */
  classes: string[];
  split: SplitChoice;
}

export async function exportCodes(step: ExportStep, options: CodesExportOptions): Promise<{ rows: number; dim: number }> {
  const images = trainableImagesInSplit(step.db, options.split).filter((i) => options.classes.includes(i.label));
  if (!images.length) throw new GraftError('not_found', 'There are no labelled images whose codes could be exported. Label some images first.');
  for (const id of options.backbones) getBackbone(id); // a clear error for an unknown id, before any work

  // Codes missing from the cache (images imported since the last training) are computed now,
  // so the export covers the whole labelled set.
  const summary = await ensureCodes(step.db, {
    backbones: options.backbones,
    views: ['center'],
    modelsDir: step.modelsDir,
    signal: step.signal,
    imageIds: images.map((i) => i.id),
    onProgress: (p) => step.progress('codes', p.done, p.total),
  });
  if (step.signal?.aborted) throw new GraftError('cancelled', 'The export was cancelled; nothing was written.');
  for (const f of summary.failed) step.skipped({ path: f.path, reason: f.reason });

  const ids = images.map((i) => i.id);
  const maps = options.backbones.map((b) => readCodes(step.db, b, 'center', ids));
  const dims = maps.map((m) => (m.size ? m.values().next().value!.length : 0));
  const dim = dims.reduce((a, b) => a + b, 0);
  const rows = images.filter((img) => maps.every((m, j) => m.get(img.id)?.length === dims[j] && dims[j] > 0));
  if (!rows.length) throw new GraftError('not_found', `No image has codes for ${options.backbones.join(' + ')}; their files could not be read.`);
  const classIndex = new Map(options.classes.map((c, i) => [c, i]));

  const tfrecord = new TFRecordWriter(path.join(step.dir, 'codes.tfrecord'));
  const codesNpy = new NpyWriter(path.join(step.dir, 'codes.npy'), '<f4', [rows.length, dim]);
  const labelsNpy = new NpyWriter(path.join(step.dir, 'labels.npy'), '<i8', [rows.length]);
  const index: string[] = [csvRow(['row', 'hash', 'label', 'label_index', 'split'])];
  try {
    const vector = new Float32Array(dim);
    rows.forEach((img, r) => {
      if (r % 256 === 0 && step.signal?.aborted) throw new GraftError('cancelled', 'The export was cancelled; nothing was written.');
      let o = 0;
      maps.forEach((m) => {
        const code = m.get(img.id)!;
        vector.set(code, o);
        o += code.length;
      });
      const label = classIndex.get(img.label)!;
      tfrecord.write(
        encodeExample({
          codes: { kind: 'float', values: vector },
          label: { kind: 'int64', values: [label] },
          label_text: { kind: 'bytes', values: [img.label] },
          hash: { kind: 'bytes', values: [img.hash] },
        }),
      );
      codesNpy.writeRow(vector);
      labelsNpy.writeRow(label);
      index.push(csvRow([r, img.hash, img.label, label, img.split ?? '']));
      if (r % 64 === 0 || r === rows.length - 1) step.progress('write', r + 1, rows.length);
    });
  } catch (err) {
    tfrecord.discard();
    codesNpy.discard();
    labelsNpy.discard();
    throw err;
  }
  step.written({ file: 'codes.tfrecord', bytes: tfrecord.close() });
  step.written({ file: 'codes.npy', bytes: codesNpy.close() });
  step.written({ file: 'labels.npy', bytes: labelsNpy.close() });
  const csv = index.join('');
  fs.writeFileSync(path.join(step.dir, 'codes.csv'), csv);
  step.written({ file: 'codes.csv', bytes: Buffer.byteLength(csv) });

  const info = {
    description: 'Image codes (pooled backbone features) with their labels, one row per labelled image, same order in every file.',
    rows: rows.length,
    dim,
    backbones: options.backbones.map((id, j) => ({ id, dim: dims[j], inputRange: getBackbone(id).inputRange, inputSize: getBackbone(id).inputSize })),
    concatenation: 'codes = concat(backbone codes, in the order of "backbones")',
    view: 'center',
    classes: options.classes,
    tfrecord: {
      file: 'codes.tfrecord',
      features: {
        codes: { type: 'float_list', length: dim },
        label: { type: 'int64_list', length: 1, meaning: 'index into "classes"' },
        label_text: { type: 'bytes_list', length: 1 },
        hash: { type: 'bytes_list', length: 1, meaning: 'sha256 of the image file' },
      },
      parse: `tf.io.parse_single_example(record, {"codes": tf.io.FixedLenFeature([${dim}], tf.float32), "label": tf.io.FixedLenFeature([], tf.int64)})`,
    },
    numpy: { codes: 'codes.npy (float32, rows × dim)', labels: 'labels.npy (int64, rows)', load: 'numpy.load("codes.npy"), numpy.load("labels.npy")' },
    index: 'codes.csv (row, hash, label, label_index, split)',
  };
  const json = JSON.stringify(info, null, 2);
  fs.writeFileSync(path.join(step.dir, 'codes.json'), json);
  step.written({ file: 'codes.json', bytes: Buffer.byteLength(json) });
  return { rows: rows.length, dim };
}
