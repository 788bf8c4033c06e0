/**
 * The building blocks of Graft's process boundary.
 *
 * Every API method is declared once, in a domain file under `shared/api/`, as a zod
 * schema for its parameters plus a phantom marker for its result type. The renderer's
 * client, the preload bridge, the Electron IPC registration and the loopback web
 * transport are all derived from the one combined map in `shared/api.ts`, so adding
 * a method is one declaration there plus one handler in `main/engine/handlers/`.
 *
 * This folder imports nothing of Graft's own (only zod): both `main/` and `renderer/`
 * import it, never the other way round.
 */
import { z } from 'zod';

/** A method's declaration: validated params, and the (type-only) result. */
export interface MethodSpec<P extends z.ZodTypeAny = z.ZodTypeAny, R = unknown> {
  readonly params: P;
  /** Phantom: never read at run time; carries the result type. */
  readonly result: R;
}

/** Declares a method: `method(z.object({...}), returns<Foo>())`. */
export function method<P extends z.ZodTypeAny, R>(params: P, _result: Returns<R>): MethodSpec<P, R> {
  return { params, result: undefined as unknown as R };
}

/** Phantom carrier for a result type. */
export interface Returns<R> {
  readonly __returns?: R;
}
export function returns<R>(): Returns<R> {
  return {};
}

export type MethodMap = Record<string, MethodSpec>;

export type ParamsOf<S> = S extends MethodSpec<infer P, unknown> ? z.input<P> : never;
export type ParsedParamsOf<S> = S extends MethodSpec<infer P, unknown> ? z.output<P> : never;
export type ResultOf<S> = S extends MethodSpec<z.ZodTypeAny, infer R> ? R : never;

/** Error codes that tests match on; messages are for people. */
export type ErrorCode =
  | 'invalid_params'
  | 'unknown_method'
  | 'no_project'
  | 'not_found'
  | 'conflict'
  /** A folder to write into holds files, and replacing them was not asked for. */
  | 'not_empty'
  | 'busy'
  | 'cancelled'
  | 'io'
  | 'bad_image'
  | 'bad_model'
  | 'no_runtime'
  | 'no_trained_model'
  | 'disk_full'
  /** The project can be read but not written (its file or folder is read-only). */
  | 'read_only'
  | 'internal';

export interface ApiErrorPayload {
  code: ErrorCode;
  message: string;
}

/** What crosses the boundary for every call, whatever the transport. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiErrorPayload };

/** Status of a finished long-running job. */
export type JobStatus = 'finished' | 'cancelled' | 'failed';
