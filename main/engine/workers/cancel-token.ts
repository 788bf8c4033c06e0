/**
 * Cancellation that reaches into a worker thread while it computes. An AbortSignal cannot
 * cross threads, and a worker busy in a training loop never turns its event loop to hear
 * a message; a shared flag can be read between any two steps of a loop. The main thread
 * sets it when the job's signal aborts; the task reads `aborted` as it would a signal's.
 */
export interface CancelToken {
  readonly aborted: boolean;
}

/** The main thread's side: a flag in shared memory, raised when `signal` aborts. */
export function sharedCancelFlag(signal: AbortSignal | undefined): { buffer: SharedArrayBuffer; dispose(): void } {
  const buffer = new SharedArrayBuffer(4);
  const flag = new Int32Array(buffer);
  const raise = () => Atomics.store(flag, 0, 1);
  if (signal?.aborted) raise();
  signal?.addEventListener('abort', raise, { once: true });
  return { buffer, dispose: () => signal?.removeEventListener('abort', raise) };
}

/** The worker's side: reads the flag. */
export function cancelTokenOf(buffer: SharedArrayBuffer): CancelToken {
  const flag = new Int32Array(buffer);
  return {
    get aborted() {
      return Atomics.load(flag, 0) === 1;
    },
  };
}
