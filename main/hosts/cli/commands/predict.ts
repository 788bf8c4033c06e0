import fs from 'node:fs';
import path from 'node:path';
import type { PredictionItem } from '../../../../shared/api/training';
import { DEFAULTS } from '../../../../shared/defaults';
import { GraftError } from '../../../engine';
import type { Command } from '../command';
import { resultOf, runJob } from '../job-waiter';
import { describe, optionLines, parseCount } from '../setting-options';
import { pct } from './train';

export const predictCommand: Command = {
  name: 'predict',
  summary: 'Classify images or folders with the current model',
  usage: [
    'Usage: graft predict <image|folder>… --project FILE [--top K] [--run ID] [--csv FILE] [--json]',
    '       graft predict <image|folder>… --model DIR [--top K] [--csv FILE] [--json]',
    '',
    'Folders are searched recursively for images. Every image goes through the same',
    'preprocessing and networks as in training. A missing path, an unreadable image or a',
    'folder without images stops with the reason.',
    '',
    ...optionLines([
      ['--top K', describe(DEFAULTS.predict.top)],
      ['--run ID', 'use this run instead of the current model'],
      ['--model DIR', 'use a model folder made by "graft export" (no project needed)'],
      ['--csv FILE', 'also write path,label_1,probability_1,… to FILE'],
    ]),
    '',
    'A photo unlike anything the model was trained on (far from every training photo it keeps)',
    'is marked so: its top class is only a guess.',
    '',
    '--json prints {"runId","predictions":[{"path","top":[{"label","probability"}],"similarity","unfamiliar"}]};',
    '"similarity" (cosine to the nearest training photo) and "unfamiliar" come with models that can tell.',
  ].join('\n'),
  options: { top: { type: 'string' }, csv: { type: 'string' }, run: { type: 'string' }, model: { type: 'string' } },
  async run(ctx) {
    if (!ctx.positionals.length) throw new GraftError('invalid_params', 'Name at least one image or folder: graft predict photo.jpg --project FILE');
    const top = parseCount(ctx.values.top, 'top', DEFAULTS.predict.top) ?? DEFAULTS.predict.top.value;
    const modelDir = typeof ctx.values.model === 'string' ? path.resolve(ctx.values.model) : undefined;
    if (modelDir && (ctx.values.project || ctx.values.run)) {
      throw new GraftError('invalid_params', 'Use either --model DIR (an exported model) or --project FILE [--run ID], not both.');
    }
    const engine = modelDir ? ctx.engineWithoutProject() : ctx.engine({ mustExist: true });
    const started = Date.now();
    const finished = await runJob(ctx, engine, 'predict', () =>
      engine.call('predict.start', {
        paths: ctx.positionals.map((p) => path.resolve(p)),
        top,
        strict: true,
        ...(modelDir ? { modelDir } : {}),
        ...(typeof ctx.values.run === 'string' ? { runId: ctx.values.run } : {}),
      }),
    );
    const { runId, predictions } = resultOf(finished, 'Prediction was cancelled.');
    if (typeof ctx.values.csv === 'string') writeCsv(ctx.values.csv, predictions, top);
    const lines = predictions.map(
      (p) => `${p.path}  ${p.top.map((t) => `${t.label} ${pct(t.probability)}`).join(', ')}${p.unfamiliar ? '  (unlike anything it was trained on: a guess)' : ''}`,
    );
    lines.push(summaryLine(predictions, runId, (Date.now() - started) / 1000));
    return { json: { runId, predictions }, text: lines.join('\n') };
  },
};

/** "100 images in 4.2 s with run …: daisy 20, dandelion 19, …" (top-1 counts, most first). */
function summaryLine(predictions: PredictionItem[], runId: string, seconds: number): string {
  const counts = new Map<string, number>();
  for (const p of predictions) if (p.top[0]) counts.set(p.top[0].label, (counts.get(p.top[0].label) ?? 0) + 1);
  const byClass = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([label, n]) => `${label} ${n}`);
  const n = predictions.length;
  const unfamiliar = predictions.filter((p) => p.unfamiliar).length;
  return `${n} image${n === 1 ? '' : 's'} in ${seconds.toFixed(1)} s with ${runId}: ${byClass.join(', ')}${unfamiliar ? ` (${unfamiliar} unlike anything it was trained on)` : ''}`;
}

/** One row per image: path, then label and probability for each of the top K. */
export function writeCsv(file: string, predictions: PredictionItem[], top: number): void {
  const header = ['path'];
  for (let i = 1; i <= top; i++) header.push(`label_${i}`, `probability_${i}`);
  const rows = predictions.map((p) => {
    const cells = [p.path];
    for (let i = 0; i < top; i++) cells.push(p.top[i]?.label ?? '', p.top[i] ? String(p.top[i].probability) : '');
    return cells;
  });
  const text = [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, text);
  } catch (err) {
    throw new GraftError('io', `Cannot write ${file}: ${(err as Error).message}`);
  }
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
