import path from 'node:path';
import { GraftError } from '../../../engine';
import type { Command } from '../command';
import { classByName, findClass } from './class';

export const labelCommand: Command = {
  name: 'label',
  summary: 'Set the class of images (or remove it)',
  usage: [
    'Usage: graft label <image-or-folder>… (--class NAME [--create] | --none) --project FILE [--json]',
    '',
    'Gives every listed image the class NAME (matched ignoring case), or removes its label',
    'with --none. A folder stands for every imported image under it. Labelling an image that',
    'was imported under two different classes settles that conflict. All listed images change',
    'as one step that "graft undo" reverts. If any path is not in the project, nothing changes.',
    '',
    '  --class NAME   the class to give them',
    '  --create       create the class NAME first if it does not exist (otherwise that is an error,',
    '                 so a typo cannot make a new class)',
    '  --none         make them unlabelled',
    '',
    '--json prints {"class":NAME|null,"images":N,"changed":N,"operationId":ID|null,"createdClass":BOOL}.',
  ].join('\n'),
  options: { class: { type: 'string', short: 'c' }, none: { type: 'boolean' }, create: { type: 'boolean' } },
  async run(ctx) {
    const className = ctx.values.class as string | undefined;
    const none = Boolean(ctx.values.none);
    if (!ctx.positionals.length) throw new GraftError('invalid_params', 'Name at least one image (or folder) to label.');
    if ((className === undefined) === !none) throw new GraftError('invalid_params', 'Say which label to set: --class NAME, or --none to remove it.');
    const engine = ctx.engine({ mustExist: true });

    // Paths are stored absolute: a relative one is resolved against the working directory.
    const { imageIds, unknown } = await engine.call('images.resolve', { paths: ctx.positionals.map((p) => path.resolve(p)) });
    if (unknown.length) {
      const typed = unknown.map((u) => ctx.positionals.find((p) => path.resolve(p) === u) ?? u);
      const shown = typed.slice(0, 3).join(', ') + (typed.length > 3 ? ` and ${typed.length - 3} more` : '');
      throw new GraftError('not_found', `Not in the project: ${shown}. Import ${typed.length === 1 ? 'it' : 'them'} first ("graft import <folder>"); nothing was changed.`);
    }
    const ids = new Set(imageIds);

    let classId: number | null = null;
    let createdClass = false;
    if (className !== undefined) {
      if (ctx.values.create && !(await findClass(engine, className))) {
        classId = (await engine.call('classes.create', { name: className })).id;
        createdClass = true;
      } else {
        try {
          classId = (await classByName(engine, className)).id;
        } catch (err) {
          if (err instanceof GraftError && err.code === 'not_found') {
            throw new GraftError('not_found', `${err.message} Add it with "graft class add ${className}", or pass --create.`);
          }
          throw err;
        }
      }
    }
    const result = await engine.call('labels.set', { imageIds: [...ids], classId });
    const name = classId === null ? null : ((await findClass(engine, className as string))?.name ?? className ?? null);
    const images = `${ids.size} image${ids.size === 1 ? '' : 's'}`;
    const text = !result.changed
      ? `Nothing to change: ${ids.size === 1 ? 'it already has' : `all ${images} already have`} that label.`
      : name === null
        ? `Removed the label from ${result.changed} of ${images}.`
        : `Labelled ${result.changed} of ${images} as "${name}"${createdClass ? ' (new class)' : ''}.`;
    return { json: { class: name, images: ids.size, changed: result.changed, operationId: result.operationId, createdClass }, text };
  },
};
