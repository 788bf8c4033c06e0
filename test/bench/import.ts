/**
 * Import throughput: the 1,806 flower photos into a fresh project (scan, read, hash,
 * decode, thumbnail, commit), as `graft import` does it.
 */
import fs from 'node:fs';
import { openProject } from '../../main/engine/catalogue/open';
import { importFolder } from '../../main/engine/importer/import-folder';
import { flowersDir, tempDir } from '../helpers/paths';
import type { Figures } from './run';

export async function run(): Promise<Figures> {
  if (!fs.existsSync(flowersDir)) throw new Error(`No flower photos at ${flowersDir}: the import benchmark needs ../shared beside the checkout.`);
  const { dir, cleanup } = tempDir('graft-bench-import-');
  try {
    const db = openProject(`${dir}/bench.graft`);
    try {
      const t0 = process.hrtime.bigint();
      const summary = await importFolder(db, flowersDir);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (summary.skipped.length || summary.added !== summary.files) {
        throw new Error(`the flowers did not import cleanly: ${summary.added}/${summary.files} added, ${summary.skipped.length} skipped`);
      }
      // Re-import: every file unchanged, so this is the cost of a scan plus the comparisons.
      const t1 = process.hrtime.bigint();
      await importFolder(db, flowersDir);
      const reimportSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
      return {
        importImagesPerSecond: Math.round((summary.files / seconds) * 10) / 10,
        importSeconds: Math.round(seconds * 100) / 100,
        importFiles: summary.files,
        reimportSeconds: Math.round(reimportSeconds * 1000) / 1000,
      };
    } finally {
      db.close();
    }
  } finally {
    cleanup();
  }
}
