import type { UndoResult } from '../../../../shared/types';
import type { Command } from '../command';

/** 'Undid: label 3 images as "roses". 3 images relabelled.' */
export function stepText(result: UndoResult): string {
  const n = result.changed;
  return `${result.description}.${n ? ` ${n} image${n === 1 ? '' : 's'} relabelled.` : ''}`;
}

export const undoCommand: Command = {
  name: 'undo',
  summary: 'Undo the last class or label change',
  usage: [
    'Usage: graft undo --project FILE [--json]',
    '',
    'Reverts the newest class or label change (label, add, rename, merge, delete, colour, move).',
    'Repeat to go further back; "graft redo" re-applies. --json prints {"description","changed"}.',
  ].join('\n'),
  async run(ctx) {
    const result = await ctx.engine({ mustExist: true }).call('labels.undo', {});
    return { json: result, text: stepText(result) };
  },
};
