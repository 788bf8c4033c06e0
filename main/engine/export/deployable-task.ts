/**
 * Compiling a run's whole classifier for ONNX or TensorFlow Lite, in a worker thread (the
 * backbone is read, batch norm folded and every weight laid out there): the worker reads
 * the run's stored model itself and hands back the file's bytes, or the reason the model
 * cannot be expressed in that format.
 */
import { withReadOnlyProject } from '../catalogue/open';
import { runWeights } from '../catalogue/runs';
import { GraftError } from '../errors';
import { decodeModel } from '../model/stored-model';
import { UnsupportedModelError } from '../netgraph/ir';
import { classifierGraphOf } from '../onnx/classifier-model';
import { writeOnnx } from '../onnx/onnx-writer';
import { classifierMetadata, packAssociatedFiles, TFLITE_METADATA_NAME } from '../tflite/tflite-metadata';
import { writeTflite } from '../tflite/tflite-writer';
import { appVersion } from './app-version';
import type { TaskInput, TaskOutput } from '../workers/task-types';
import { deployableGraph } from './deployable-graph';

export async function buildDeployableTask(input: TaskInput<'build-deployable-export'>): Promise<TaskOutput<'build-deployable-export'>> {
  const stored = withReadOnlyProject(input.projectPath, (db) => decodeModel(runWeights(db, input.runId)));
  const name = input.format === 'onnx' ? 'ONNX' : 'TensorFlow Lite';
  let graph;
  try {
    graph = deployableGraph((await classifierGraphOf(stored, { modelsDir: input.modelsDir, inputType: 'float32', format: name })).graph);
  } catch (err) {
    if (err instanceof GraftError && err.code === 'bad_model') return { refused: err.message };
    throw err;
  }
  const description = `A Graft image classifier: ${stored.classes.length} classes, backbones ${stored.backbones.map((b) => b.id).join(' + ')}, views ${stored.views.join(' + ')}`;
  try {
    if (input.format === 'onnx') {
      return {
        bytes: writeOnnx(graph, {
          docString: description,
          metadata: { 'graft.classes': JSON.stringify(stored.classes), 'graft.backbones': JSON.stringify(stored.backbones), 'graft.views': JSON.stringify(stored.views), 'graft.input': 'NHWC float32 RGB 0..255' },
          graphName: 'graft_classifier',
        }),
      };
    }
    const labels = new TextEncoder().encode(stored.classes.join('\n') + '\n');
    const inputs = graph.inputs.map((i) => ({ name: i.name, size: i.shape[1] }));
    const metadata = classifierMetadata({ name: 'Graft image classifier', description, version: `run ${input.runId}`, author: `Graft ${appVersion()}`, inputs, labelsFile: 'labels.txt' });
    const model = writeTflite(graph, { weights: input.weights, description, metadata: { [TFLITE_METADATA_NAME]: metadata } });
    return { bytes: packAssociatedFiles(model, [{ name: 'labels.txt', bytes: labels }]) };
  } catch (err) {
    if (err instanceof UnsupportedModelError) return { refused: `The model cannot be written as ${name}: ${err.message}.` };
    throw err;
  }
}
