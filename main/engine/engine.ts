import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { ApiEvents, EventName } from '../../shared/events';
import type { Db } from './catalogue/open';
import { openProject } from './catalogue/open';
import { JobManager } from './jobs/job-manager';

export interface EngineOptions {
  /** Folder of backbone weights to use before the user cache and downloads. */
  modelsDir?: string;
}

/**
 * One open project: its catalogue, its running jobs and its event stream. The CLI,
 * the loopback server and the Electron main process all drive Graft through this.
 */
export class Engine {
  readonly db: Db;
  readonly projectPath: string;
  readonly jobs: JobManager;
  private readonly events = new EventEmitter();
  private closed = false;

  constructor(projectFile: string, readonly options: EngineOptions = {}) {
    this.projectPath = path.resolve(projectFile);
    this.db = openProject(this.projectPath);
    this.events.setMaxListeners(100);
    this.jobs = new JobManager({
      progress: (p) => this.emit('job.progress', p),
      finished: (f) => this.emit('job.finished', f),
    });
  }

  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    this.events.emit(event, payload);
  }

  on<E extends EventName>(event: E, handler: (payload: ApiEvents[E]) => void): () => void {
    this.events.on(event, handler);
    return () => this.events.off(event, handler);
  }

  /** Every event, for transports that forward them all. */
  onAny(handler: <E extends EventName>(event: E, payload: ApiEvents[E]) => void): () => void {
    const names: EventName[] = ['job.progress', 'job.finished', 'catalogue.changed', 'training.epoch'];
    const offs = names.map((n) => this.on(n, (p) => handler(n, p)));
    return () => offs.forEach((off) => off());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.jobs.shutdown();
    this.db.close();
  }
}
