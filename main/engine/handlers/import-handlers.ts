import path from 'node:path';
import type { CatalogueArea } from '../../../shared/events';
import { countImages, getImage, imagesAtPaths, listImageIds, listImages } from '../catalogue/images';
import { getStatus } from '../catalogue/status';
import type { HandlerMap } from '../dispatch';
import type { Engine } from '../engine';
import { ImportCodes } from '../codes/import-codes';
import { importFolder } from '../importer/import-folder';
import { GraftError } from '../errors';
import { absoluteImportFolder, resolveImportRoot } from '../importer/scan';

type ImportMethod = 'project.status' | 'import.check' | 'import.start' | 'images.count' | 'images.list' | 'images.ids' | 'images.get' | 'images.resolve' | 'jobs.list' | 'jobs.cancel';

/** Where an import's changes show: new images, new classes from folder names, labels and conflicts. */
const IMPORT_AREAS: CatalogueArea[] = ['images', 'classes', 'labels'];

/** Where a relative import folder starts: the project's own folder. */
function importBase(engine: Engine): string {
  return engine.projectPath === null ? process.cwd() : path.dirname(engine.projectPath);
}

/** project.status, import.check, import.start, images.*, jobs.*. */
export const importHandlers: Pick<HandlerMap<ImportMethod>, ImportMethod> = {
  'project.status': (engine) => ({ ...getStatus(engine.db), path: engine.projectPath!, readOnly: engine.readOnlyReason }),

  /**
   * Starts importing a folder as a job: progress arrives as `job.progress`, images
   * appear batch by batch (`catalogue.changed`), and `job.finished` carries the
   * ImportSummary. The folder is checked first, so a typo fails the call itself.
   */
  'import.check': async (engine, p) => {
    const base = importBase(engine);
    const folder = absoluteImportFolder(p.folder, base);
    try {
      await resolveImportRoot(folder);
      return { folder, base, problem: null };
    } catch (err) {
      if (err instanceof GraftError) return { folder, base, problem: err.message };
      throw err;
    }
  },

  'import.start': async (engine, p) => {
    // The folder first: a typo must not create an empty project file.
    const root = await resolveImportRoot(absoluteImportFolder(p.folder, importBase(engine)));
    const db = engine.db;
    const job = engine.jobs.start('import', async (ctx) => {
      const codes = p.codes ? ImportCodes.start(db, { ...p.codes, modelsDir: engine.options.modelsDir }) : null;
      let complete = false;
      try {
        const summary = await importFolder(db, root, {
          signal: ctx.signal,
          workers: engine.media,
          networkInputs: codes ?? undefined,
          // Said while it is so: the import then goes at the networks' pace.
          onProgress: (stage, done, total) => ctx.progress(stage, done, total, stage === 'import' && codes?.computing ? 'Also computing their codes for training' : undefined),
          onBatch: () => engine.emit('catalogue.changed', { areas: IMPORT_AREAS }),
        });
        complete = !summary.cancelled;
        return summary;
      } finally {
        if (codes) {
          // After a cancel or a failure, what is still queued is left to the codes step.
          await codes.finish(!complete);
          if (codes.outcome.computed) engine.emit('catalogue.changed', { areas: ['codes'] });
        }
      }
    });
    return { jobId: job.jobId, folder: root };
  },

  'images.count': (engine, p) => ({ count: countImages(engine.db, p.filter) }),
  'images.list': (engine, p) =>
    listImages(engine.db, p.filter, { sort: p.sort, descending: p.descending, offset: p.offset, limit: p.limit }),
  'images.ids': (engine, p) => ({ ids: listImageIds(engine.db, p.filter, p.sort, p.descending) }),
  'images.get': (engine, p) => getImage(engine.db, p.id),
  'images.resolve': (engine, p) => imagesAtPaths(engine.db, p.paths),

  'jobs.list': (engine) => engine.jobs.list(),
  'jobs.cancel': (engine, p) => ({ cancelled: engine.jobs.cancel(p.jobId) }),
};
