/** Messages between `session-pool.ts` (main thread) and `session-worker.ts`. */

export interface SessionSettings {
  /** ONNX Runtime's intra-op threads for this session (1 = run on the worker's own thread). */
  intraOpThreads: number;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  /** Whether idle intra-op threads spin (ORT's default) rather than sleep. */
  spinning: boolean;
}

export interface WorkerInit {
  /** The model file's path, or its bytes (shared when in a SharedArrayBuffer). */
  model: Uint8Array | string;
  settings: SessionSettings;
}

export interface FeedTensor {
  type: 'uint8' | 'float32';
  data: Uint8Array | Float32Array;
  dims: number[];
}

export interface OutputTensor {
  data: Float32Array;
  dims: number[];
}

export interface ValueInfo {
  name: string;
  type: string;
  /** -1 for a free dimension. */
  shape: number[];
}

export type SessionRequest = { type: 'run'; id: number; feeds: Record<string, FeedTensor> } | { type: 'close' };

export type SessionReply =
  | { type: 'ready'; inputs: ValueInfo[]; outputs: ValueInfo[] }
  | { type: 'error'; message: string; code: 'no_runtime' | 'bad_model' }
  | { type: 'result'; id: number; outputs: Record<string, OutputTensor> }
  | { type: 'failed'; id: number; message: string };
