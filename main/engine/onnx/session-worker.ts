/**
 * A worker thread holding one ONNX Runtime session. onnxruntime-node's `run` computes on
 * the calling thread (1.31: the promise only defers the call with setImmediate; a batch of
 * 16 blocked the event loop for 370 ms here), so sessions live in workers and the main
 * thread only posts bytes and receives results. Started by `session-pool.ts` only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadOnnxRuntime } from './ort-loader';
import type { OutputTensor, SessionReply, SessionRequest, ValueInfo, WorkerInit } from './session-protocol';

/**
 * ONNX Runtime refuses tensors over a SharedArrayBuffer ("Invalid argument"): a shared feed
 * (inference/pixel-slabs.ts) is copied into this worker's own buffer, kept per input and
 * reused, so its pages fault once here rather than on the main thread for every batch.
 */
const scratch = new Map<string, Uint8Array>();

function ownMemory<T extends Uint8Array | Float32Array>(name: string, data: T): T {
  if (!(data.buffer instanceof SharedArrayBuffer)) return data;
  let buf = scratch.get(name);
  if (!buf || buf.byteLength < data.byteLength) scratch.set(name, (buf = new Uint8Array(data.byteLength)));
  buf.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const view = data instanceof Float32Array ? new Float32Array(buf.buffer, 0, data.length) : new Uint8Array(buf.buffer, 0, data.length);
  return view as T;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('session-worker must run as a worker thread');
  const init = workerData as WorkerInit;
  const loaded = loadOnnxRuntime();
  if (!loaded.ok) {
    port.postMessage({ type: 'error', code: 'no_runtime', message: loaded.reason } satisfies SessionReply);
    return;
  }
  const { ort } = loaded;
  let session: import('onnxruntime-node').InferenceSession;
  try {
    const options: import('onnxruntime-node').InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      intraOpNumThreads: init.settings.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: init.settings.graphOptimizationLevel,
      extra: { session: { intra_op: { allow_spinning: init.settings.spinning ? '1' : '0' } } },
    };
    const model = init.model;
    session =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, options)
        : // Bytes in a SharedArrayBuffer (refused as they are) are copied here, off the main thread.
          await ort.InferenceSession.create(model.buffer instanceof SharedArrayBuffer ? new Uint8Array(model) : model, options);
  } catch (err) {
    port.postMessage({ type: 'error', code: 'bad_model', message: `ONNX Runtime cannot load the compiled model: ${String((err as Error).message).split('\n')[0]}` } satisfies SessionReply);
    return;
  }
  const info = (names: readonly string[], meta: readonly unknown[]): ValueInfo[] =>
    names.map((name, i) => {
      const m = meta[i] as { type?: string; shape?: Array<number | string> };
      return { name, type: m?.type ?? 'unknown', shape: (m?.shape ?? []).map((d) => (typeof d === 'number' ? d : -1)) };
    });
  port.postMessage({ type: 'ready', inputs: info(session.inputNames, session.inputMetadata), outputs: info(session.outputNames, session.outputMetadata) } satisfies SessionReply);

  // One request at a time, in order. `run` defers its work to a later turn, so a second
  // request handled meanwhile would copy its shared feed into the same scratch buffer and
  // the first would compute on the second's pixels. ORT computes on this thread anyway:
  // taking requests in turn costs nothing.
  let turn: Promise<void> = Promise.resolve();
  const handle = async (msg: SessionRequest): Promise<void> => {
    if (msg.type === 'close') {
      await session.release();
      port.close();
      return;
    }
    try {
      const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
      for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = new ort.Tensor(t.type, ownMemory(name, t.data), t.dims);
      const results = await session.run(feeds);
      const outputs: Record<string, OutputTensor> = {};
      const transfer: ArrayBuffer[] = [];
      for (const [name, value] of Object.entries(results)) {
        // Own copies: ORT's output buffers are not ours to transfer.
        const data = new Float32Array(value.data as Float32Array);
        outputs[name] = { data, dims: [...value.dims] };
        transfer.push(data.buffer);
        value.dispose();
      }
      port.postMessage({ type: 'result', id: msg.id, outputs } satisfies SessionReply, transfer);
    } catch (err) {
      port.postMessage({ type: 'failed', id: msg.id, message: String((err as Error).message).split('\n')[0] } satisfies SessionReply);
    }
  };
  port.on('message', (msg: SessionRequest) => {
    turn = turn.then(() => handle(msg));
  });
}

void main();
