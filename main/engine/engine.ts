import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { MethodName, Params, Result } from '../../shared/api';
import type { Envelope } from '../../shared/contract';
import type { ApiEvents, EventName } from '../../shared/events';
import type { Db } from './catalogue/open';
import { openProject, readOnlyReason } from './catalogue/open';
import { call, dispatch } from './dispatch';
import { GraftError } from './errors';
import { ImageAssets, type ImageAsset, type ImageKind } from './images/image-assets';
import { InsightsCache } from './insights/insights-cache';
import { JobManager } from './jobs/job-manager';
import { PredictorCache } from './training/predictor-cache';
import { WorkerPool } from './workers/worker-pool';

export interface EngineOptions {
  /** Folder of backbone weights to use before the user cache and downloads. */
  modelsDir?: string;
}

const EVENT_NAMES: readonly EventName[] = ['job.progress', 'job.finished', 'catalogue.changed', 'training.epoch'];

/**
 * One open project (or none: `graft doctor`, `graft predict --model`): its catalogue, its
 * running jobs, its event stream, and everything it keeps warm (the loaded model, the
 * insights, recent previews), all disposed of with it. The hosts (Electron shell, loopback
 * server, CLI) see it only as a `GraftEngine` (index.ts) and reach it through `dispatch`;
 * the handlers, which are the engine, use the rest.
 */
export class Engine {
  readonly projectPath: string | null;
  readonly jobs: JobManager;
  readonly predictors: PredictorCache;
  readonly insights: InsightsCache;
  readonly images: ImageAssets;
  /** Worker threads for the arithmetic: training, mistakes, the map, scoring, exports. */
  readonly compute = new WorkerPool({ purpose: 'computing', size: 2 });
  /**
   * Worker threads for images: reading, hashing, decoding, thumbnails and previews. Two
   * tasks per worker: an import keeps cores + 2 files in flight (import-folder.ts), and
   * workers taking one at a time left the cores a quarter idle between reads and decodes.
   */
  readonly media = new WorkerPool({ purpose: 'decoding', tasksPerWorker: 2 });
  #db: Db | null = null;
  /** Why the open catalogue is read-only (set when it was opened so), or null. */
  #readOnly: string | null = null;
  readonly #events = new EventEmitter();
  #closed = false;

  /**
   * `projectFile` null: an engine without a project, for the calls that need none. The
   * file is opened (created, migrated) on the first call that needs it.
   */
  constructor(projectFile: string | null, readonly options: EngineOptions = {}) {
    this.projectPath = projectFile === null ? null : path.resolve(projectFile);
    this.#events.setMaxListeners(100);
    this.jobs = new JobManager({
      progress: (p) => this.emit('job.progress', p),
      finished: (f) => this.emit('job.finished', f),
    });
    this.predictors = new PredictorCache(this);
    this.insights = new InsightsCache(this);
    this.images = new ImageAssets(this);
  }

  /** The project's catalogue; GraftError('no_project') on an engine opened without one. */
  get db(): Db {
    return this.requireProject();
  }

  /** The catalogue, or GraftError('no_project') for calls that need a project on an engine without one. */
  requireProject(): Db {
    if (this.#db) return this.#db;
    if (this.projectPath === null || this.#closed) {
      throw new GraftError('no_project', this.#closed ? 'The project was closed. Open it again.' : 'No project is open: open or create one first (graft --project FILE).');
    }
    // Opened on first use, so a call that fails its own checks first (an import of a folder
    // that does not exist) never creates an empty project file.
    const reason = readOnlyReason(this.projectPath);
    this.#db = openProject(this.projectPath, { readonly: reason !== null });
    this.#readOnly = reason;
    return this.#db;
  }

  /**
   * Why this project can be inspected but not changed (its file or folder is read-only),
   * or null. Asked without opening the file, so a call refused for it creates nothing.
   */
  get readOnlyReason(): string | null {
    if (this.#db) return this.#readOnly;
    return this.projectPath === null ? null : readOnlyReason(this.projectPath);
  }

  /** GraftError('read_only') when the project may not be changed: before a call that would. */
  refuseChangesIfReadOnly(): void {
    const reason = this.readOnlyReason;
    if (reason === null) return;
    throw new GraftError('read_only', `This project can be inspected but not changed: ${reason}. Make it writable (or copy it to a folder you can write) and open it again.`);
  }

  get hasProject(): boolean {
    return this.projectPath !== null;
  }

  /** Validates and runs one API call; failures come back in the envelope (transports). */
  dispatch(method: unknown, params: unknown): Promise<Envelope<unknown>> {
    return dispatch(this, method, params);
  }

  /** The same path as `dispatch`, throwing GraftError instead of returning an envelope (CLI). */
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    return call(this, method, params);
  }

  /** A thumbnail or large preview of an image, for the hosts' image routes. */
  image(kind: ImageKind, id: number): Promise<ImageAsset> {
    return this.images.get(kind, id);
  }

  /** The validator of an image route's bytes, without decoding anything. */
  imageEtag(kind: ImageKind, id: number): string {
    return this.images.etag(kind, id);
  }

  hasRunningJobs(): boolean {
    return this.jobs.isRunning();
  }

  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    this.#events.emit(event, payload);
  }

  on<E extends EventName>(event: E, handler: (payload: ApiEvents[E]) => void): () => void {
    this.#events.on(event, handler);
    return () => this.#events.off(event, handler);
  }

  /** Every event, for transports that forward them all. */
  onAny(handler: <E extends EventName>(event: E, payload: ApiEvents[E]) => void): () => void {
    const offs = EVENT_NAMES.map((n) => this.on(n, (p) => handler(n, p)));
    return () => offs.forEach((off) => off());
  }

  /** Lets running jobs end (a grace period, then cancel), frees what it keeps warm, closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.jobs.shutdown();
    this.insights.dispose();
    await this.predictors.dispose();
    this.images.dispose();
    await Promise.all([this.compute.close(), this.media.close()]);
    this.#events.removeAllListeners();
    this.#db?.close();
    this.#db = null;
  }
}
