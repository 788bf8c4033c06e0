/**
 * An extraction worker thread: its own TF.js runtime (one wasm backend per thread is how
 * Graft uses every core, since the threaded wasm build cannot start under Node), one
 * loaded backbone, and a loop that turns batches of preprocessed RGB bytes into codes.
 * Started and fed by `embed-pool.ts`; never imported by anything else.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadBackbone, type Backbone, type TunedLayer } from './backbone';
import { toNetworkRange } from './preprocess';
import type { BackboneSpec } from './registry';
import type { WorkerReply, WorkerRequest } from './embed-protocol';

interface InitData {
  spec: BackboneSpec;
  weightsDir: string;
  fast: boolean;
  tunedLayers?: TunedLayer[];
}

async function run(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('embed-worker must run as a worker thread');
  const init = workerData as InitData;
  let backbone: Backbone;
  try {
    backbone = await loadBackbone(init.spec, { weightsDir: init.weightsDir, fast: init.fast, tunedLayers: init.tunedLayers });
  } catch (err) {
    const e = err as Error & { code?: string };
    const reply: WorkerReply = { type: 'error', message: e.message, code: typeof e.code === 'string' ? e.code : 'internal' };
    port.postMessage(reply);
    return;
  }
  const { tf } = backbone;
  const size = backbone.inputSize;
  const per = size * size * 3;
  const ready: WorkerReply = { type: 'ready', runtime: backbone.runtime, dim: backbone.dim, fast: backbone.fast, slowReason: backbone.slowReason };
  port.postMessage(ready);

  port.on('message', async (msg: WorkerRequest) => {
    if (msg.type === 'close') {
      backbone.dispose();
      port.close();
      return;
    }
    try {
      const values = new Float32Array(msg.n * per);
      for (let i = 0; i < msg.n; i++) toNetworkRange(msg.pixels.subarray(i * per, (i + 1) * per), backbone.spec.inputRange, values, i * per);
      const out = tf.tidy(() => backbone.embed(tf.tensor4d(values, [msg.n, size, size, 3])));
      const data = (await out.data()) as Float32Array;
      out.dispose();
      const codes = new Float32Array(data); // own buffer, transferable
      const reply: WorkerReply = { type: 'result', id: msg.id, codes, numTensors: tf.memory().numTensors };
      port.postMessage(reply, [codes.buffer]);
    } catch (err) {
      const reply: WorkerReply = { type: 'failed', id: msg.id, message: (err as Error).message };
      port.postMessage(reply);
    }
  });
}

void run();
