import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '../../../engine/engine';
import { call } from '../../../engine/dispatch';
import { findClassByName } from '../../../engine/catalogue/classes';
import { GraftError } from '../../../engine/errors';
import type { Command } from '../command';
import { classByName } from './class';

/**
 * The images behind a path the person typed: the file itself, or every catalogued
 * file under it when it names a folder. Paths are stored absolute, so a relative one
 * is resolved against the working directory; a symlinked spelling is tried too.
 */
function imagesAt(engine: Engine, typed: string): number[] {
  const abs = path.resolve(typed);
  const spellings = new Set([abs]);
  try {
    spellings.add(fs.realpathSync(abs));
  } catch {
    // Gone from disk: the catalogue may still know it (a missing file keeps its image and label).
  }
  const exact = engine.db.prepare(`SELECT image_id AS id FROM files WHERE path = ?`);
  // Everything under `dir/`: the half-open range [dir + sep, dir + (sep + 1)) in byte order.
  const under = engine.db.prepare(`SELECT image_id AS id FROM files WHERE path >= ? AND path < ?`);
  const after = String.fromCharCode(path.sep.charCodeAt(0) + 1);
  for (const p of spellings) {
    const file = exact.all(p) as { id: number }[];
    if (file.length) return file.map((r) => r.id);
    const base = p.endsWith(path.sep) ? p.slice(0, -1) : p;
    const inFolder = under.all(base + path.sep, base + after) as { id: number }[];
    if (inFolder.length) return inFolder.map((r) => r.id);
  }
  return [];
}

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

    const ids = new Set<number>();
    const unknown: string[] = [];
    for (const typed of ctx.positionals) {
      const found = imagesAt(engine, typed);
      if (!found.length) unknown.push(typed);
      found.forEach((id) => ids.add(id));
    }
    if (unknown.length) {
      const shown = unknown.slice(0, 3).join(', ') + (unknown.length > 3 ? ` and ${unknown.length - 3} more` : '');
      throw new GraftError('not_found', `Not in the project: ${shown}. Import ${unknown.length === 1 ? 'it' : 'them'} first ("graft import <folder>"); nothing was changed.`);
    }

    let classId: number | null = null;
    let createdClass = false;
    if (className !== undefined) {
      if (ctx.values.create && !findClassByName(engine.db, className)) {
        classId = (await call(engine, 'classes.create', { name: className })).id;
        createdClass = true;
      } else {
        try {
          classId = classByName(engine, className).id;
        } catch (err) {
          if (err instanceof GraftError && err.code === 'not_found') {
            throw new GraftError('not_found', `${err.message} Add it with "graft class add ${className}", or pass --create.`);
          }
          throw err;
        }
      }
    }
    const result = await call(engine, 'labels.set', { imageIds: [...ids], classId });
    const name = classId === null ? null : (findClassByName(engine.db, className as string)?.name ?? className ?? null);
    const images = `${ids.size} image${ids.size === 1 ? '' : 's'}`;
    const text = !result.changed
      ? `Nothing to change: ${ids.size === 1 ? 'it already has' : `all ${images} already have`} that label.`
      : name === null
        ? `Removed the label from ${result.changed} of ${images}.`
        : `Labelled ${result.changed} of ${images} as "${name}"${createdClass ? ' (new class)' : ''}.`;
    return { json: { class: name, images: ids.size, changed: result.changed, operationId: result.operationId, createdClass }, text };
  },
};
