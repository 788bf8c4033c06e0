import type { MethodName } from '../../shared/api';

/**
 * What each call does to the open project. A project Graft may not write (a read-only
 * file or folder) still answers the calls that only read it, and refuses the ones that
 * would change it before they start, with the reason. Every method must be placed here:
 * the type makes a new one a compile error until it is.
 */
export const PROJECT_ACCESS: Record<MethodName, 'reads' | 'changes' | 'none'> = {
  'project.status': 'reads',
  'import.check': 'none',
  'import.start': 'changes',
  'images.count': 'reads',
  'images.list': 'reads',
  'images.ids': 'reads',
  'images.get': 'reads',
  'images.resolve': 'reads',
  'classes.list': 'reads',
  'classes.create': 'changes',
  'classes.rename': 'changes',
  'classes.recolor': 'changes',
  'classes.reorder': 'changes',
  'classes.merge': 'changes',
  'classes.delete': 'changes',
  'labels.set': 'changes',
  'labels.undo': 'changes',
  'labels.redo': 'changes',
  'jobs.list': 'none',
  'jobs.cancel': 'none',
  'runtime.info': 'none',
  'backbones.list': 'none',
  'backbones.inspect': 'none',
  'backbones.add': 'none',
  'backbones.remove': 'none',
  'codes.start': 'changes',
  'codes.status': 'reads',
  'codes.clear': 'changes',
  'train.start': 'changes',
  'runs.list': 'reads',
  'runs.get': 'reads',
  'runs.delete': 'changes',
  'runs.setCurrent': 'changes',
  'mistakes.start': 'reads',
  'predict.start': 'reads',
  'predict.image': 'reads',
  'export.start': 'reads',
  'insights.predictions': 'reads',
  'insights.lists': 'reads',
  'insights.projection': 'reads',
  'insights.labels': 'reads',
  'insights.prelabel': 'changes',
};
