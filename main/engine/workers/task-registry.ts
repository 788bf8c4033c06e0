/**
 * Which function runs each task, loaded on first use (only in worker threads). Adding a
 * task is one entry in task-types.ts and one here.
 */
import type { TaskContext, TaskInput, TaskName, TaskOutput } from './task-types';

type TaskFunction<K extends TaskName> = (input: TaskInput<K>, ctx: TaskContext<K>) => Promise<TaskOutput<K>> | TaskOutput<K>;

const loaders: { [K in TaskName]: () => TaskFunction<K> } = {
  'release-residents': () => (_input, ctx) => {
    for (const r of ctx.residents.values()) r.dispose();
    ctx.residents.clear();
    return null;
  },
  'prepare-fit': () => require('../training/fit-model').prepareFit,
  'fit-model': () => require('../training/fit-model').fitModel,
  'find-mistakes': () => require('../training/mistakes-analysis').analyseMistakes,
  'project-codes': () => require('../insights/projection').projectCodes,
  'predict-codes': () => require('../insights/predictions').predictCodes,
  'build-layers-export': () => require('../export/layers-model-task').buildLayersExportTask,
  'build-deployable-export': () => require('../export/deployable-task').buildDeployableTask,
  'compile-classifier': () => require('../training/resident-head').compileClassifierTask,
  'score-novelty': () => require('../training/resident-head').scoreNovelty,
  'run-deployable': () => require('../export/deployable-run').runDeployableTask,
  'load-head': () => require('../training/resident-head').loadHead,
  'score-head': () => require('../training/resident-head').scoreHead,
  'load-exported-model': () => require('../export/exported-model').loadExportedModelResident,
  'predict-exported': () => require('../export/exported-model').predictExported,
  'hash-file': () => require('../importer/prepare-file').hashFile,
  'thumbnail-file': () => require('../importer/prepare-file').thumbnailFile,
  'hash-and-thumbnail-file': () => require('../importer/prepare-file').hashAndThumbnailFile,
  'render-preview': () => require('../images/render-preview').renderPreviewTask,
};

const loaded = new Map<TaskName, TaskFunction<TaskName>>();

export function taskFunction<K extends TaskName>(name: K): TaskFunction<K> {
  let fn = loaded.get(name) as TaskFunction<K> | undefined;
  if (!fn) {
    const load = loaders[name] as (() => TaskFunction<K>) | undefined;
    if (!load) throw new Error(`Unknown worker task "${String(name)}"`);
    fn = load();
    loaded.set(name, fn as unknown as TaskFunction<TaskName>);
  }
  return fn;
}
