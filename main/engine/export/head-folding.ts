/**
 * Turns a stored head into plain dense layers an exported model can carry: the
 * input standardisation ((x − mean) / std) is folded into the first layer's kernel
 * and bias, so the export needs no custom normalisation layer that other tools
 * would not know.
 *
 *   (x − μ)/σ · W + b  =  x · (W / σ)  +  (b − (μ/σ) · W)
 */
import type { DenseParams, HeadParams } from '../model/head';

export interface PlainDense {
  inDim: number;
  outDim: number;
  /** Row-major inDim × outDim. */
  kernel: Float32Array;
  bias: Float32Array;
  activation: DenseParams['activation'];
}

/** Each member's layers with the standardisation folded into its first layer. */
export function foldStandardisation(head: HeadParams): PlainDense[][] {
  return head.members.map((member) =>
    member.layers.map((layer, n) => {
      if (n > 0) return { ...layer };
      const { inDim, outDim } = layer;
      const kernel = new Float32Array(inDim * outDim);
      // Accumulate the bias shift in double precision: it sums inDim products.
      const shift = new Float64Array(outDim);
      for (let i = 0; i < inDim; i++) {
        const s = head.std[i];
        const m = head.mean[i] / s;
        for (let o = 0; o < outDim; o++) {
          const w = layer.kernel[i * outDim + o];
          kernel[i * outDim + o] = w / s;
          shift[o] += m * w;
        }
      }
      const bias = new Float32Array(outDim);
      for (let o = 0; o < outDim; o++) bias[o] = layer.bias[o] - shift[o];
      return { inDim, outDim, kernel, bias, activation: layer.activation };
    }),
  );
}
