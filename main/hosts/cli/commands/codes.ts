import { DEFAULTS } from '../../../../shared/defaults';
import { GraftError } from '../../../engine';
import type { Command } from '../command';
import { runJob } from '../job-waiter';
import { noteSlowRuntime } from '../runtime-note';
import { describe, optionLines } from '../setting-options';

export const codesCommand: Command = {
  name: 'codes',
  summary: "Compute the images' feature vectors (codes) that are not cached yet",
  usage: [
    'Usage: graft codes --project FILE [--backbone ID] [--flip] [--json]',
    '',
    "Runs every image whose file is present through the backbone's frozen ImageNet network and",
    'caches the resulting feature vector in the project. Only missing codes are computed, so a',
    'second run is instant and an interrupted run (Ctrl+C, crash) resumes where it stopped.',
    'Weights come from GRAFT_MODELS_DIR, the user cache, or a download on first use.',
    '',
    ...optionLines([
      ['--backbone ID', describe(DEFAULTS.codes.backbone, 'see "graft backbones"')],
      ['--flip', 'also cache the mirrored view of each image (augmentation)'],
    ]),
    '',
    '--json prints {"backbone","computed","cached","failed":[{"path","reason"}],"seconds",',
    '"imagesPerSecond","runtime"}; progress (done, total, images/s, ETA) goes to stderr.',
  ].join('\n'),
  options: {
    backbone: { type: 'string', short: 'b' },
    flip: { type: 'boolean' },
  },
  async run(ctx) {
    const engine = ctx.engine({ mustExist: true });
    const backbone = (ctx.values.backbone as string | undefined) ?? DEFAULTS.codes.backbone.value;
    const views = ctx.values.flip ? (['center', 'flip'] as const) : (['center'] as const);
    const f = await runJob(ctx, engine, 'codes', () => engine.call('codes.start', { backbones: [backbone], views: [...views] }));
    if (f.status === 'failed') throw new GraftError(f.error.code, f.error.message);
    const r = f.result;
    if (f.status === 'cancelled' || !r || r.cancelled) {
      throw new GraftError('cancelled', `Cancelled after computing ${r?.computed ?? 'some'} codes; they are kept. Run "graft codes" again to compute the rest.`);
    }
    if (r.computed > 0) await noteSlowRuntime(ctx, engine, r.runtime);
    const json = {
      backbone,
      computed: r.computed,
      cached: r.cached,
      failed: r.failed,
      seconds: round(r.seconds, 2),
      imagesPerSecond: round(r.imagesPerSecond, 2),
      runtime: r.runtime,
    };
    const text = [
      `${backbone}: computed ${r.computed} code${r.computed === 1 ? '' : 's'}, ${r.cached} already cached, in ${json.seconds}s (${json.imagesPerSecond} images/s, ${r.runtime}).`,
      ...r.failed.map((x) => `  could not read ${x.path}: ${x.reason}`),
    ].join('\n');
    return { json, text };
  },
};

function round(x: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}
