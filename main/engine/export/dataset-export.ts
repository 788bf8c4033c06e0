/**
 * The labelled catalogue as a folder per class (the layout every image-classification
 * tool imports, Graft included) plus `manifest.csv` (`path,label,split,hash`). Each file
 * is copied from its first present path and checked against the hash recorded at import,
 * so the manifest never vouches for bytes that changed on disk since.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { filePathsOf, trainableImagesInSplit } from '../catalogue/images';
import { GraftError } from '../errors';
import { csvRow } from './csv';
import type { ExportStep, SplitChoice } from './export-types';
import { safeFileName, UniqueNames } from './file-names';

/** Files at the export's top level that a class folder must not be named like. */
const RESERVED_TOP_LEVEL = ['manifest.csv', 'model.json', 'weights.bin', 'metadata.json', 'report.html', 'codes.tfrecord', 'codes.npy', 'labels.npy', 'codes.csv', 'codes.json'];

export async function exportDataset(step: ExportStep, split: SplitChoice): Promise<{ images: number }> {
  const images = trainableImagesInSplit(step.db, split);
  if (!images.length) {
    throw new GraftError(
      'not_found',
      split === 'all' ? 'There are no labelled images to export. Label some images first.' : `No labelled image is in the ${split} split. Train once to deal images into splits, or export --split all.`,
    );
  }
  const topLevel = new UniqueNames(RESERVED_TOP_LEVEL);
  const classFolders = new Map<string, { folder: string; names: UniqueNames }>();
  const manifest: string[] = [csvRow(['path', 'label', 'split', 'hash'])];
  let done = 0;
  let exported = 0;
  for (const image of images) {
    if (step.signal?.aborted) throw new GraftError('cancelled', 'The export was cancelled; nothing was written.');
    let entry = classFolders.get(image.label);
    if (!entry) {
      const folder = topLevel.take(safeFileName(image.label, 'class'), () => String(classFolders.size + 1));
      fs.mkdirSync(path.join(step.dir, folder));
      entry = { folder, names: new UniqueNames() };
      classFolders.set(image.label, entry);
    }
    const sources = filePathsOf(step.db, image.id);
    const copied = await copyVerified(sources, image.hash);
    if ('reason' in copied) {
      step.skipped({ path: sources[0] ?? image.hash, reason: copied.reason });
    } else {
      const name = entry.names.take(safeFileName(path.basename(copied.from), `image${path.extname(copied.from)}`), () => image.hash.slice(0, 8));
      const rel = `${entry.folder}/${name}`;
      await fs.promises.writeFile(path.join(step.dir, entry.folder, name), copied.bytes);
      step.written({ file: rel, bytes: copied.bytes.length });
      manifest.push(csvRow([rel, image.label, image.split ?? '', image.hash]));
      exported++;
    }
    step.progress('copy', ++done, images.length);
  }
  const text = manifest.join('');
  fs.writeFileSync(path.join(step.dir, 'manifest.csv'), text);
  step.written({ file: 'manifest.csv', bytes: Buffer.byteLength(text) });
  return { images: exported };
}

/** The first source whose bytes still hash to `hash`, read once (hashed and copied from memory). */
async function copyVerified(sources: string[], hash: string): Promise<{ bytes: Buffer; from: string } | { reason: string }> {
  let reason = 'none of its files exists any more';
  for (const source of sources) {
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(source);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') reason = `cannot be read (${code ?? (err as Error).message})`;
      continue;
    }
    if (createHash('sha256').update(bytes).digest('hex') === hash) return { bytes, from: source };
    reason = 'the file changed on disk since it was imported; import the folder again to update it';
  }
  return { reason };
}
