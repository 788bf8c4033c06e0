import path from 'node:path';
import type { ImportSummary } from '../../../../shared/types';
import { importFolder } from '../../../engine/importer/import-folder';
import { resolveImportRoot } from '../../../engine/importer/scan';
import { GraftError } from '../../../engine/errors';
import type { Command } from '../command';
import { progressPrinter } from '../progress';

export const importCommand: Command = {
  name: 'import',
  summary: 'Import a folder of images (one subfolder per class)',
  usage: [
    'Usage: graft import <folder> --project FILE [--json]',
    '',
    'Imports every image under <folder> (JPEG, PNG, WebP, GIF, TIFF, BMP, AVIF) into the project,',
    'creating the project file if needed. Each top-level subfolder is a class',
    '(flowers/daisy/… → "daisy"); images directly in <folder> come in unlabelled.',
    '',
    'Importing again is cheap: unchanged files are skipped, new ones added, and files that',
    'disappeared are reported missing (their labels are kept). Identical files are one image;',
    'identical files under different classes are reported as label conflicts, left for you to',
    'settle. Ctrl+C stops cleanly; run the command again to finish.',
    '',
    '--json prints {"added","unchanged","missing","duplicates":[{"path","sameAs"}],',
    '"conflicts":[{"hash","paths","labels"}],"skipped":[{"path","reason"}],"classes":{name:N},',
    '"unlabelled","files","newImages","cancelled","seconds"}.',
  ].join('\n'),
  async run(ctx) {
    const folder = ctx.positionals[0];
    if (!folder) throw new GraftError('invalid_params', 'Which folder? Usage: graft import <folder> --project FILE');
    if (ctx.positionals.length > 1) {
      throw new GraftError('invalid_params', `Import one folder at a time (got ${ctx.positionals.length}); quote a path that contains spaces.`);
    }
    // Check the folder before creating a project file for it.
    const root = await resolveImportRoot(folder);
    const engine = ctx.engine();
    const print = progressPrinter(!ctx.values.quiet);
    const rate = new RateWindow();
    let lastScanLog = 0;
    const summary = await importFolder(engine.db, root, {
      signal: ctx.signal,
      onProgress: (stage, done, total) => {
        if (stage === 'scan') {
          // The total is unknown while scanning; a count now and then is enough.
          if (done > 0 && Date.now() - lastScanLog > 2000) {
            lastScanLog = Date.now();
            ctx.log(`scan: ${done.toLocaleString('en-US')} image files found…`);
          }
          return;
        }
        const r = rate.add(stage, done);
        print({
          jobId: 'cli',
          kind: 'import',
          stage,
          done,
          total,
          rate: r,
          etaSeconds: r > 0 ? (total - done) / r : null,
        });
      },
    });
    if (summary.cancelled) {
      ctx.log(`Import stopped: ${summary.added} file${summary.added === 1 ? '' : 's'} recorded. Run the same command again to finish.`);
    }
    return { json: summary, text: describeImport(root, summary) };
  },
};

/** Items per second over the last few seconds of a stage. */
class RateWindow {
  private stage = '';
  private samples: Array<{ t: number; done: number }> = [];

  add(stage: string, done: number): number {
    const t = Date.now();
    if (stage !== this.stage) {
      this.stage = stage;
      this.samples = [];
    }
    this.samples.push({ t, done });
    while (this.samples.length > 2 && t - this.samples[0].t > 5000) this.samples.shift();
    const a = this.samples[0];
    return t > a.t ? ((done - a.done) * 1000) / (t - a.t) : 0;
  }
}

/** The summary for people: counts first, then what needs their attention. */
export function describeImport(root: string, s: ImportSummary): string {
  const rel = (p: string) => (p.startsWith(root + path.sep) ? p.slice(root.length + 1) : p);
  const n = (k: number, word: string) => `${k.toLocaleString('en-US')} ${word}${k === 1 ? '' : 's'}`;
  const lines = [
    `${s.cancelled ? 'Import cancelled' : 'Imported'} ${root}: ${n(s.files, 'image file')} in ${s.seconds.toFixed(1)} s`,
    `  added ${n(s.added, 'file')} (${n(s.newImages, 'new image')}), ${s.unchanged.toLocaleString('en-US')} unchanged, ${s.missing.toLocaleString('en-US')} missing`,
  ];
  const classes = Object.entries(s.classes).map(([name, count]) => `${name} ${count}`);
  lines.push(`  project: ${classes.length ? classes.join(', ') : 'no classes'}; ${s.unlabelled} unlabelled`);
  if (s.duplicates.length) {
    lines.push(`Duplicates (${s.duplicates.length}): identical files, kept as one image`);
    for (const d of s.duplicates.slice(0, 20)) lines.push(`  ${rel(d.path)} = ${rel(d.sameAs)}`);
    if (s.duplicates.length > 20) lines.push(`  … ${s.duplicates.length - 20} more (use --json for all)`);
  }
  if (s.conflicts.length) {
    lines.push(`Label conflicts (${s.conflicts.length}): the same image under different classes; not trained on until you label it`);
    for (const c of s.conflicts.slice(0, 20)) lines.push(`  ${c.paths.map(rel).join(' = ')}  (${c.labels.join(' vs ')})`);
    if (s.conflicts.length > 20) lines.push(`  … ${s.conflicts.length - 20} more (use --json for all)`);
  }
  if (s.skipped.length) {
    lines.push(`Skipped (${s.skipped.length}):`);
    for (const k of s.skipped.slice(0, 20)) lines.push(`  ${rel(k.path)}: ${k.reason}`);
    if (s.skipped.length > 20) lines.push(`  … ${s.skipped.length - 20} more (use --json for all)`);
  }
  return lines.join('\n');
}
