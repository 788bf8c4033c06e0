/**
 * Backbones, the TF runtime, and the codes cache.
 * `codes.start` is long work: it returns a job id; progress arrives as `job.progress`
 * (stages 'download', 'load', 'codes') and the result (a `CodesSummary`) with `job.finished`.
 */
import { z } from 'zod';
import { method, returns } from '../contract';
import { DEFAULTS } from '../defaults';

/** The views codes are computed for: the image as it is, and mirrored left to right. */
export const VIEWS = ['center', 'flip'] as const;
export type View = (typeof VIEWS)[number];
/**
 * A TF.js runtime: `tfjs-node` = native TensorFlow (@tensorflow/tfjs-node, backend
 * "tensorflow"), `wasm` = TF.js on WebAssembly, `cpu` = plain JavaScript (opt-in only).
 */
export type RuntimeName = 'tfjs-node' | 'wasm' | 'cpu';
/** Values of GRAFT_RUNTIME: `onnx` is for inference and leaves TF.js to its usual order. */
export type RuntimeChoice = 'onnx' | RuntimeName;
/** What runs the frozen networks (codes, prediction): ONNX Runtime, or a TF.js runtime. */
export type InferenceRuntimeName = 'onnx' | RuntimeName;

export interface BackboneInfo {
  id: string;
  name: string;
  description: string;
  format: 'layers' | 'graph' | 'saved_model';
  inputSize: number;
  inputRange: [number, number];
  dim: number;
  builtin: boolean;
  /** Where its files are now: a local folder, the user cache, or nowhere yet. */
  availability: 'folder' | 'models-dir' | 'cache' | 'download' | 'unavailable';
  /** Official page of the network, when it has one. */
  homepage: string | null;
  /** Has an ImageNet classification head (used by sanity checks). */
  imagenetHead: boolean;
}

export interface FailedImage {
  path: string;
  reason: string;
}

/** One backbone's part of a codes run. */
export interface BackboneCodesSummary {
  backbone: string;
  /** Codes computed in this run (one per image and view). */
  computed: number;
  /** Codes that were already cached. */
  cached: number;
  failed: FailedImage[];
  seconds: number;
  /** Codes computed per second of extraction (one network pass each). */
  imagesPerSecond: number;
  runtime: InferenceRuntimeName;
  /** Why this network did not run on ONNX Runtime, when it did not (e.g. an operation it cannot compile). */
  runtimeNote: string | null;
  workers: number;
  /** The batch-norm-folded fast path was used. */
  fast: boolean;
  /** Live tensors summed over the workers after their first and last batch: equal unless something leaks. */
  tensors: { afterFirstBatch: number; afterLastBatch: number };
}

/** The whole run: the same counts as one backbone's part, summed over the backbones. */
export interface CodesSummary extends Pick<BackboneCodesSummary, 'computed' | 'cached' | 'failed' | 'seconds' | 'imagesPerSecond' | 'runtime'> {
  cancelled: boolean;
  backbones: BackboneCodesSummary[];
}

export interface CodesStatus {
  /** Images with at least one present file (those codes can be computed for). */
  images: number;
  codes: Array<{ backbone: string; view: View; count: number; dim: number }>;
}

/** One runtime as `graft doctor` sees it. */
export interface RuntimeStatus {
  name: InferenceRuntimeName;
  /** The one this process uses. */
  used: boolean;
  /** Why it is not used (null for the one in use). */
  reason: string | null;
}

export interface TfjsRuntimeStatus extends RuntimeStatus {
  name: RuntimeName;
}

/**
 * The runtimes of this process and why the others are not in use (`graft doctor`): the
 * top-level fields are TF.js's (training, fine-tuning), `inference` is what runs the frozen
 * networks (codes, prediction).
 */
export interface RuntimeReport {
  /** The TF.js runtime: training and fine-tuning run on it. */
  runtime: RuntimeName | null;
  /** GRAFT_RUNTIME as set, or null. */
  requested: RuntimeChoice | null;
  tfjsVersion: string | null;
  /** The installed @tensorflow/tfjs-node package, whether or not it loads. */
  tfjsNodeVersion: string | null;
  /** Version of the native TensorFlow library, when tfjs-node is in use. */
  tensorflowVersion: string | null;
  wasmSimd: boolean | null;
  runtimeError: string | null;
  /** Every TF.js runtime, in the order they are tried. */
  runtimes: TfjsRuntimeStatus[];
  /** Codes and prediction: ONNX Runtime when it loads, else the TF.js runtime. */
  inference: {
    runtime: InferenceRuntimeName | null;
    /** ONNX Runtime first, then the TF.js runtimes. */
    runtimes: RuntimeStatus[];
    /** The onnxruntime-node version, when it loads. */
    onnxVersion: string | null;
    error: string | null;
  };
  electron: { available: boolean; version: string | null; error: string | null };
  node: string;
  platform: string;
  arch: string;
  cpus: number;
}

export interface RuntimeInfo extends RuntimeReport {
  modelsDir: string | null;
  cacheDir: string;
}

export const backboneId = z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'Backbone ids use letters, digits, dots, dashes and underscores');
export const view = z.enum(VIEWS);

export const codesMethods = {
  'runtime.info': method(z.object({}), returns<RuntimeInfo>()),

  'backbones.list': method(z.object({}), returns<BackboneInfo[]>()),
  /** Layers or nodes of a model folder that could serve as features (to choose one before adding it). */
  'backbones.inspect': method(
    z.object({ folder: z.string().min(1).max(4096) }),
    returns<{
      format: 'layers' | 'graph' | 'saved_model';
      inputSize: number | null;
      candidates: Array<{ name: string }>;
      /** Whether the network compiles to ONNX (and so runs on ONNX Runtime), or the op that keeps it on TF.js. */
      onnx: { ok: true } | { ok: false; reason: string };
    }>(),
  ),
  /** Adds a backbone from a folder (TF.js layers/graph model, or a SavedModel with tfjs-node). */
  'backbones.add': method(
    z.object({
      folder: z.string().min(1).max(4096),
      id: backboneId,
      name: z.string().trim().min(1).max(100).optional(),
      featureLayer: z.string().min(1).max(500).optional(),
      featureNode: z.string().min(1).max(500).optional(),
      inputSize: z.number().int().min(16).max(1024).optional(),
      inputRange: z.tuple([z.number(), z.number()]).optional(),
      pooling: z.enum(['avg', 'none']).optional(),
    }),
    returns<BackboneInfo>(),
  ),
  'backbones.remove': method(z.object({ id: backboneId }), returns<{ removed: boolean }>()),

  /**
   * Computes missing codes for the project's images. `background`: the studio preparing
   * for training after an import; such a job gives way (is cancelled, keeping what it
   * finished) when a training run, an analysis, an export or other codes are asked for.
   */
  'codes.start': method(
    z.object({
      backbones: z.array(backboneId).min(1).max(8).default([DEFAULTS.codes.backbone.value]),
      views: z.array(view).min(1).max(2).default(['center']),
      background: z.boolean().default(false),
    }),
    returns<{ jobId: string }>(),
  ),
  'codes.status': method(z.object({}), returns<CodesStatus>()),
  /** Forgets a backbone's cached codes (they are recomputed on demand). */
  'codes.clear': method(z.object({ backbone: backboneId }), returns<{ deleted: number }>()),
};
