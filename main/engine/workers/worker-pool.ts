/**
 * The engine's worker threads, where the arithmetic happens: head training and scoring,
 * the likely-mistakes analysis, the map's projection, fine-tuning, building exports,
 * decoding images. The main thread (in Electron, the one that also runs every window)
 * only dispatches, stores and reports, so a long computation never freezes the app.
 *
 * A task is a named function in the worker (task-registry.ts) with typed input, output,
 * progress and events (task-types.ts). Tasks queue when every worker is busy. Cancelling
 * raises a shared flag the task reads between steps. A worker that dies fails its task
 * with a clear error and is replaced on the next run. Idle workers are closed after a
 * while, so a project that is only being looked at holds no TensorFlow memory.
 *
 * A *resident* is state a task leaves in one worker for later tasks (a loaded model that
 * predicts many batches): `resident()` pins a worker for it; its runs go to that worker.
 *
 * Workers keep the process's scheduling priority. Lowering theirs (nice 10 per thread on
 * Linux, threads they start inheriting it) was measured: the main thread's longest answer
 * while training fell from 143-373 ms to 43 ms, but with two other busy processes on the
 * machine import → codes → train took 209 s instead of 57, since the workers then yield to
 * everything else too. nice 3 bought nothing measurable (156 ms).
 */
import path from 'node:path';
import type { TransferListItem, Worker } from 'node:worker_threads';
import { GraftError } from '../errors';
import type { ErrorCode } from '../../../shared/contract';
import { isNativeTensorFlowNotice, tensorflowWorker } from '../tf/runtime';
import { sharedCancelFlag } from './cancel-token';
import type { FromWorker, TaskEvent, TaskInput, TaskName, TaskOutput, TaskProgress, ToWorker } from './task-types';
import { availableCores } from '../cores';

export interface RunOptions<K extends TaskName> {
  signal?: AbortSignal;
  onProgress?: (p: TaskProgress) => void;
  onEvent?: (e: TaskEvent<K>) => void;
}

export interface PoolOptions {
  /** Most workers at once (default: the number of cores, at most 4). */
  size?: number;
  /** Close a worker after this long without a task (default 30 s; 0 = keep). */
  idleMs?: number;
  /** Why the pool exists, for error messages ("computing", "decoding"). */
  purpose: string;
  /**
   * Tasks one worker takes at once (default 1). A decoding task mostly waits for libuv's
   * threads (reading the file, sharp), so its worker can start a second meanwhile.
   */
  tasksPerWorker?: number;
}

interface Slot {
  worker: Worker;
  busy: number;
  /** Residents pinned to this worker; it is never closed for idleness while it has any. */
  residents: number;
  idleTimer: NodeJS.Timeout | null;
  exited: boolean;
}

interface Pending {
  slot: Slot;
  resolve(value: unknown): void;
  reject(err: Error): void;
  onProgress?: (p: TaskProgress) => void;
  onEvent?: (e: unknown) => void;
}

interface Queued {
  start(slot: Slot): void;
  fail(err: Error): void;
  /** Only this worker may run it (a resident's tasks). */
  pinned?: Slot;
}

/** A worker's state kept for later tasks; runs on the worker that holds it. */
export interface Resident {
  run<K extends TaskName>(task: K, input: TaskInput<K>, options?: RunOptions<K>): Promise<TaskOutput<K>>;
  /** Frees the state in the worker. */
  release(): Promise<void>;
}

const ENTRY = path.join(__dirname, 'worker-main.js');

export class WorkerPool {
  readonly #slots: Slot[] = [];
  readonly #pending = new Map<number, Pending>();
  readonly #queue: Queued[] = [];
  readonly #size: number;
  readonly #idleMs: number;
  readonly #perWorker: number;
  #nextId = 1;
  #closed = false;

  constructor(private readonly options: PoolOptions) {
    const cores = availableCores();
    this.#size = Math.max(1, options.size ?? Math.min(cores, 4));
    this.#idleMs = options.idleMs ?? 30_000;
    this.#perWorker = Math.max(1, options.tasksPerWorker ?? 1);
  }

  /** Runs a task on the first free worker (starting one when there is room). */
  run<K extends TaskName>(task: K, input: TaskInput<K>, options: RunOptions<K> = {}, transfer: TransferListItem[] = []): Promise<TaskOutput<K>> {
    return this.#enqueue(task, input, options, transfer);
  }

  /**
   * Loads state into one worker with `task` (its output is what the task returns) and pins
   * that worker for the state's later runs.
   */
  async resident<K extends TaskName>(task: K, input: TaskInput<K>, options: RunOptions<K> = {}): Promise<{ output: TaskOutput<K>; resident: Resident }> {
    let pinned: Slot | null = null;
    const output = await this.#enqueue(task, input, options, [], undefined, (slot) => {
      pinned = slot;
      slot.residents++;
    });
    const slot = pinned as Slot | null;
    if (!slot) throw new GraftError('internal', 'A worker was not pinned for a resident task.');
    let released = false;
    return {
      output,
      resident: {
        run: (t, i, o = {}) => {
          if (released) return Promise.reject(new GraftError('internal', 'That loaded model was released.'));
          if (slot.exited) return Promise.reject(new GraftError('internal', `The ${this.options.purpose} worker holding the loaded model stopped; load it again.`));
          return this.#enqueue(t, i, o, [], slot);
        },
        release: async () => {
          if (released) return;
          released = true;
          slot.residents--;
          if (!slot.exited) await this.#enqueue('release-residents', {}, {}, [], slot).catch(() => undefined);
          this.#scheduleIdle(slot);
        },
      },
    };
  }

  get workers(): number {
    return this.#slots.length;
  }

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this.#queue.length;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const q of this.#queue.splice(0)) q.fail(new GraftError('cancelled', 'The project was closed.'));
    // A copy: #stop removes each slot from #slots, and mapping the array itself skipped every
    // second worker, which then ran on after its project closed.
    const stopping = [...this.#slots].map((s) => this.#stop(s));
    for (const [, p] of this.#pending) p.reject(new GraftError('cancelled', 'The project was closed.'));
    this.#pending.clear();
    await Promise.all(stopping);
  }

  #enqueue<K extends TaskName>(task: K, input: TaskInput<K>, options: RunOptions<K>, transfer: TransferListItem[], pinned?: Slot, onSlot?: (slot: Slot) => void): Promise<TaskOutput<K>> {
    if (this.#closed) return Promise.reject(new GraftError('cancelled', 'The project was closed.'));
    if (options.signal?.aborted) return Promise.reject(new GraftError('cancelled', 'Cancelled.'));
    return new Promise<TaskOutput<K>>((resolve, reject) => {
      const start = (slot: Slot) => {
        if (options.signal?.aborted) {
          reject(new GraftError('cancelled', 'Cancelled.'));
          this.#drain();
          return;
        }
        onSlot?.(slot);
        const id = this.#nextId++;
        const cancel = sharedCancelFlag(options.signal);
        // A worker at work keeps the process alive (the CLI awaits its answer); an idle one does not.
        if (slot.busy++ === 0) slot.worker.ref();
        if (slot.idleTimer) clearTimeout(slot.idleTimer);
        slot.idleTimer = null;
        this.#pending.set(id, {
          slot,
          resolve: (v) => {
            cancel.dispose();
            resolve(v as TaskOutput<K>);
          },
          reject: (e) => {
            cancel.dispose();
            reject(e);
          },
          onProgress: options.onProgress,
          onEvent: options.onEvent as ((e: unknown) => void) | undefined,
        });
        const message: ToWorker = { type: 'run', id, task, input, cancel: cancel.buffer };
        slot.worker.postMessage(message, transfer);
      };
      this.#queue.push({ start, fail: reject, pinned });
      this.#drain();
    });
  }

  /** Starts queued tasks on free workers, starting workers while there is room. */
  #drain(): void {
    for (let i = 0; i < this.#queue.length; ) {
      const q = this.#queue[i];
      const slot = q.pinned ? (q.pinned.busy === 0 && !q.pinned.exited ? q.pinned : null) : this.#freeSlot();
      if (q.pinned?.exited) {
        this.#queue.splice(i, 1);
        q.fail(new GraftError('internal', `The ${this.options.purpose} worker holding the loaded model stopped; load it again.`));
        continue;
      }
      if (!slot) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      q.start(slot);
    }
  }

  /**
   * A worker with nothing to do and no resident (residents' workers serve their own runs
   * first), or a new one, or one with room for another task (tasksPerWorker).
   */
  #freeSlot(): Slot | null {
    const free = this.#slots.find((s) => s.busy === 0 && s.residents === 0 && !s.exited);
    if (free) return free;
    if (this.#slots.length < this.#size) return this.#spawn();
    return (
      this.#slots.find((s) => s.busy === 0 && !s.exited) ??
      this.#slots.filter((s) => s.residents === 0 && s.busy < this.#perWorker && !s.exited).sort((a, b) => a.busy - b.busy)[0] ??
      null
    );
  }

  #spawn(): Slot {
    const worker = tensorflowWorker(ENTRY);
    const slot: Slot = { worker, busy: 0, residents: 0, idleTimer: null, exited: false };
    this.#slots.push(slot);
    worker.on('message', (msg: FromWorker) => this.#receive(slot, msg));
    worker.on('error', (err) => this.#lost(slot, err.message));
    worker.on('exit', (code) => this.#lost(slot, `it exited with code ${code}`));
    // A worker waiting for tasks must not keep the process (the CLI, a test) alive; one at work
    // is ref'd while it works. After the listeners: a 'message' listener added later refs the
    // worker's port again, and an idle worker left that way kept processes from ever exiting.
    worker.unref();
    return slot;
  }

  #receive(slot: Slot, msg: FromWorker): void {
    if (isNativeTensorFlowNotice(msg)) return;
    const p = this.#pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') return p.onProgress?.(msg.progress);
    if (msg.type === 'event') return p.onEvent?.(msg.event);
    this.#pending.delete(msg.id);
    if (--slot.busy === 0) slot.worker.unref();
    if (msg.type === 'done') p.resolve(msg.output);
    else p.reject(new GraftError(msg.code as ErrorCode, msg.message));
    this.#scheduleIdle(slot);
    this.#drain();
  }

  /** A worker stopped: its tasks fail with the reason, and it is replaced when needed. */
  #lost(slot: Slot, why: string): void {
    if (slot.exited) return;
    slot.exited = true;
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    for (const [id, p] of this.#pending) {
      if (p.slot !== slot) continue;
      this.#pending.delete(id);
      p.reject(new GraftError(this.#closed ? 'cancelled' : 'internal', this.#closed ? 'The project was closed.' : `The ${this.options.purpose} worker stopped (${why}). Try again; if it keeps happening, the project may hold an image or model that crashes it.`));
    }
    this.#drain();
  }

  #scheduleIdle(slot: Slot): void {
    if (this.#idleMs <= 0 || slot.busy > 0 || slot.residents > 0 || slot.exited || this.#closed) return;
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      if (slot.busy === 0 && slot.residents === 0) void this.#stop(slot);
    }, this.#idleMs);
    slot.idleTimer.unref();
  }

  #stop(slot: Slot): Promise<void> {
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    if (slot.exited) return Promise.resolve();
    slot.exited = true;
    return slot.worker.terminate().then(() => undefined);
  }
}
