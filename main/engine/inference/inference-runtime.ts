/**
 * Which runtime runs the frozen networks (codes, prediction): ONNX Runtime when it loads
 * (the fastest on the CPU: the backbones compiled to ONNX by main/engine/onnx), else TF.js
 * in its own order (tfjs-node, then wasm; tf/runtime.ts). Training and fine-tuning always
 * run on TF.js.
 *
 * GRAFT_RUNTIME=onnx forces ONNX Runtime for inference and fails clearly where it cannot
 * load; GRAFT_RUNTIME=tfjs-node|wasm|cpu forces that TF.js runtime for inference and training.
 */
import type { InferenceRuntimeName, RuntimeStatus } from '../../../shared/api/codes';
import { GraftError } from '../errors';
import { loadOnnxRuntime, type OrtLoad } from '../onnx/ort-loader';
import { getTf, runtimeChoice, type TfRuntime } from '../tf/runtime';

export type { InferenceRuntimeName };

export interface InferenceChoice {
  /** ONNX Runtime runs the networks (backbones it cannot compile still run on TF.js). */
  onnx: boolean;
  /** Why ONNX Runtime is not used, when it is not. */
  onnxReason: string | null;
}

/** The choice for this process: throws GraftError('no_runtime') for a forced runtime that cannot load. */
export function inferenceChoice(load: () => OrtLoad = loadOnnxRuntime): InferenceChoice {
  const choice = runtimeChoice();
  if (choice && choice !== 'onnx') return { onnx: false, onnxReason: `GRAFT_RUNTIME=${choice} chooses ${choice}, not onnx` };
  const ort = load();
  if (ort.ok) return { onnx: true, onnxReason: null };
  if (choice === 'onnx') {
    throw new GraftError('no_runtime', `GRAFT_RUNTIME=onnx, but ONNX Runtime does not load here: ${ort.reason}. Reinstall Graft (npm ci), or unset GRAFT_RUNTIME to use TF.js.`);
  }
  return { onnx: false, onnxReason: ort.reason };
}

/**
 * What `graft doctor` says about inference: the runtime that runs the networks and why each
 * other one does not. Never throws.
 */
export async function inferenceReport(): Promise<{ runtime: InferenceRuntimeName | null; runtimes: RuntimeStatus[]; onnxVersion: string | null; error: string | null }> {
  const ort = loadOnnxRuntime();
  const onnxVersion = ort.ok ? ort.version : null;
  let choice: InferenceChoice;
  try {
    choice = inferenceChoice();
  } catch (err) {
    return { runtime: null, runtimes: [{ name: 'onnx', used: false, reason: (err as Error).message }], onnxVersion, error: (err as Error).message };
  }
  let tf: TfRuntime | null = null;
  let tfError: string | null = null;
  try {
    tf = await getTf();
  } catch (err) {
    tfError = (err as Error).message;
  }
  const runtime: InferenceRuntimeName | null = choice.onnx ? 'onnx' : (tf?.runtime ?? null);
  const tfjs: RuntimeStatus[] = (['tfjs-node', 'wasm', 'cpu'] as const).map((name) => ({
    name,
    used: runtime === name,
    reason: runtime === name ? null : choice.onnx ? 'ONNX Runtime runs the networks' : (tf?.notUsed[name] ?? tfError ?? 'not tried'),
  }));
  return {
    runtime,
    runtimes: [{ name: 'onnx', used: choice.onnx, reason: choice.onnxReason }, ...tfjs],
    onnxVersion,
    error: runtime ? null : tfError,
  };
}
