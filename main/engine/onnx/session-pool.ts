/**
 * ONNX Runtime sessions of one compiled model, each in its own worker thread
 * (`session-worker.ts`), fed batches by whichever has the fewest in flight. Inference
 * never runs on the caller's thread, so the event loop (UI, progress, cancel) keeps
 * moving while images are embedded.
 *
 * How many sessions, and how many threads each: see `defaultLayout`.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { GraftError } from '../errors';
import { loadOnnxRuntime } from './ort-loader';
import type { FeedTensor, OutputTensor, SessionReply, SessionRequest, SessionSettings, ValueInfo, WorkerInit } from './session-protocol';
import { availableCores } from '../cores';

export type { FeedTensor, OutputTensor, SessionSettings, ValueInfo };

export interface PoolLayout {
  /** Worker threads, one session each. */
  workers: number;
  settings: SessionSettings;
}

/**
 * One single-threaded session per core (at most 8), graph optimisation 'all', RGB bytes in.
 *
 * Measured on this project's 2-core machine, shared with other sessions (load average
 * 3.7–5.4 during the runs, so read the ratios more than the values): MobileNet v1 0.75,
 * batches of 16 flower photos, two batches in flight per session, median ms/image of five
 * interleaved rounds —
 *
 *   sessions × intra-op threads, input          224 px   320 px
 *   2 × 1, uint8 NHWC (range mapped in graph)    10.9     23.9   ← chosen
 *   2 × 1, float32 NHWC (caller maps range)      11.1     26.0
 *   2 × 1, float32 NCHW (caller transposes)      10.9     25.2
 *   1 × 2, uint8, threads sleep when idle        12.4     25.5
 *   1 × 2, uint8, threads spin (ORT's default)   15.1     28.8
 *   2 × 2, uint8, no spinning                      –      30.3
 *   2 × 1, uint8, optimisation 'extended'          –      38.8
 *
 * 'all' lets ORT convert convolution chains to its blocked NCHWc layout; 'extended' and
 * 'basic' measured 1.7× and 1.9× slower (one session, 224 px). Bytes in also cost the
 * main thread nothing (no float conversion) and move a quarter of the data between threads.
 * The same runs: TF.js wasm, one backend per worker (today's path), 36 and 72 ms/image.
 */
export function defaultLayout(cores = availableCores()): PoolLayout {
  return { workers: Math.max(1, Math.min(cores, 8)), settings: { intraOpThreads: 1, graphOptimizationLevel: 'all', spinning: false } };
}


interface Slot {
  worker: Worker;
  inFlight: number;
}

interface Pending {
  resolve(v: Record<string, OutputTensor>): void;
  reject(e: Error): void;
  slot: Slot;
}

export class OnnxSessionPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  inputs: ValueInfo[] = [];
  outputs: ValueInfo[] = [];

  private constructor(readonly layout: PoolLayout) {}

  /**
   * Starts the sessions and waits until each has loaded the model: its file, or its bytes
   * (pass them in a SharedArrayBuffer and no worker copies them). Rejects with
   * GraftError('no_runtime') when ONNX Runtime cannot load here, ('bad_model') when it
   * refuses the model.
   */
  static async start(model: Uint8Array | string, layout: Partial<PoolLayout> & { settings?: Partial<SessionSettings> } = {}): Promise<OnnxSessionPool> {
    const loaded = loadOnnxRuntime();
    if (!loaded.ok) throw new GraftError('no_runtime', `ONNX Runtime is not available: ${loaded.reason}. Graft runs the network on TF.js instead.`);
    const base = defaultLayout();
    const full: PoolLayout = { workers: layout.workers ?? base.workers, settings: { ...base.settings, ...layout.settings } };
    const pool = new OnnxSessionPool(full);
    try {
      await Promise.all(Array.from({ length: full.workers }, () => pool.spawn(model, full.settings)));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get workers(): number {
    return this.slots.length;
  }

  get inFlight(): number {
    return this.slots.reduce((a, s) => a + s.inFlight, 0);
  }

  /**
   * Runs the model on `feeds`. An ArrayBuffer-backed feed is transferred to the worker (do
   * not reuse it); a SharedArrayBuffer-backed one (inference/pixel-slabs.ts) is shared, and
   * free for reuse once the run settles.
   */
  run(feeds: Record<string, FeedTensor>): Promise<Record<string, OutputTensor>> {
    if (this.closed) return Promise.reject(new GraftError('cancelled', 'The inference sessions were stopped.'));
    if (!this.slots.length) return Promise.reject(new GraftError('internal', 'Every inference worker stopped; run it again.'));
    const slot = this.slots.reduce((best, s) => (s.inFlight < best.inFlight ? s : best));
    const id = this.nextId++;
    slot.inFlight++;
    const transfer: ArrayBuffer[] = [];
    const own: Record<string, FeedTensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      if (t.data.buffer instanceof SharedArrayBuffer) {
        own[name] = t;
        continue;
      }
      const whole = t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength;
      const data = whole ? t.data : t.data.slice();
      own[name] = { ...t, data };
      transfer.push(data.buffer as ArrayBuffer);
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ type: 'run', id, feeds: own } satisfies SessionRequest, transfer);
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
            s.worker.postMessage({ type: 'close' } satisfies SessionRequest);
          }),
      ),
    );
    for (const [, p] of this.pending) p.reject(new GraftError('cancelled', 'The inference sessions were stopped.'));
    this.pending.clear();
  }

  private spawn(model: Uint8Array | string, settings: SessionSettings): Promise<void> {
    const init: WorkerInit = { model, settings };
    const worker = new Worker(path.join(__dirname, 'session-worker.js'), { workerData: init });
    const slot: Slot = { worker, inFlight: 0 };
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (msg: SessionReply) => {
        if (msg.type === 'ready') {
          started = true;
          this.inputs = msg.inputs;
          this.outputs = msg.outputs;
          if (this.closed) void worker.terminate();
          else this.slots.push(slot);
          resolve();
        } else if (msg.type === 'error') {
          reject(new GraftError(msg.code, msg.message));
          void worker.terminate();
        } else {
          const p = this.pending.get(msg.id);
          if (!p) return;
          this.pending.delete(msg.id);
          p.slot.inFlight--;
          if (msg.type === 'result') p.resolve(msg.outputs);
          else p.reject(new GraftError('internal', `Inference failed: ${msg.message}`));
        }
      });
      const fail = (err: Error) => {
        if (!started) reject(new GraftError('internal', `An inference worker could not start: ${err.message}`));
        for (const [id, p] of this.pending) {
          if (p.slot !== slot) continue;
          this.pending.delete(id);
          p.reject(new GraftError('internal', `An inference worker stopped: ${err.message}`));
        }
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (!this.closed && code !== 0) fail(new Error(`exit code ${code}`));
        else if (!started) reject(new GraftError('internal', 'An inference worker exited before it was ready.'));
      });
    });
  }
}
