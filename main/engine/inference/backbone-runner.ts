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
  /** Images per `embed` call that this runtime computes fastest (see ONNX_BATCH). */
  readonly batchSize: number;
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

/**
 * ONNX Runtime computes small batches faster per image: a batch of 16 at 320 px holds tens
 * of megabytes of activations and spills out of the caches. One single-threaded session,
 * ms/image at batch 1 / 4 / 16 on this project's 2-core machine: MobileNet v2 0.35 at
 * 320 px 2.8 / 3.0 / 3.7, v1 0.75 at 320 px 8.5 / 8.6 / 9.7, at 224 px 4.2 / 4.3 / 4.7. The
 * default pair's codes for the flowers took 20-21 s in batches of 4 against 23-24 s in
 * batches of 16 (process CPU 39-42 s against 45-47). Batches of 4 keep the per-call costs
 * (a message, a transaction) small. TF.js keeps 16: its per-call overhead is larger.
 */
const ONNX_BATCH = 4;
const TFJS_BATCH = 16;

export async function startBackbone(spec: BackboneSpec, weightsDir: string, options: RunnerOptions = {}): Promise<BackboneRunner> {
  const choice = inferenceChoice();
  let note = choice.onnxReason;
  if (choice.onnx) {
    try {
      const onnx = await startOnnxBackbone(spec, weightsDir);
      return { spec, dim: onnx.dim, runtime: 'onnx', runtimeNote: null, workers: onnx.workers, batchSize: ONNX_BATCH, fast: true, numTensors: [], embed: onnx.embed, close: onnx.close };
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
    batchSize: TFJS_BATCH,
    fast: pool.fast,
    get numTensors() {
      return pool.numTensors;
    },
    embed: (pixels, n) => pool.embed(pixels, n),
    close: () => pool.close(),
  };
}
