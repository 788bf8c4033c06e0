import path from 'node:path';
import type { Params } from '../../../../shared/api';
import { EXPORT_FORMATS, EXPORT_QUANTIZATIONS, EXPORT_SPLITS, type ExportFormatName, type ExportQuantization, type ExportSplit } from '../../../../shared/api/export';
import { DEFAULTS } from '../../../../shared/defaults';
import { GraftError } from '../../../engine';
import type { Command } from '../command';
import { resultOf, runJob } from '../job-waiter';
import { describe, formatDefault } from '../setting-options';

export const exportCommand: Command = {
  name: 'export',
  summary: 'Export the model (TF.js, ONNX, TensorFlow Lite), its report, the dataset or the codes',
  usage: [
    `Usage: graft export <dir> --project FILE [--run ID] [--format ${EXPORT_FORMATS.join('|')}[,…]]`,
    `                    [--quantize ${EXPORT_QUANTIZATIONS.join('|')}[,…]] [--split ${EXPORT_SPLITS.join('|')}]`,
    '                    [--verify] [--force] [--no-mistakes] [--json]',
    '',
    'Writes into <dir> (created; an existing non-empty folder needs --force). The folder is',
    'staged beside <dir> and renamed into place at the end, so it is never half-written.',
    '',
    '  --format tfjs     model.json + weights.bin + metadata.json: a TF.js model in Teachable',
    '                    Machine\'s image format (square RGB input of metadata.imageSize pixels,',
    '                    320 with the default networks, in [-1, 1]; output probabilities)',
    '  --format onnx     model.onnx: the whole model (networks with batch norm folded, head,',
    '                    neighbour vote, softmax), ONNX opset 13, run by ONNX Runtime;',
    '                    input "image" [n, size, size, 3] float32 RGB 0…255 (unscaled),',
    '                    outputs "probabilities" (labels.txt order) and "features"',
    '  --format tflite   model.tflite: the same model as TensorFlow Lite (batch 1), run by',
    '                    LiteRT.js; labels and input normalisation in its TFLite metadata',
    '  --format report   report.html: accuracy, per-class scores, confusion matrix, curves,',
    '                    likely label mistakes; readable offline',
    '  --format dataset  one folder per class with the labelled images, and manifest.csv',
    '                    (path,label,split,hash)',
    '  --format codes    codes.tfrecord (tf.train.Example), codes.npy + labels.npy, codes.csv',
    `  (default: ${formatDefault(DEFAULTS.export.formats.value)})`,
    '',
    '  --run ID          export this run instead of the current model',
    '  --quantize Q      tflite: also model_float16.tflite (half the size) and/or',
    '                    model_int8.tflite (int8 weights, about a quarter)',
    '  --verify          onnx, tflite: run every file written in its own runtime (ONNX',
    '                    Runtime, LiteRT.js) on 32 of the project\'s photos and compare it',
    '                    with graft predict: float32 the same top-1 and probabilities within',
    '                    1e-4, float16 within 1e-2, int8 the same top-1 on 98%; exits with',
    '                    status 1 when a file does not pass (the files stay, to look at)',
    `  --split S         ${describe(DEFAULTS.export.split)}`,
    '  --backbone ID     codes without a trained model: this backbone\'s codes',
    '  --force           replace the content of a non-empty <dir>',
    '  --no-mistakes     leave the likely-mistakes section out of the report (faster)',
    '',
    '--json prints {"dir","files":[…],"bytes":N,"formats","runId","modelFormat","deployable":{"files","refused"},"snippets","skipped":[…]}.',
  ].join('\n'),
  options: {
    run: { type: 'string' },
    format: { type: 'string', multiple: true },
    split: { type: 'string' },
    quantize: { type: 'string', multiple: true },
    backbone: { type: 'string' },
    force: { type: 'boolean' },
    verify: { type: 'boolean' },
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
        quantize: quantizeList(v.quantize),
        verify: v.verify ? true : undefined,
      }),
    );
    const result = resultOf(finished, 'The export was cancelled; nothing was written.');
    const lines = [`Exported ${result.formats.join(', ')} to ${result.dir}: ${result.files.length} files, ${formatBytes(result.bytes)}.`];
    if (result.modelFormat) lines.push(`Model: TF.js ${result.modelFormat} (model.json, weights.bin, metadata.json).`);
    for (const f of result.deployable?.files ?? []) {
      lines.push(`Model: ${f.file} (${f.format === 'onnx' ? `ONNX opset ${f.opset}` : 'TensorFlow Lite'}, ${f.weights} weights, ${formatBytes(f.bytes)})${f.check ? `, ${f.check.ok ? 'checked' : 'CHECK FAILED'} by ${f.check.runtime}: ${f.check.detail}` : ''}.`);
    }
    for (const r of result.deployable?.refused ?? []) lines.push(`Not written: ${r.file}: ${r.reason}`);
    const failed = (result.deployable?.files ?? []).filter((f) => f.check && !f.check.ok);
    if (v.verify && failed.length) {
      lines.push(`Verification FAILED for ${failed.map((f) => f.file).join(', ')}: do not deploy ${failed.length === 1 ? 'it' : 'them'} before looking at why.`);
      process.exitCode = 1;
    }
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

function quantizeList(value: unknown): ExportQuantization[] | undefined {
  const typed = (Array.isArray(value) ? value : typeof value === 'string' ? [value] : []).flatMap((q) => String(q).split(',')).map((q) => q.trim().toLowerCase()).filter(Boolean);
  if (!typed.length) return undefined;
  for (const q of typed) {
    if (!(EXPORT_QUANTIZATIONS as readonly string[]).includes(q)) throw new GraftError('invalid_params', `--quantize must be ${EXPORT_QUANTIZATIONS.join(' or ')} (got "${q}").`);
  }
  return [...new Set(typed)] as ExportQuantization[];
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 ** 2).toFixed(1)} MB`;
}

function isExportSplit(s: string): s is ExportSplit {
  return (EXPORT_SPLITS as readonly string[]).includes(s);
}
