import fs from 'node:fs';
import path from 'node:path';
import type { PredictionItem } from '../../../../shared/api/training';
import { GraftError } from '../../../engine/errors';
import { loadExportedModel } from '../../../engine/export/exported-model';
import { expandInputs, loadPredictor, predictFiles } from '../../../engine/training/predict';
import type { Command } from '../command';
import { progressPrinter } from '../progress';
import { parseCount, pct } from './train';

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
    '  --top K       how many classes to list per image (default 3)',
    '  --run ID      use this run instead of the current model',
    '  --model DIR   use a model folder made by "graft export" (no project needed)',
    '  --csv FILE    also write path,label_1,probability_1,… to FILE',
    '',
    '--json prints {"runId","predictions":[{"path","top":[{"label","probability"}]}]}.',
  ].join('\n'),
  options: { top: { type: 'string' }, csv: { type: 'string' }, run: { type: 'string' }, model: { type: 'string' } },
  async run(ctx) {
    if (!ctx.positionals.length) throw new GraftError('invalid_params', 'Name at least one image or folder: graft predict photo.jpg --project FILE');
    const top = parseCount(ctx.values.top, 'top', 1, 1000) ?? 3;
    const files = expandInputs(ctx.positionals);
    const modelDir = typeof ctx.values.model === 'string' ? ctx.values.model : undefined;
    if (modelDir && (ctx.values.project || ctx.values.run)) {
      throw new GraftError('invalid_params', 'Use either --model DIR (an exported model) or --project FILE [--run ID], not both.');
    }
    let predictor: { runId: string; classes: string[]; probabilities: (s: string[]) => Promise<Float32Array[]>; dispose(): void };
    if (modelDir) {
      predictor = await loadExportedModel(modelDir);
    } else {
      const engine = ctx.engine({ mustExist: true });
      predictor = await loadPredictor(engine.db, { runId: typeof ctx.values.run === 'string' ? ctx.values.run : undefined, modelsDir: engine.options.modelsDir });
    }
    try {
      const print = progressPrinter(!ctx.values.quiet && files.length > 16);
      const started = Date.now();
      const predictions = await predictFiles(predictor, files, {
        top,
        strict: true,
        signal: ctx.signal,
        onProgress: (done, total) => print({ jobId: '', kind: 'predict', stage: 'predict', done, total, rate: (done * 1000) / Math.max(1, Date.now() - started), etaSeconds: null }),
      });
      if (typeof ctx.values.csv === 'string') writeCsv(ctx.values.csv, predictions, top);
      return {
        json: { runId: predictor.runId, predictions },
        text: predictions.map((p) => `${p.path}  ${p.top.map((t) => `${t.label} ${pct(t.probability)}`).join(', ')}`).join('\n'),
      };
    } finally {
      predictor.dispose();
    }
  },
};

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
