/**
 * The engine as its hosts see it. The Electron shell, the loopback server and the CLI
 * import only this module (`npm run lint:layers` checks): they open an engine, send it
 * calls of the typed contract (`shared/api.ts`), listen to its events and ask it for image
 * bytes. Everything else (the catalogue, jobs, workers, TensorFlow) stays inside.
 */
import type { MethodName, Params, Result } from '../../shared/api';
import type { Envelope } from '../../shared/contract';
import type { ApiEvents, EventName } from '../../shared/events';
import { Engine, type EngineOptions } from './engine';
import type { ImageAsset, ImageKind } from './images/image-assets';

export { GraftError, toErrorPayload } from './errors';
export type { EngineOptions, ImageAsset, ImageKind };

export interface GraftEngine {
  /** The open project file (absolute), or null for an engine opened without one. */
  readonly projectPath: string | null;
  /** One call, validated against the contract; the outcome in an envelope (transports). */
  dispatch(method: unknown, params: unknown): Promise<Envelope<unknown>>;
  /** The same path, throwing GraftError on failure. */
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  on<E extends EventName>(event: E, handler: (payload: ApiEvents[E]) => void): () => void;
  onAny(handler: <E extends EventName>(event: E, payload: ApiEvents[E]) => void): () => void;
  /** An image's thumbnail or large preview; GraftError('not_found') for an unknown id. */
  image(kind: ImageKind, id: number): Promise<ImageAsset>;
  /** The validator of those bytes, without decoding: for conditional requests. */
  imageEtag(kind: ImageKind, id: number): string;
  /** Whether any job is running now (the desktop app asks before quitting over one). */
  hasRunningJobs(): boolean;
  /** Lets running jobs end (a grace period, then cancel), frees the project's state and closes it. */
  close(): Promise<void>;
}

/**
 * Opens a project (created when the file does not exist), or an engine without a project
 * when `projectFile` is null (the calls that need none: runtime, backbones, predicting with
 * an exported model).
 */
export function openEngine(projectFile: string | null, options: EngineOptions = {}): GraftEngine {
  return new Engine(projectFile, options);
}
