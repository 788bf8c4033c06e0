import type { ApiErrorPayload, ErrorCode } from '../../shared/contract';

/** An error meant for a person: `message` says what happened and what to do next. */
export class GraftError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GraftError';
  }
}

/**
 * What long computations check between steps to stop early: an AbortSignal on the main
 * thread, or a flag shared with the main thread inside a worker (workers/cancel-token.ts).
 */
export interface CancelSignal {
  readonly aborted: boolean;
}

/** Turns anything thrown into the envelope's error, hiding internals from the user. */
export function toErrorPayload(err: unknown): ApiErrorPayload {
  if (err instanceof GraftError) return { code: err.code, message: err.message };
  const e = err as NodeJS.ErrnoException;
  if (e && e.code === 'ENOSPC') {
    return { code: 'disk_full', message: 'The disk is full. Free some space and try again; nothing was lost.' };
  }
  // A write that reached a read-only catalogue (a call that only reads needed to store
  // something, such as missing codes): the same answer as a change refused up front.
  if (e && typeof e.code === 'string' && e.code.startsWith('SQLITE_READONLY')) {
    return { code: 'read_only', message: 'This project is read-only, and this needed to change it: Graft can show a read-only project but not change it. Make the project file and its folder writable and open it again.' };
  }
  if (e && e.name === 'AbortError') return { code: 'cancelled', message: 'Cancelled.' };
  return { code: 'internal', message: e && e.message ? e.message : String(err) };
}
