import type { CatalogueArea } from '../../../shared/events';
import {
  createClass,
  deleteClass,
  listClasses,
  mergeClasses,
  recolorClass,
  renameClass,
  reorderClasses,
} from '../catalogue/classes';
import { redo, setLabels, undo } from '../catalogue/labels';
import type { Engine } from '../engine';
import type { HandlerMap } from '../dispatch';

type LabelMethod =
  | 'classes.list'
  | 'classes.create'
  | 'classes.rename'
  | 'classes.recolor'
  | 'classes.reorder'
  | 'classes.merge'
  | 'classes.delete'
  | 'labels.set'
  | 'labels.undo'
  | 'labels.redo';

/** Areas a change of labels touches: class counts, the images' labels, and the filtered image lists. */
const LABEL_AREAS: CatalogueArea[] = ['classes', 'labels', 'images'];

/** Runs a change and tells every view to re-query what it shows. */
function changing<T>(engine: Engine, areas: CatalogueArea[], change: () => T): T {
  const result = change();
  engine.emit('catalogue.changed', { areas });
  return result;
}

/** classes.*, labels.*: thin wrappers over the catalogue, which holds the rules and the undo log. */
export const labelHandlers: Pick<HandlerMap<LabelMethod>, LabelMethod> = {
  'classes.list': (engine) => listClasses(engine.db),
  'classes.create': (engine, p) => changing(engine, ['classes'], () => createClass(engine.db, p.name, p.color)),
  'classes.rename': (engine, p) => changing(engine, ['classes'], () => renameClass(engine.db, p.id, p.name)),
  'classes.recolor': (engine, p) => changing(engine, ['classes'], () => recolorClass(engine.db, p.id, p.color)),
  'classes.reorder': (engine, p) => changing(engine, ['classes'], () => reorderClasses(engine.db, p.ids)),
  'classes.merge': (engine, p) => changing(engine, LABEL_AREAS, () => mergeClasses(engine.db, p.from, p.into)),
  'classes.delete': (engine, p) => changing(engine, LABEL_AREAS, () => deleteClass(engine.db, p.id)),
  'labels.set': (engine, p) => {
    const result = setLabels(engine.db, p.imageIds, p.classId);
    if (result.changed) engine.emit('catalogue.changed', { areas: LABEL_AREAS });
    return result;
  },
  'labels.undo': (engine) => changing(engine, LABEL_AREAS, () => undo(engine.db)),
  'labels.redo': (engine) => changing(engine, LABEL_AREAS, () => redo(engine.db)),
};
