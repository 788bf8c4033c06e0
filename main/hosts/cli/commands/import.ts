import fs from 'node:fs';
import path from 'node:path';
import type { ImportSummary } from '../../../../shared/types';
import { DEFAULTS } from '../../../../shared/defaults';
import { GraftError } from '../../../engine';
import type { Command } from '../command';
import { runJob } from '../job-waiter';

export const importCommand: Command = {
  name: 'import',
  summary: 'Import a folder of images (one subfolder per class)',
  usage: [
    'Usage: graft import <folder> --project FILE [--no-codes] [--json]',
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
    `New photos' codes for the default networks (${DEFAULTS.training.backbones.value.join(', ')}) are`,
    'computed as they are decoded, when ONNX Runtime runs them and their weights are on this',
    'machine, so that "graft train" starts from cached codes. --no-codes imports only.',
    '',
    '--json prints {"added","unchanged","missing","duplicates":[{"path","sameAs"}],',
    '"conflicts":[{"hash","paths","labels"}],"skipped":[{"path","reason"}],"classes":{name:N},',
    '"unlabelled","files","newImages","cancelled","seconds"}.',
  ].join('\n'),
  options: {
    'no-codes': { type: 'boolean' },
  },
  async run(ctx) {
    const folder = ctx.positionals[0];
    if (!folder) throw new GraftError('invalid_params', 'Which folder? Usage: graft import <folder> --project FILE');
    if (ctx.positionals.length > 1) {
      throw new GraftError('invalid_params', `Import one folder at a time (got ${ctx.positionals.length}); quote a path that contains spaces.`);
    }
    // The engine checks the folder before it creates the project file.
    const root = path.resolve(folder);
    const engine = ctx.engine();
    const codes = ctx.values['no-codes'] ? undefined : { backbones: [...DEFAULTS.training.backbones.value], views: ['center' as const] };
    const finished = await runJob(ctx, engine, 'import', () => engine.call('import.start', { folder: root, codes }));
    if (finished.status === 'failed') throw new GraftError(finished.error.code, finished.error.message);
    const summary = finished.result;
    if (!summary) throw new GraftError('cancelled', 'The import was cancelled before it recorded anything. Run the same command again to import.');
    if (summary.cancelled) {
      ctx.log(`Import stopped: ${summary.added} file${summary.added === 1 ? '' : 's'} recorded. Run the same command again to finish.`);
    }
    // The summary names files by their canonical paths (links resolved): strip the same root.
    return { json: summary, text: describeImport(fs.realpathSync(root), summary) };
  },
};

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
