/**
 * Export methods. Export is a job: `export.start` returns its id; progress arrives as
 * `job.progress` (stages 'model', 'copy', 'codes', 'write', 'mistakes', 'report',
 * 'finish') and the `ExportResult` in `job.finished`. The target folder is written
 * all at once (staged beside it, then renamed), so a failed or cancelled export
 * leaves it untouched.
 */
import { z } from 'zod';
import { method, returns } from '../contract';
import { DEFAULTS } from '../defaults';
import { isAbsolutePath } from '../paths';

export const EXPORT_FORMATS = ['tfjs', 'onnx', 'tflite', 'report', 'dataset', 'codes'] as const;
/** Extra TensorFlow Lite files with smaller weights, beside the float32 one. */
export const EXPORT_QUANTIZATIONS = ['float16', 'int8'] as const;
export type ExportQuantization = (typeof EXPORT_QUANTIZATIONS)[number];
export type ExportFormatName = (typeof EXPORT_FORMATS)[number];
export const exportFormat = z.enum(EXPORT_FORMATS);

/** Which images a dataset or codes export takes. */
export const EXPORT_SPLITS = ['all', 'train', 'validation', 'test'] as const;
export type ExportSplit = (typeof EXPORT_SPLITS)[number];

export interface ExportResult {
  /** The export folder (absolute). */
  dir: string;
  formats: ExportFormatName[];
  /** Files written, relative to `dir`. */
  files: string[];
  /** Their total size in bytes. */
  bytes: number;
  runId: string | null;
  /** 'layers-model' or 'graph-model' when the model was exported. */
  modelFormat: string | null;
  /** The ONNX and TFLite files written, and the formats refused for this model (with the reason). */
  deployable: { files: DeployableFile[]; refused: DeployableRefusal[] } | null;
  /** How to load and run each model file written (also in report.html). */
  snippets: ExportSnippet[];
  /** Images (or report sections) left out, with the reason. */
  skipped: Array<{ path: string; reason: string }>;
}

/** One ONNX or TFLite file of an export, as deployable.json lists it. */
export interface DeployableFile {
  format: 'onnx' | 'tflite';
  file: string;
  bytes: number;
  /** How the weights are stored: 'float16' and 'int8' are dequantized to float32 inside the model. */
  weights: 'float32' | ExportQuantization;
  /** NHWC float32 RGB 0…255; a null batch is free. */
  inputs: Array<{ name: string; shape: Array<number | null> }>;
  outputs: string[];
  /** ONNX: the default-domain opset. */
  opset: number | null;
  /** The export-time check by the format's runtime (TFLite files: null, checked by the test suite with LiteRT). */
  check: { runtime: string; ok: boolean; detail: string } | null;
}

/** Copy-paste code that loads and runs one written model file (main/engine/export/snippets.ts). */
export interface ExportSnippet {
  /** Which written file it loads. */
  file: string;
  title: string;
  language: 'python' | 'kotlin' | 'javascript' | 'html';
  code: string;
}

export interface DeployableRefusal {
  format: 'onnx' | 'tflite';
  file: string;
  /** Names the network, node and op the format cannot express. */
  reason: string;
}

export const exportMethods = {
  'export.start': method(
    z.object({
      /** Absolute folder to create (or replace, with `force`). A relative one is refused:
       * it would land wherever the engine's process happened to start. */
      dir: z
        .string()
        .min(1)
        .max(4096)
        .refine(isAbsolutePath, 'The export folder must be an absolute path (for example /home/me/flowers-export), not one relative to wherever Graft was started'),
      /** Default: the project's current model. */
      runId: z.string().min(1).max(100).optional(),
      /** Default: DEFAULTS.export.formats (shared/defaults.ts). */
      formats: z.array(exportFormat).min(1).max(EXPORT_FORMATS.length).optional(),
      /** Dataset and codes: which images. */
      split: z.enum(EXPORT_SPLITS).default(DEFAULTS.export.split.value),
      /** Replace the content of a non-empty folder. */
      force: z.boolean().default(false),
      /** Codes export without a trained model: these backbones. */
      backbones: z.array(z.string().min(1).max(200)).min(1).max(4).optional(),
      /** TFLite: extra files with float16 or int8 weights. */
      quantize: z.array(z.enum(EXPORT_QUANTIZATIONS)).max(EXPORT_QUANTIZATIONS.length).optional(),
      /** ONNX and TFLite: run every file written in its own runtime and compare it with Graft's predictor (DeployableFile.check). */
      verify: z.boolean().optional(),
      /** The report's likely-label-mistakes section (it trains a few small heads; seconds to minutes). */
      mistakes: z.boolean().default(true),
    }),
    returns<{ jobId: string }>(),
  ),
};
