/**
 * A layers model rebuilt to take another square image size. Convolutional networks that
 * pool their features work at any size, but a TF.js layers model fixes its input shape in
 * its topology; the copy differs only there and shares nothing with the original.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from './runtime';

interface TopologyJson {
  config: { layers: Array<{ class_name: string; config: { batch_input_shape?: Array<number | null> } }> };
}

/** `model` itself when it already takes `size`×`size` images; otherwise a copy that does (the original is disposed). */
export async function atInputSize(tf: Tf, model: tfjs.LayersModel, size: number): Promise<tfjs.LayersModel> {
  const shape = model.inputs[0].shape;
  if (shape[1] === size && shape[2] === size) return model;
  const json = model.toJSON(null, false) as unknown as TopologyJson;
  for (const layer of json.config.layers) {
    if (layer.class_name === 'InputLayer') layer.config.batch_input_shape = [null, size, size, shape[3] ?? 3];
  }
  const copy = await tf.models.modelFromJSON({ modelTopology: json as unknown as tfjs.io.ModelArtifacts['modelTopology'] } as tfjs.io.ModelJSON);
  const weights = model.getWeights();
  copy.setWeights(weights);
  model.dispose();
  return copy;
}
