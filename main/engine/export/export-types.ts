/** Shapes shared by the exporters. */
import type { ExportFormatName, ExportSplit } from '../../../shared/api/export';
import type { JobStage } from '../../../shared/jobs';
import type { Db } from '../catalogue/open';
import type { WorkerPool } from '../workers/worker-pool';

/** The API's names (shared/api/export.ts). */
export type ExportFormat = ExportFormatName;
export type SplitChoice = ExportSplit;

export interface WrittenFile {
  /** Relative to the export folder, with forward slashes. */
  file: string;
  bytes: number;
}

export interface SkippedItem {
  /** The image's file (or its hash when no file is known). */
  path: string;
  reason: string;
}

/** What every exporter gets: where to write, the catalogue, and the job's signal and progress. */
export interface ExportStep {
  db: Db;
  /** The project file (worker threads read it) and the engine's computing workers. */
  projectPath: string;
  workers: WorkerPool;
  /** The staging folder being written. */
  dir: string;
  modelsDir?: string;
  signal?: AbortSignal;
  progress(stage: JobStage<'export'>, done: number, total: number, message?: string): void;
  written(file: WrittenFile): void;
  skipped(item: SkippedItem): void;
}
