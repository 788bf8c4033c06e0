/**
 * The one map of Graft's API: method name → params schema + result type.
 * Each domain declares its methods in `shared/api/<domain>.ts`; add the domain here.
 */
import type { z } from 'zod';
import type { MethodSpec, ParamsOf, ResultOf } from './contract';
import { libraryMethods } from './api/library';
import { codesMethods } from './api/codes';
import { trainingMethods } from './api/training';
import { exportMethods } from './api/export';
import { insightsMethods } from './api/insights';

export const api = {
  ...libraryMethods,
  ...codesMethods,
  ...trainingMethods,
  ...exportMethods,
  ...insightsMethods,
} satisfies Record<string, MethodSpec>;

export type Api = typeof api;
export type MethodName = keyof Api;
export type Params<M extends MethodName> = ParamsOf<Api[M]>;
export type ParsedParams<M extends MethodName> = z.output<Api[M]['params']>;
export type Result<M extends MethodName> = ResultOf<Api[M]>;

/** The client every renderer view uses; both transports implement it. */
export interface GraftClient {
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  on<E extends import('./events').EventName>(
    event: E,
    handler: (payload: import('./events').ApiEvents[E]) => void,
  ): () => void;
  /** URL of an image's thumbnail (long side 256), usable in <img src>. */
  thumbnailUrl(imageId: number): string;
  /** URL of the orientation-corrected full image (long side at most 2048) for the large preview. */
  imageUrl(imageId: number): string;
}

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(api, name);
}
