/**
 * A worker thread of the engine's pools (worker-pool.ts): it runs the tasks it is given (one
 * at a time unless the pool allows more, tasksPerWorker) and answers with their output,
 * progress and events. Task modules are loaded on first use, so a worker that only decodes
 * images never loads TensorFlow.
 */
import { parentPort, type TransferListItem } from 'node:worker_threads';
import { toErrorPayload } from '../errors';
import { cancelTokenOf } from './cancel-token';
import type { FromWorker, TaskContext, TaskName, ToWorker } from './task-types';
import { taskFunction } from './task-registry';

const port = parentPort;
if (!port) throw new Error('worker-main runs as a worker thread of the engine');

const residents = new Map<string, { dispose(): void }>();

port.on('message', (msg: ToWorker) => {
  if (msg.type !== 'run') return;
  void run(msg);
});

async function run(msg: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const send = (reply: FromWorker, transfer: TransferListItem[] = []) => port!.postMessage(reply, transfer);
  const ctx: TaskContext<TaskName> = {
    signal: cancelTokenOf(msg.cancel),
    progress: (stage, done, total, message) => send({ type: 'progress', id: msg.id, progress: { stage, done, total, message } }),
    event: (event) => send({ type: 'event', id: msg.id, event }),
    residents,
  };
  try {
    const fn = taskFunction(msg.task);
    const output = await fn(msg.input as never, ctx as never);
    send({ type: 'done', id: msg.id, output }, transferablesOf(output));
  } catch (err) {
    const e = toErrorPayload(err);
    send({ type: 'failed', id: msg.id, code: e.code, message: e.message });
  }
}

/** The typed arrays' buffers in a result, handed over rather than copied. */
function transferablesOf(value: unknown, found = new Set<ArrayBuffer>()): TransferListItem[] {
  if (value instanceof ArrayBuffer) found.add(value);
  else if (ArrayBuffer.isView(value)) {
    const b = value.buffer;
    // Only whole, unshared buffers can move; views into a bigger one are copied.
    if (b instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === b.byteLength) found.add(b);
  } else if (Array.isArray(value)) {
    for (const v of value) transferablesOf(v, found);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) transferablesOf(v, found);
  }
  return [...found];
}
