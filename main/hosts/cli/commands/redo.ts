import type { Command } from '../command';
import { stepText } from './undo';

export const redoCommand: Command = {
  name: 'redo',
  summary: 'Redo the change undone last',
  usage: [
    'Usage: graft redo --project FILE [--json]',
    '',
    'Re-applies the change that "graft undo" reverted most recently. A new change after an',
    'undo makes redo impossible. --json prints {"description","changed"}.',
  ].join('\n'),
  async run(ctx) {
    const result = await ctx.engine({ mustExist: true }).call('labels.redo', {});
    return { json: result, text: stepText(result) };
  },
};
