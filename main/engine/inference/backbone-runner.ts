/**
 * A frozen network ready to turn RGB images into codes, on whichever runtime
 * inference-runtime.ts chooses: its ONNX compilation in ONNX Runtime sessions, or its TF.js
 * model in extraction workers (EmbedPool). Both run off the main thread and take the same
 * input: `decodeForNetwork`'s RGB bytes, `n × size² × 3`.
 */
import type { InferenceRuntimeName } from '../../../shared/api/codes';
import { GraftError } from '../errors';
import { startOnnxBackbone } from '../onnx/onnx-backbone';
import { EmbedPool } from '../tf/embed-pool';
import type { BackboneSpec } from '../tf/registry';
import { inferenceChoice } from './inference-runtime';

export interface BackboneRunner {
  readonly spec: BackboneSpec;
  readonly dim: number;
  readonly runtime: InferenceRuntimeName;
  /** Why it is not on ONNX Runtime, when it is not. */
  readonly runtimeNote: string | null;
  readonly workers: number;
  /** The batch-norm-folded path (always, on ONNX Runtime). */
  readonly fast: boolean;
  /** Live TF.js tensors per worker after its last batch (empty on ONNX Runtime: it holds none). */
  readonly numTensors: number[];
  /**
   * `n` images of RGB bytes → `n × dim` codes. The buffer is transferred to a worker (do not
   * reuse it), or shared when it is a slab (pixel-slabs.ts): reusable once this settles.
   */
  embed(pixels: Uint8Array, n: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface RunnerOptions {
  /** TF.js extraction workers (default: one per core on wasm, one on tfjs-node). */
  workers?: number;
  /** TF.js: the folded/fused forward path (default true). */
  fast?: boolean;
}

export async function startBackbone(spec: BackboneSpec, weightsDir: string, options: RunnerOptions = {}): Promise<BackboneRunner> {
  const choice = inferenceChoice();
  let note = choice.onnxReason;
  if (choice.onnx) {
    try {
      const onnx = await startOnnxBackbone(spec, weightsDir);
      return { spec, dim: onnx.dim, runtime: 'onnx', runtimeNote: null, workers: onnx.workers, fast: true, numTensors: [], embed: onnx.embed, close: onnx.close };
    } catch (err) {
      // A network the compiler cannot express stays on TF.js, and the summary says why.
      if (!(err instanceof GraftError && err.code === 'bad_model')) throw err;
      note = err.message;
    }
  }
  const pool = await EmbedPool.start(spec, weightsDir, { workers: options.workers, fast: options.fast });
  return {
    spec,
    get dim() {
      return pool.dim;
    },
    runtime: pool.runtime,
    runtimeNote: note,
    workers: pool.workers,
    fast: pool.fast,
    get numTensors() {
      return pool.numTensors;
    },
    embed: (pixels, n) => pool.embed(pixels, n),
    close: () => pool.close(),
  };
}
