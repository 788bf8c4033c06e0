import { DEFAULTS } from '../../../../shared/defaults';
import type { JobResult } from '../../../../shared/jobs';
import { GraftError } from '../../../engine';
import type { Command } from '../command';
import { resultOf, runJob } from '../job-waiter';
import { noteSlowRuntime } from '../runtime-note';
import { describe, formatFractions, optionLines, parseCount, parseRate, switchFlag, switchOptions, switchValue } from '../setting-options';
import type { RunDetail } from '../../../../shared/api/training';

const { training, head, fineTune } = DEFAULTS;

export const trainCommand: Command = {
  name: 'train',
  summary: 'Train a classifier on the labelled images (codes are computed first when missing)',
  usage: [
    'Usage: graft train --project FILE [--backbone ID[,ID…]] [--epochs N] [--learning-rate R] [--seed S] [--fine-tune]',
    `                   [--reshuffle] [${switchFlag('flip', training.flip)}] [--hidden N] [--members N] [${switchFlag('vote', training.vote)}] [--json]`,
    '',
    `Deals images into train/validation/test (${formatFractions(training.fractions.value)}, sticky across runs), computes the`,
    `backbones' codes that are missing, trains the head with early stopping, evaluates it and`,
    `stores the run; a finished run becomes the project's current model.`,
    `Default backbones: ${training.backbones.value.join(',')} (codes concatenated).`,
    '',
    ...optionLines([
      ['--backbone ID[,ID…]', training.backbones.description],
      ['--epochs N', describe(head.maxEpochs)],
      ['--learning-rate R', describe(head.learningRate)],
      ['--seed S', describe(training.seed)],
      ['--fine-tune', describe(training.fineTune)],
      ['--fine-tune-epochs N', describe(fineTune.epochs, 'implies --fine-tune')],
      ['--fine-tune-learning-rate R', describe(fineTune.learningRate, 'implies --fine-tune')],
      ['--reshuffle', training.reshuffle.description],
      ['--flip, --no-flip', describe(training.flip)],
      ['--hidden N', describe(head.hidden)],
      ['--members N', describe(head.members)],
      ['--vote, --no-vote', describe(training.vote)],
    ]),
    '',
    '--json prints {"runId","classes","accuracy":{"train","validation","test"},"perClass":{…},"confusion":[[…]],"seconds","excluded"}',
    'and, with --fine-tune, "fineTune":{"validationBefore","validationAfter","kept","epochs","seconds"}.',
  ].join('\n'),
  options: {
    backbone: { type: 'string' },
    epochs: { type: 'string' },
    'learning-rate': { type: 'string' },
    seed: { type: 'string' },
    'fine-tune': { type: 'boolean' },
    'fine-tune-epochs': { type: 'string' },
    'fine-tune-learning-rate': { type: 'string' },
    reshuffle: { type: 'boolean' },
    ...switchOptions('flip'),
    hidden: { type: 'string' },
    members: { type: 'string' },
    ...switchOptions('vote'),
  },
  async run(ctx) {
    const v = ctx.values;
    const options = {
      backbones: typeof v.backbone === 'string' ? v.backbone.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
      epochs: parseCount(v.epochs, 'epochs', head.maxEpochs),
      learningRate: parseRate(v['learning-rate'], 'learning-rate', head.learningRate),
      seed: parseCount(v.seed, 'seed', training.seed),
      // Either fine-tuning setting implies --fine-tune: nobody sets them to have them ignored.
      fineTune: Boolean(v['fine-tune'] || v['fine-tune-epochs'] !== undefined || v['fine-tune-learning-rate'] !== undefined) || undefined,
      fineTuneEpochs: parseCount(v['fine-tune-epochs'], 'fine-tune-epochs', fineTune.epochs),
      fineTuneLearningRate: parseRate(v['fine-tune-learning-rate'], 'fine-tune-learning-rate', fineTune.learningRate),
      reshuffle: Boolean(v.reshuffle) || undefined,
      flip: switchValue(v, 'flip'),
      hidden: parseCount(v.hidden, 'hidden', head.hidden),
      members: parseCount(v.members, 'members', head.members),
      vote: switchValue(v, 'vote'),
    };
    if (ctx.positionals.length) throw new GraftError('invalid_params', `"graft train" takes no arguments (got "${ctx.positionals[0]}").`);
    const engine = ctx.engine({ mustExist: true });
    const offEpoch = engine.on('training.epoch', (e) => {
      if (!ctx.json || ctx.verbose) {
        ctx.log(`${e.stage} epoch ${e.epoch}: loss ${e.loss.toFixed(4)} accuracy ${pct(e.accuracy)}  validation loss ${e.valLoss.toFixed(4)} accuracy ${pct(e.valAccuracy)}`);
      }
    });
    try {
      const finished = await runJob(ctx, engine, 'train', () => engine.call('train.start', options));
      const result = resultOf(finished, 'Training was cancelled; the previous model was kept.');
      await noteSlowRuntime(ctx, engine);
      if (ctx.json) return { json: result };
      const run = await engine.call('runs.get', { id: result.runId });
      return { json: result, text: trainText(result, run) };
    } finally {
      offEpoch();
    }
  },
};

/**
 * The epoch lines give the head alone at each epoch; the summary gives the stored model (its
 * best epoch, with the vote of similar images when on). Both are named, so 87.8% on an epoch
 * line and 87.3% in the summary read as two different measurements, not one that changed.
 */
function trainText(r: JobResult<'train'>, run: RunDetail): string {
  const width = Math.max(...r.classes.map((c) => c.length), 5);
  const m = run.metrics;
  const voted = (run.config.head.vote ?? 0) > 0;
  const best = m ? run.history.find((h) => h.stage === 'head' && h.epoch === m.bestEpoch) : undefined;
  const model = [m ? `best epoch ${m.bestEpoch}` : '', r.fineTune?.kept ? 'fine-tuned' : '', voted ? 'with the vote of similar images' : ''].filter(Boolean).join(', ');
  const lines = [
    `Run ${r.runId} finished in ${r.seconds.toFixed(1)} s; it is now the current model.`,
    ...(best ? [`Best epoch ${best.epoch} (lowest validation loss): validation ${pct(best.valAccuracy)} for the head alone, as on its epoch line.`] : []),
    `Accuracy of the model${model ? ` (${model})` : ''}: train ${pct(r.accuracy.train)}, validation ${pct(r.accuracy.validation)}, test ${pct(r.accuracy.test)}`,
    '',
    `${'class'.padEnd(width)}  precision  recall     f1  support`,
    ...Object.entries(r.perClass).map(
      ([name, s]) => `${name.padEnd(width)}  ${pct(s.precision).padStart(9)}  ${pct(s.recall).padStart(6)}  ${pct(s.f1).padStart(5)}  ${String(s.support).padStart(7)}`,
    ),
  ];
  const ft = r.fineTune;
  if (ft) {
    lines.push('', ft.kept
      ? `Fine-tuning raised validation accuracy from ${pct(ft.validationBefore)} to ${pct(ft.validationAfter)} in ${ft.seconds.toFixed(1)} s; the fine-tuned network is kept.`
      : `Fine-tuning did not raise validation accuracy (${pct(ft.validationBefore)}) in ${ft.seconds.toFixed(1)} s; the network keeps its ImageNet weights.`);
  }
  const ex = r.excluded;
  if (ex.conflicts || ex.unlabelled || ex.unreadable.length) {
    lines.push('', `Left out: ${ex.conflicts} with conflicting labels, ${ex.unlabelled} unlabelled, ${ex.unreadable.length} unreadable.`);
  }
  return lines.join('\n');
}

export function pct(x: number | null): string {
  return x === null ? '–' : `${(x * 100).toFixed(1)}%`;
}
