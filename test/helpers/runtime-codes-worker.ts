/**
 * A worker thread that computes codes on one TF.js runtime, for tests that compare two
 * runtimes: one thread holds one TF.js engine, so each runtime gets a thread of its own.
 * The runtime is forced through the worker's own environment (GRAFT_RUNTIME), exactly
 * as a user forces it; codes go through `loadBackbone` + `embedImages`, the path the
 * extraction workers and prediction use (fast, folded path included).
 */
import { parentPort, workerData } from 'node:worker_threads';
import path from 'node:path';
import { loadBackbone } from '../../main/engine/tf/backbone';
import { getTf, isNativeTensorFlowNotice, tensorflowWorker, type RuntimeName } from '../../main/engine/tf/runtime';

export interface RuntimeCodes {
  runtime: RuntimeName;
  /** What TF.js itself says (`tf.getBackend()`). */
  backend: string;
  /** Per backbone: one code per image, in order. */
  codes: Record<string, Float32Array[]>;
  /** Live tensors before and after all the backbones ran (equal unless something leaks). */
  tensors: { before: number; after: number };
}

interface Job {
  backbones: string[];
  images: string[];
  modelsDir: string;
}

/** Runs the job in a worker thread with GRAFT_RUNTIME=runtime; rejects with the worker's error. */
export function codesOnRuntime(runtime: RuntimeName, job: Job): Promise<RuntimeCodes> {
  return new Promise((resolve, reject) => {
    const worker = tensorflowWorker(path.join(__dirname, 'runtime-codes-worker.js'), {
      workerData: job,
      env: { ...process.env, GRAFT_RUNTIME: runtime },
    });
    worker.on('message', (msg: { ok: true; value: RuntimeCodes } | { ok: false; error: string }) => {
      // The worker's notice that it started native TensorFlow (tensorflowWorker pins it).
      if (isNativeTensorFlowNotice(msg)) return;
      if (msg.ok) resolve(msg.value);
      else reject(new Error(msg.error));
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the ${runtime} worker exited (code ${code}) without an answer`)));
  });
}

async function work(job: Job): Promise<RuntimeCodes> {
  const { tf, runtime } = await getTf();
  const before = tf.memory().numTensors;
  const codes: Record<string, Float32Array[]> = {};
  for (const id of job.backbones) {
    const bb = await loadBackbone(id, { modelsDir: job.modelsDir });
    try {
      codes[id] = await bb.embedImages(job.images);
    } finally {
      bb.dispose();
    }
  }
  return { runtime, backend: tf.getBackend(), codes, tensors: { before, after: tf.memory().numTensors } };
}

if (parentPort && workerData) {
  const port = parentPort;
  work(workerData as Job).then(
    (value) => port.postMessage({ ok: true, value }),
    (err: Error) => port.postMessage({ ok: false, error: err.message }),
  );
}
