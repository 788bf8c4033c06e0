import type { ClassInfo } from '../../../../shared/types';
import type { Command } from '../command';

/** A class as the CLI prints it: the API's ClassInfo plus its keyboard shortcut in the app. */
export interface ClassView extends ClassInfo {
  /** "1"…"9" for the first nine classes, else null. */
  key: string | null;
}

export function classView(c: ClassInfo): ClassView {
  return { ...c, key: c.position < 9 ? String(c.position + 1) : null };
}

/** One line per class, aligned, for people. */
export function classTable(classes: ClassView[]): string {
  if (!classes.length) return 'No classes yet. Add one with "graft class add NAME", or import a folder with one subfolder per class.';
  const width = Math.max(...classes.map((c) => c.name.length));
  return classes
    .map((c) => `${(c.key ?? ' ').padStart(2)}  ${c.name.padEnd(width)}  ${c.color}  ${String(c.count).padStart(6)} image${c.count === 1 ? '' : 's'}`)
    .join('\n');
}

export const classesCommand: Command = {
  name: 'classes',
  summary: 'List the classes with their image counts',
  usage: [
    'Usage: graft classes --project FILE [--json]',
    '',
    'Lists the classes in display order with colour, image count and the key that labels',
    'with them in the app. --json prints {"classes":[{"id","name","color","position","count","key"}],"unlabelled":N}.',
  ].join('\n'),
  async run(ctx) {
    const engine = ctx.engine({ mustExist: true });
    const classes = (await engine.call('classes.list', {})).map(classView);
    const { unlabelled } = await engine.call('project.status', {});
    return {
      json: { classes, unlabelled },
      text: `${classTable(classes)}\n${unlabelled} unlabelled image${unlabelled === 1 ? '' : 's'}`,
    };
  },
};
