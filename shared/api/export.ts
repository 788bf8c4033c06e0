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

export const EXPORT_FORMATS = ['tfjs', 'report', 'dataset', 'codes'] as const;
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
  /** Images (or report sections) left out, with the reason. */
  skipped: Array<{ path: string; reason: string }>;
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
      /** The report's likely-label-mistakes section (it trains a few small heads; seconds to minutes). */
      mistakes: z.boolean().default(true),
    }),
    returns<{ jobId: string }>(),
  ),
};
