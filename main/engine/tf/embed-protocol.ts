/** Messages between `embed-pool.ts` (main thread) and `embed-worker.ts`. */
import type { RuntimeName } from './runtime';

export type WorkerRequest =
  /** `pixels`: n images of inputSize² × 3 RGB bytes, preprocessed by `decodeForNetwork`. */
  | { type: 'embed'; id: number; n: number; pixels: Uint8Array }
  | { type: 'close' };

export type WorkerReply =
  | { type: 'ready'; runtime: RuntimeName; dim: number; fast: boolean; slowReason: string | null }
  | { type: 'error'; message: string; code: string }
  /** `numTensors` after the batch: constant across batches, or something leaks. */
  | { type: 'result'; id: number; codes: Float32Array; numTensors: number }
  | { type: 'failed'; id: number; message: string };
