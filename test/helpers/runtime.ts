/**
 * Which TF.js runtime a test run is on. `node test/run.js --runtime tfjs-node runtime` runs
 * the runtime-dependent tests with GRAFT_RUNTIME forced; each of those files asserts here
 * that it really runs on that runtime, so a second run can never quietly repeat the first.
 */
import assert from 'node:assert/strict';
import { loadOnnxRuntime } from '../../main/engine/onnx/ort-loader';
import { getTf, runtimeChoice, type RuntimeName } from '../../main/engine/tf/runtime';

/** What `tf.getBackend()` says for each runtime. */
export const BACKEND_OF: Record<RuntimeName, string> = { 'tfjs-node': 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

/** The TF.js runtime GRAFT_RUNTIME forces, or null (unset, or onnx: TF.js keeps its usual order). */
export function forcedRuntime(): RuntimeName | null {
  const choice = runtimeChoice();
  return choice === 'onnx' ? null : choice;
}

/** Asserts that this process runs on the forced runtime, or on a fast one when none is forced. */
export async function assertTestRuntime(): Promise<void> {
  const { tf, runtime } = await getTf();
  const forced = forcedRuntime();
  if (forced) {
    assert.equal(runtime, forced, `GRAFT_RUNTIME=${forced}, but the runtime is ${runtime}`);
    assert.equal(tf.getBackend(), BACKEND_OF[forced], `GRAFT_RUNTIME=${forced}, but TF.js runs on "${tf.getBackend()}"`);
  } else {
    assert.ok(runtime === 'tfjs-node' || runtime === 'wasm', `runtime ${runtime}: never the plain-JS cpu backend unless asked for`);
  }
}

/**
 * Asserts that the inference runtime some Graft code reported (e.g. `graft codes --json`)
 * fits the run: the forced TF.js one, else ONNX Runtime where it loads.
 */
export function assertReportedRuntime(reported: unknown): void {
  const forced = forcedRuntime();
  if (forced) assert.equal(reported, forced, `GRAFT_RUNTIME=${forced}, but Graft reported ${String(reported)}`);
  else if (loadOnnxRuntime().ok) assert.equal(reported, 'onnx', 'ONNX Runtime loads here, so it runs the networks');
  else assert.ok(reported === 'wasm' || reported === 'tfjs-node', `runtime ${String(reported)}`);
}

/**
 * The lines of a `graft` run's stderr that Graft wrote. libtensorflow 2.21 (tfjs-node staged
 * from the tensorflow-cpu wheel) prints an absl preamble and a oneDNN notice from a static
 * initializer, before TF_CPP_MIN_LOG_LEVEL can apply; only TF_ENABLE_ONEDNN_OPTS=0 stops
 * them, and that halves native TensorFlow's speed (20.7 against 10.6 images/s measured), so
 * tests that count Graft's own lines leave those two out.
 */
export function graftStderrLines(stderr: string): string[] {
  return stderr
    .trim()
    .split('\n')
    .filter((l) => !/^WARNING: All log messages before absl::InitializeLog\(\)/.test(l) && !/^I\d{4} [\d:.]+\s+\d+ port\.cc:\d+\] oneDNN custom operations are on/.test(l));
}
