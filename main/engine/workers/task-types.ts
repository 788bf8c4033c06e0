/**
 * The tasks worker threads run, typed once: input, output and the events each may send
 * while it runs. Everything here crosses a thread boundary by structured clone, so it is
 * plain data (typed arrays included). Tasks that need codes, runs or images read them
 * themselves from the project file (a read-only connection of their own), so the main
 * thread never holds the engine's event loop for a large read.
 */
import type { MistakesResult } from '../../../shared/api/training';
import type { ProjectionResult } from '../../../shared/api/insights';
import type { RunMetrics, StoredEpoch, TrainConfig } from '../../../shared/api/training';
import type { ImageFacts } from '../importer/decode';
import type { HeadParams } from '../model/head';
import type { LabelledImage } from '../model/splits';
import type { BuiltArtifacts } from '../export/layers-model-export';
import type { DeployableRunInput, DeployableRunOutput } from '../export/deployable-run';
import type { StoredModel } from '../model/stored-model';
import type { CompiledClassifier } from '../onnx/classifier-model';

/** Progress inside a task, forwarded to its job. */
export interface TaskProgress {
  stage: string;
  done: number;
  total: number;
  message?: string;
}

export interface FitModelInput {
  projectPath: string;
  modelsDir?: string;
  config: TrainConfig;
  classes: string[];
  /** The images trained and evaluated on, in the order of `config.dataset`. */
  images: LabelledImage[];
  jobId: string;
  runId: string;
  /** What the main thread measured before the fit, for the run's metrics. */
  counts: RunMetrics['counts'];
  excluded: RunMetrics['excluded'];
  /** When the run started (ms since the epoch), for its duration. */
  startedAt: number;
}

/** The run is already finished and current in the project (catalogue/runs.ts finishRun). */
export interface FitModelOutput {
  metrics: RunMetrics;
  seconds: number;
}

export interface MistakesInput {
  projectPath: string;
  backbones: string[];
  images: LabelledImage[];
  limit: number;
  seed: number;
}

export type MistakesOutput = Pick<MistakesResult, 'suspects' | 'nearDuplicates' | 'outOfFoldAccuracy'>;

export interface PredictCodesOutput {
  runId: string;
  classes: string[];
  imageIds: number[];
  predicted: number[];
  confidence: number[];
  approximate: boolean;
}

/** A file as the importer first sees it: its size and content hash, or why it cannot be read. */
export type HashedFile = { ok: true; size: number; mtimeMs: number; hash: string } | { ok: false; reason: string };

/**
 * New bytes decoded: what the catalogue keeps (facts and thumbnail), or why they are not an
 * image; with the networks' inputs (RGB bytes per size asked for) when the task was given sizes.
 */
export type ThumbnailedFile = { ok: true; facts: ImageFacts; thumbnail: Uint8Array; inputs?: Uint8Array[] } | { ok: false; reason: string };

/** A file read once, hashed and decoded: its hash and what decoding it gave, or why it cannot be read. */
export type PreparedFile = { ok: true; size: number; mtimeMs: number; hash: string; decoded: ThumbnailedFile } | { ok: false; reason: string };

export interface Tasks {
  /** Drops what earlier tasks left resident in this worker. */
  'release-residents': { input: Record<string, never>; output: null; event: never };
  /** Loads what 'fit-model' needs (TF.js above all), so a run's head starts at once after its codes. */
  'prepare-fit': { input: Record<string, never>; output: null; event: never };
  /** A training run's arithmetic: head, fine-tuning, vote, evaluation, the stored model. */
  'fit-model': { input: FitModelInput; output: FitModelOutput; event: StoredEpoch };
  /** Out-of-fold heads, confident-learning suspects, near-duplicates. */
  'find-mistakes': { input: MistakesInput; output: MistakesOutput; event: never };
  /** The map: PCA of every image's cached codes. */
  'project-codes': { input: { projectPath: string; backbones: string[] }; output: Omit<ProjectionResult, 'runId' | 'seconds'>; event: never };
  /** A run's prediction for every image with cached codes. */
  'predict-codes': { input: { projectPath: string; runId: string }; output: PredictCodesOutput; event: never };
  /** The standalone TF.js layers model of a run. */
  'build-layers-export': { input: { projectPath: string; runId: string; backbones: Array<{ id: string; dir: string }> }; output: BuiltArtifacts; event: never };
  /** A run's whole classifier as ONNX or TFLite bytes (float32 RGB 0…255 input), or why the format cannot express it. */
  'build-deployable-export': { input: { projectPath: string; runId: string; modelsDir?: string; format: 'onnx' | 'tflite'; weights: 'float32' | 'float16' | 'int8' }; output: { bytes: Uint8Array } | { refused: string }; event: never };
  /**
   * A stored model compiled into one ONNX model for prediction (reads the backbones' weights;
   * the bytes in a SharedArrayBuffer, for the session workers to share), with the "similarity"
   * output: nothing stays resident.
   */
  'compile-classifier': { input: { model: StoredModel; modelsDir?: string }; output: CompiledClassifier; event: never };
  /** Each row's similarity to the nearest training photo (model/novelty.ts), with the vote `load-head` left resident; null without one. */
  'score-novelty': { input: { x: Float32Array; rows: number }; output: Float32Array | null; event: never };
  /** A written ONNX or TFLite file run by its own runtime on photos: the probabilities. */
  'run-deployable': { input: DeployableRunInput; output: DeployableRunOutput; event: never };
  /** Loads a model's head (vote included) resident, for `score-head`. */
  'load-head': { input: { head: HeadParams; blocks: number[] }; output: { inputDim: number; classCount: number }; event: never };
  /** Probabilities of feature rows (views already averaged by the caller) with the resident head. */
  'score-head': { input: { x: Float32Array; rows: number }; output: Float32Array; event: never };
  /** Loads a model folder made by `graft export` resident, for `predict-exported`. */
  'load-exported-model': { input: { dir: string }; output: { runId: string; classes: string[]; imageSize: number }; event: never };
  /** Probabilities of RGB images (imageSize² × 3 bytes each) with the resident exported model. */
  'predict-exported': { input: { pixels: Uint8Array; n: number }; output: Float32Array; event: never };
  /** Reads and hashes a file (the importer then decodes only bytes the catalogue lacks). */
  'hash-file': { input: { path: string }; output: HashedFile; event: never };
  /** Decodes a file and makes its thumbnail, checking it still holds the bytes hashed. */
  'thumbnail-file': { input: { path: string; hash: string; networkSizes?: number[] }; output: ThumbnailedFile; event: never };
  /** 'hash-file' and 'thumbnail-file' from one read, for a file whose bytes cannot be in the catalogue yet. */
  'hash-and-thumbnail-file': { input: { path: string; networkSizes?: number[] }; output: PreparedFile; event: never };
  /** The large preview of an image file: orientation-corrected sRGB JPEG. */
  'render-preview': { input: { paths: string[]; longSide: number }; output: Uint8Array; event: never };
}

export type TaskName = keyof Tasks;
export type TaskInput<K extends TaskName> = Tasks[K]['input'];
export type TaskOutput<K extends TaskName> = Tasks[K]['output'];
export type TaskEvent<K extends TaskName> = Tasks[K]['event'];

/** What a task's function gets besides its input. */
export interface TaskContext<K extends TaskName> {
  readonly signal: { readonly aborted: boolean };
  progress(stage: string, done: number, total: number, message?: string): void;
  event(e: TaskEvent<K>): void;
  /** State kept in this worker for later tasks (a resident model), by name. */
  readonly residents: Map<string, { dispose(): void }>;
}

export type ToWorker = { type: 'run'; id: number; task: TaskName; input: unknown; cancel: SharedArrayBuffer };

export type FromWorker =
  | { type: 'progress'; id: number; progress: TaskProgress }
  | { type: 'event'; id: number; event: unknown }
  | { type: 'done'; id: number; output: unknown }
  | { type: 'failed'; id: number; code: string; message: string };
