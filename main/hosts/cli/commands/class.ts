import type { ClassInfo } from '../../../../shared/types';
import type { GraftEngine } from '../../../engine';
import { GraftError } from '../../../engine';
import type { Command } from '../command';
import { classTable, classView } from './classes';

const USAGE = [
  'Usage: graft class <action> … --project FILE [--json]',
  '',
  '  add NAME [--color #rrggbb]   create a class (colour picked from the palette if omitted)',
  '  rename OLD NEW               rename a class (its images keep it)',
  '  merge FROM INTO              move every image of FROM into INTO, then remove FROM',
  '  delete NAME                  remove a class; its images become unlabelled',
  '  color NAME #rrggbb           change a class\'s colour',
  '  move NAME POSITION           put a class at POSITION (1 = first) in the list',
  '',
  'Class names are matched ignoring case. Every action can be undone with "graft undo".',
].join('\n');

/** The live class called `name` (ignoring case, as the catalogue does: ASCII letters only), or null. */
export async function findClass(engine: GraftEngine, name: string): Promise<ClassInfo | null> {
  const fold = (s: string) => s.trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
  return (await engine.call('classes.list', {})).find((c) => fold(c.name) === fold(name)) ?? null;
}

/** The live class called `name` (ignoring case), or an error that lists the ones there are. */
export async function classByName(engine: GraftEngine, name: string): Promise<ClassInfo> {
  const found = await findClass(engine, name);
  if (found) return found;
  const names = (await engine.call('classes.list', {})).map((c) => c.name);
  const known = names.length ? ` The classes are: ${names.join(', ')}.` : ' The project has no classes yet.';
  throw new GraftError('not_found', `There is no class named "${name}".${known}`);
}

/** A colour as typed (#RRGGBB, any case): checked here so a typo gets a plain message, not the contract's pattern. */
function colour(color: string): string {
  if (!/^#[0-9a-fA-F]{6}$/.test(color)) {
    throw new GraftError('invalid_params', `"${color}" is not a colour: write it as #rrggbb, e.g. #e6194b.`);
  }
  return color.toLowerCase();
}

function expect(args: string[], count: number, shape: string): void {
  if (args.length !== count) throw new GraftError('invalid_params', `Usage: graft class ${shape}`);
}

export const classCommand: Command = {
  name: 'class',
  summary: 'Add, rename, merge, delete, recolour or move a class',
  usage: USAGE,
  options: { color: { type: 'string' } },
  async run(ctx) {
    const [action, ...args] = ctx.positionals;
    if (!action) throw new GraftError('invalid_params', 'Say what to do: graft class add|rename|merge|delete|color|move … (see "graft class --help").');
    const engine = ctx.engine({ mustExist: true });
    switch (action) {
      case 'add': {
        expect(args, 1, 'add NAME [--color #rrggbb]');
        // Checked here too so that a bad colour gets the catalogue's plain message, not the contract's pattern.
        const color = ctx.values.color === undefined ? undefined : colour(String(ctx.values.color));
        const created = classView(await engine.call('classes.create', { name: args[0], ...(color ? { color } : {}) }));
        return { json: { action, class: created }, text: `Added class "${created.name}" (${created.color}${created.key ? `, key ${created.key}` : ''}).` };
      }
      case 'rename': {
        expect(args, 2, 'rename OLD NEW');
        const cls = await classByName(engine, args[0]);
        const renamed = classView(await engine.call('classes.rename', { id: cls.id, name: args[1] }));
        return { json: { action, from: cls.name, class: renamed }, text: `Renamed "${cls.name}" to "${renamed.name}".` };
      }
      case 'merge': {
        expect(args, 2, 'merge FROM INTO');
        const from = await classByName(engine, args[0]);
        const into = await classByName(engine, args[1]);
        const result = await engine.call('classes.merge', { from: from.id, into: into.id });
        const merged = classView((await engine.call('classes.list', {})).find((c) => c.id === into.id) as ClassInfo);
        return {
          json: { action, from: from.name, class: merged, changed: result.changed, operationId: result.operationId },
          text: `Merged "${from.name}" into "${merged.name}": ${result.changed} image${result.changed === 1 ? '' : 's'} moved; "${merged.name}" now has ${merged.count}.`,
        };
      }
      case 'delete': {
        expect(args, 1, 'delete NAME');
        const cls = await classByName(engine, args[0]);
        const result = await engine.call('classes.delete', { id: cls.id });
        const { unlabelled } = await engine.call('project.status', {});
        return {
          json: { action, deleted: cls.name, changed: result.changed, operationId: result.operationId, unlabelled },
          text: `Deleted "${cls.name}"; ${result.changed} image${result.changed === 1 ? ' is' : 's are'} now unlabelled. "graft undo" brings it back.`,
        };
      }
      case 'color':
      case 'colour': {
        expect(args, 2, 'color NAME #rrggbb');
        const cls = await classByName(engine, args[0]);
        const recolored = classView(await engine.call('classes.recolor', { id: cls.id, color: colour(args[1]) }));
        return { json: { action: 'color', class: recolored }, text: `"${recolored.name}" is now ${recolored.color}.` };
      }
      case 'move': {
        expect(args, 2, 'move NAME POSITION');
        const cls = await classByName(engine, args[0]);
        const position = Number(args[1]);
        const order = (await engine.call('classes.list', {})).map((c) => c.id).filter((id) => id !== cls.id);
        if (!Number.isInteger(position) || position < 1 || position > order.length + 1) {
          throw new GraftError('invalid_params', `POSITION must be a whole number from 1 to ${order.length + 1}.`);
        }
        order.splice(position - 1, 0, cls.id);
        const classes = (await engine.call('classes.reorder', { ids: order })).map(classView);
        const moved = classes.find((c) => c.id === cls.id) as ClassInfo;
        return { json: { action, class: classView(moved), classes }, text: classTable(classes) };
      }
      default:
        throw new GraftError('invalid_params', `Unknown action "${action}": use add, rename, merge, delete, color or move.`);
    }
  },
};
