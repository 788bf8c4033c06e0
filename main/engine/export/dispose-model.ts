import type * as tfjs from '@tensorflow/tfjs';

/**
 * Frees every weight of a layers model. `LayersModel.dispose()` alone is not enough
 * for our models: TF.js counts one reference per call of a layer, so a layer applied
 * twice (the mirrored view shares the backbone and head) keeps its weights after
 * one dispose. Here each weight variable is released directly as well.
 */
export function disposeLayersModel(model: tfjs.LayersModel): void {
  let weights: tfjs.LayerVariable[] = [];
  try {
    weights = model.weights;
  } catch {
    /* already disposed */
  }
  try {
    model.dispose();
  } catch {
    /* already disposed */
  }
  for (const w of weights) {
    try {
      if (!(w as unknown as { isDisposed: boolean }).isDisposed) w.dispose();
    } catch {
      /* released through a shared layer */
    }
  }
}
