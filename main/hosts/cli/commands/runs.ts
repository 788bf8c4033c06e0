import type { RunSummary } from '../../../../shared/api/training';
import { GraftError } from '../../../engine';
import type { Command } from '../command';
import { pct } from './train';

export const runsCommand: Command = {
  name: 'runs',
  summary: 'List training runs; show, delete or pick the current one',
  usage: [
    'Usage: graft runs --project FILE [--json]            list runs, newest first',
    '       graft runs show ID --project FILE [--json]    config, per-epoch history and metrics',
    '       graft runs use ID --project FILE              make a finished run the current model',
    '       graft runs delete ID --project FILE',
    '',
    '--json (list) prints {"runs":[{"id","status","current","createdAt","seconds","backbones","seed","accuracy":{…},…}],"current":ID|null}.',
  ].join('\n'),
  async run(ctx) {
    const engine = ctx.engine({ mustExist: true });
    const [action = 'list', id] = ctx.positionals;
    const needId = () => {
      if (!id) throw new GraftError('invalid_params', `"graft runs ${action}" needs a run id (see "graft runs").`);
      return id;
    };
    switch (action) {
      case 'list': {
        const runs = await engine.call('runs.list', {});
        return { json: { runs, current: runs.find((r) => r.current)?.id ?? null }, text: runsTable(runs) };
      }
      case 'show': {
        const run = await engine.call('runs.get', { id: needId() });
        return { json: run };
      }
      case 'use': {
        const run = await engine.call('runs.setCurrent', { id: needId() });
        return { json: run, text: `Run ${run.id} is now the current model.` };
      }
      case 'delete': {
        const out = await engine.call('runs.delete', { id: needId() });
        return { json: { id, ...out }, text: `Deleted run ${id}.` };
      }
      default:
        throw new GraftError('invalid_params', `Unknown action "${action}": use list, show, use or delete.`);
    }
  },
};

function runsTable(runs: RunSummary[]): string {
  if (!runs.length) return 'No training runs yet. Train one with "graft train --project FILE".';
  return runs
    .map((r) => {
      const when = new Date(r.createdAt).toISOString().replace('T', ' ').slice(0, 19);
      const acc = r.accuracy ? `test ${pct(r.accuracy.test)}  validation ${pct(r.accuracy.validation)}` : (r.error ?? '');
      return `${r.current ? '*' : ' '} ${r.id}  ${when}  ${r.status.padEnd(9)}  ${acc}  ${r.backbones.join('+')}${r.fineTune ? ' (fine-tuned)' : ''}`;
    })
    .join('\n');
}
