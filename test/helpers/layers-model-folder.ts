/** Model folders made by tests from TF.js layers models, as a person would hand Graft one. */
import fs from 'node:fs';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../main/engine/tf/runtime';

/** Saves a TF.js layers model as a model folder (model.json + one weight file). */
export async function saveModel(tf: Tf, model: tfjs.LayersModel, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData as ArrayBuffer;
      fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(data));
      const json = { format: 'layers-model', modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] };
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/**
 * A small network with a layer kind neither the ONNX nor the TensorFlow Lite compiler
 * takes: a LeakyReLU named odd_activation, between a convolution and average pooling.
 */
export async function saveLeakyNetwork(tf: Tf, dir: string, size: number): Promise<void> {
  const l = tf.layers;
  const input = tf.input({ shape: [size, size, 3] });
  let x = l.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tfjs.SymbolicTensor;
  x = l.leakyReLU({ alpha: 0.1, name: 'odd_activation' }).apply(x) as tfjs.SymbolicTensor;
  x = l.globalAveragePooling2d({}).apply(x) as tfjs.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x });
  await saveModel(tf, model, dir);
  model.dispose();
}
