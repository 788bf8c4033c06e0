/**
 * A pool of extraction workers, each with its own TF.js backend and its own copy of the
 * backbone. With the wasm backend one worker per core runs that many inferences side by
 * side; with native TensorFlow (tfjs-node) one worker suffices, since TensorFlow already
 * spreads each op over every core (a second one measured no faster on 2 cores, for
 * 150-250 MB more). tfjs-node's addon loads in worker threads like any N-API module, and
 * a worker keeps its synchronous ops off the main thread's event loop.
 */
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { GraftError } from '../errors';
import type { WorkerReply, WorkerRequest } from './embed-protocol';
import type { TunedLayer } from './backbone';
import type { BackboneSpec } from './registry';
import { isNativeTensorFlowNotice, tensorflowWorker, type RuntimeName } from './runtime';
import { availableCores } from '../cores';

export interface PoolOptions {
  /** Worker threads; default one per core with wasm/cpu, one with native TensorFlow. */
  workers?: number;
  /** Use the folded/fused forward path (default true). */
  fast?: boolean;
  /** A fine-tuned run's changed layers, applied in each worker before compiling. */
  tunedLayers?: TunedLayer[];
}

interface Slot {
  worker: Worker;
  inFlight: number;
  numTensors: number;
}

export class EmbedPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, { resolve(v: Float32Array): void; reject(e: Error): void; slot: Slot }>();
  private nextId = 1;
  private closed = false;
  runtime: RuntimeName = 'wasm';
  dim = 0;
  fast = false;
  slowReason: string | null = null;

  private constructor(readonly spec: BackboneSpec) {}

  /** Starts the workers and waits until each has loaded and warmed up its backbone. */
  static async start(spec: BackboneSpec, weightsDir: string, options: PoolOptions = {}): Promise<EmbedPool> {
    const pool = new EmbedPool(spec);
    const cores = availableCores();
    // One first, to learn the runtime (which decides how many more are worth starting).
    await pool.spawn(spec, weightsDir, options.fast !== false, options.tunedLayers);
    const wanted = options.workers ?? (pool.runtime === 'tfjs-node' ? 1 : Math.max(1, Math.min(cores, 8)));
    try {
      await Promise.all(Array.from({ length: wanted - 1 }, () => pool.spawn(spec, weightsDir, options.fast !== false, options.tunedLayers)));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get workers(): number {
    return this.slots.length;
  }

  /** Live tensors in each worker after its last batch (for leak checks). */
  get numTensors(): number[] {
    return this.slots.map((s) => s.numTensors);
  }

  /** Total batches queued or running in the workers. */
  get inFlight(): number {
    return this.slots.reduce((a, s) => a + s.inFlight, 0);
  }

  /**
   * Embeds `n` images given as RGB bytes from `decodeForNetwork` (the buffer is
   * transferred to the worker: do not reuse it). Resolves to `n × dim` floats.
   */
  embed(pixels: Uint8Array, n: number): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new GraftError('cancelled', 'The extraction workers were stopped.'));
    if (!this.slots.length) return Promise.reject(new GraftError('internal', 'Every extraction worker stopped; run the extraction again.'));
    const slot = this.slots.reduce((best, s) => (s.inFlight < best.inFlight ? s : best));
    const id = this.nextId++;
    slot.inFlight++;
    return new Promise<Float32Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      // Shared slabs (inference/pixel-slabs.ts) are posted as they are; other buffers move.
      if (pixels.buffer instanceof SharedArrayBuffer) return slot.worker.postMessage({ type: 'embed', id, n, pixels } satisfies WorkerRequest);
      const own = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength ? pixels : pixels.slice();
      const msg: WorkerRequest = { type: 'embed', id, n, pixels: own };
      slot.worker.postMessage(msg, [own.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void s.worker.terminate().then(() => resolve()), 2000);
            s.worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            s.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
          }),
      ),
    );
    for (const [, p] of this.pending) p.reject(new GraftError('cancelled', 'The extraction workers were stopped.'));
    this.pending.clear();
  }

  private spawn(spec: BackboneSpec, weightsDir: string, fast: boolean, tunedLayers?: TunedLayer[]): Promise<void> {
    const worker = tensorflowWorker(path.join(__dirname, 'embed-worker.js'), { workerData: { spec, weightsDir, fast, tunedLayers } });
    const slot: Slot = { worker, inFlight: 0, numTensors: 0 };
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (msg: WorkerReply) => {
        if (isNativeTensorFlowNotice(msg)) return;
        if (msg.type === 'ready') {
          started = true;
          this.runtime = msg.runtime;
          this.dim = msg.dim;
          this.fast = msg.fast;
          this.slowReason = msg.slowReason;
          this.slots.push(slot);
          resolve();
        } else if (msg.type === 'error') {
          reject(new GraftError(msg.code as ConstructorParameters<typeof GraftError>[0], msg.message));
          void worker.terminate();
        } else {
          const p = this.pending.get(msg.id);
          if (!p) return;
          this.pending.delete(msg.id);
          p.slot.inFlight--;
          if (msg.type === 'result') {
            p.slot.numTensors = msg.numTensors;
            p.resolve(msg.codes);
          } else p.reject(new GraftError('internal', `Inference failed: ${msg.message}`));
        }
      });
      const fail = (err: Error) => {
        if (!started) reject(new GraftError('internal', `An extraction worker could not start: ${err.message}`));
        for (const [id, p] of this.pending) {
          if (p.slot !== slot) continue;
          this.pending.delete(id);
          p.reject(new GraftError('internal', `An extraction worker stopped: ${err.message}`));
        }
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (!this.closed && code !== 0) fail(new Error(`exit code ${code}`));
        else if (!started) reject(new GraftError('internal', 'An extraction worker exited before it was ready.'));
      });
    });
  }
}
