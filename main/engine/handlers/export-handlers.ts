import type { exportMethods } from '../../../shared/api/export';
import { exportProject } from '../export/export-project';
import { openStagingFolder } from '../export/staging-folder';
import type { HandlerMap } from '../dispatch';

export const exportHandlers: HandlerMap<keyof typeof exportMethods> = {
  'export.start': async (engine, p) => {
    const db = engine.db;
    engine.jobs.assertCanStart('export');
    // Refuse a non-empty folder now, as an error of the call, rather than as a failed job.
    openStagingFolder(p.dir, { force: p.force }).discard();
    const job = await engine.jobs.startWhenFree('export', (ctx) =>
      exportProject(db, {
        dir: p.dir,
        runId: p.runId,
        formats: p.formats,
        split: p.split,
        force: p.force,
        backbones: p.backbones,
        skipMistakes: !p.mistakes,
        quantize: p.quantize,
        verify: p.verify,
        projectPath: engine.projectPath!,
        workers: engine.compute,
        modelsDir: engine.options.modelsDir,
        signal: ctx.signal,
        progress: (stage, done, total, message) => ctx.progress(stage, done, total, message),
      }),
    );
    return { jobId: job.jobId };
  },
};
