import type { MistakesResult } from '../../../../shared/api/training';
import { DEFAULTS } from '../../../../shared/defaults';
import type { Command } from '../command';
import { resultOf, runJob } from '../job-waiter';
import { describe, optionLines, parseCount } from '../setting-options';
import { pct } from './train';

export const mistakesCommand: Command = {
  name: 'mistakes',
  summary: 'List images whose label is likely wrong, and near-duplicates across classes',
  usage: [
    'Usage: graft mistakes --project FILE [--limit N] [--json]',
    '',
    `Scores every labelled image with heads that never saw it (${DEFAULTS.mistakes.folds.value}-fold cross-validation on`,
    'the cached codes) and lists the images the model most confidently disagrees with, plus',
    'differently labelled images with near-identical codes (and identical files under two',
    'class folders).',
    '',
    ...optionLines([['--limit N', describe(DEFAULTS.mistakes.limit)]]),
    '',
    '--json prints {"suspects":[{"path","label","predicted","confidence",…}],"nearDuplicates":[{"a","b","similarity",…}],…}.',
  ].join('\n'),
  options: { limit: { type: 'string' } },
  async run(ctx) {
    const engine = ctx.engine({ mustExist: true });
    const limit = parseCount(ctx.values.limit, 'limit', DEFAULTS.mistakes.limit) ?? DEFAULTS.mistakes.limit.value;
    const finished = await runJob(ctx, engine, 'mistakes', () => engine.call('mistakes.start', { limit }));
    const result = resultOf(finished, 'The likely-mistakes analysis was cancelled.');
    return { json: result, text: mistakesText(result) };
  },
};

function mistakesText(r: MistakesResult): string {
  const lines = [`Likely label mistakes (out-of-fold accuracy ${pct(r.outOfFoldAccuracy)}):`];
  if (!r.suspects.length) lines.push('  none found');
  for (const s of r.suspects) lines.push(`  ${s.path}  labelled ${s.label}, looks like ${s.predicted} (${pct(s.confidence)})`);
  lines.push('', 'Near-duplicates with different labels:');
  if (!r.nearDuplicates.length) lines.push('  none found');
  for (const d of r.nearDuplicates) lines.push(`  ${d.a} (${d.aLabel})  ≈  ${d.b} (${d.bLabel})  similarity ${d.similarity.toFixed(3)}`);
  return lines.join('\n');
}
