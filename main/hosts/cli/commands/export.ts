import path from 'node:path';
import type { Params } from '../../../../shared/api';
import { EXPORT_FORMATS, EXPORT_SPLITS, type ExportFormatName, type ExportSplit } from '../../../../shared/api/export';
import { DEFAULTS } from '../../../../shared/defaults';
import { GraftError } from '../../../engine';
import type { Command } from '../command';
import { resultOf, runJob } from '../job-waiter';
import { describe, formatDefault } from '../setting-options';

export const exportCommand: Command = {
  name: 'export',
  summary: 'Export the model (TF.js, Teachable Machine format), its report, the dataset or the codes',
  usage: [
    `Usage: graft export <dir> --project FILE [--run ID] [--format ${EXPORT_FORMATS.join('|')}[,…]]`,
    `                    [--split ${EXPORT_SPLITS.join('|')}] [--force] [--no-mistakes] [--json]`,
    '',
    'Writes into <dir> (created; an existing non-empty folder needs --force). The folder is',
    'staged beside <dir> and renamed into place at the end, so it is never half-written.',
    '',
    '  --format tfjs     model.json + weights.bin + metadata.json: a TF.js model in Teachable',
    '                    Machine\'s image format (square RGB input of metadata.imageSize pixels,',
    '                    320 with the default networks, in [-1, 1]; output probabilities)',
    '  --format report   report.html: accuracy, per-class scores, confusion matrix, curves,',
    '                    likely label mistakes; readable offline',
    '  --format dataset  one folder per class with the labelled images, and manifest.csv',
    '                    (path,label,split,hash)',
    '  --format codes    codes.tfrecord (tf.train.Example), codes.npy + labels.npy, codes.csv',
    `  (default: ${formatDefault(DEFAULTS.export.formats.value)})`,
    '',
    '  --run ID          export this run instead of the current model',
    `  --split S         ${describe(DEFAULTS.export.split)}`,
    '  --backbone ID     codes without a trained model: this backbone\'s codes',
    '  --force           replace the content of a non-empty <dir>',
    '  --no-mistakes     leave the likely-mistakes section out of the report (faster)',
    '',
    '--json prints {"dir","files":[…],"bytes":N,"formats","runId","modelFormat","skipped":[…]}.',
  ].join('\n'),
  options: {
    run: { type: 'string' },
    format: { type: 'string', multiple: true },
    split: { type: 'string' },
    backbone: { type: 'string' },
    force: { type: 'boolean' },
    'no-mistakes': { type: 'boolean' },
  },
  async run(ctx) {
    const v = ctx.values;
    if (ctx.positionals.length !== 1) {
      throw new GraftError('invalid_params', ctx.positionals.length ? `Name one folder to export into (got ${ctx.positionals.length}).` : 'Name the folder to export into: graft export out/flowers-model --project FILE');
    }
    const formatValues = (Array.isArray(v.format) ? v.format : typeof v.format === 'string' ? [v.format] : []).flatMap((f) => String(f).split(','));
    const formats = formatValues.length ? formatList(formatValues) : undefined;
    const split = typeof v.split === 'string' ? v.split : DEFAULTS.export.split.value;
    if (!isExportSplit(split)) throw new GraftError('invalid_params', `--split must be one of ${EXPORT_SPLITS.join(', ')} (got "${split}").`);
    const engine = ctx.engine({ mustExist: true });
    // The engine refuses a non-empty folder with code not_empty; here, replacing is --force.
    const startExport = (params: Params<'export.start'>) =>
      engine.call('export.start', params).catch((err: unknown) => {
        if (err instanceof GraftError && err.code === 'not_empty') throw new GraftError('not_empty', err.message.replace(/, or replace its content\.$/, ', or pass --force to replace its content.'));
        throw err;
      });
    const finished = await runJob(ctx, engine, 'export', () =>
      startExport({
        dir: path.resolve(ctx.positionals[0]),
        runId: typeof v.run === 'string' ? v.run : undefined,
        formats,
        split,
        force: Boolean(v.force),
        backbones: typeof v.backbone === 'string' ? v.backbone.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
        mistakes: !v['no-mistakes'],
      }),
    );
    const result = resultOf(finished, 'The export was cancelled; nothing was written.');
    const lines = [`Exported ${result.formats.join(', ')} to ${result.dir}: ${result.files.length} files, ${formatBytes(result.bytes)}.`];
    if (result.modelFormat) lines.push(`Model: TF.js ${result.modelFormat} (model.json, weights.bin, metadata.json).`);
    if (result.files.includes('report.html')) lines.push(`Report: ${path.join(result.dir, 'report.html')}`);
    if (result.skipped.length) {
      lines.push(`Left out ${result.skipped.length}:`);
      for (const s of result.skipped.slice(0, 10)) lines.push(`  ${s.path}: ${s.reason}`);
      if (result.skipped.length > 10) lines.push(`  … ${result.skipped.length - 10} more (use --json for all)`);
    }
    return { json: result, text: lines.join('\n') };
  },
};

/** The formats as typed (any case, repeated or comma-separated), checked against the contract's list. */
function formatList(values: string[]): ExportFormatName[] {
  const known = EXPORT_FORMATS;
  const out: ExportFormatName[] = [];
  for (const typed of values) {
    const f = typed.trim().toLowerCase();
    if (!f) continue;
    if (!(known as readonly string[]).includes(f)) {
      throw new GraftError('invalid_params', `Unknown export format "${typed}". Use ${known.join(', ')} (several separated by commas).`);
    }
    if (!out.includes(f as ExportFormatName)) out.push(f as ExportFormatName);
  }
  return out;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 ** 2).toFixed(1)} MB`;
}

function isExportSplit(s: string): s is ExportSplit {
  return (EXPORT_SPLITS as readonly string[]).includes(s);
}
