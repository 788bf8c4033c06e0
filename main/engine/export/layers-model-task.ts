/**
 * Building the TF.js layers model of a run, in a worker thread (the folding and the weight
 * layout are TensorFlow work): the worker reads the run's stored model itself.
 */
import { withReadOnlyProject } from '../catalogue/open';
import { runWeights } from '../catalogue/runs';
import { decodeModel } from '../model/stored-model';
import { getBackbone } from '../tf/registry';
import { getTf } from '../tf/runtime';
import type { TaskInput, TaskOutput } from '../workers/task-types';
import { buildLayersModelExport } from './layers-model-export';

export async function buildLayersExportTask(input: TaskInput<'build-layers-export'>): Promise<TaskOutput<'build-layers-export'>> {
  const stored = withReadOnlyProject(input.projectPath, (db) => decodeModel(runWeights(db, input.runId)));
  const { tf } = await getTf();
  return buildLayersModelExport(
    tf,
    stored,
    input.backbones.map((b) => ({ spec: getBackbone(b.id), dir: b.dir })),
  );
}
