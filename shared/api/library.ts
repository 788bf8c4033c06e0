/**
 * Library methods: the project, import, images, classes, labels and undo.
 * Long work (import) starts a job and returns its id; progress and the result
 * arrive as `job.progress` / `job.finished` events.
 */
import { z } from 'zod';
import { classNameProblem } from '../class-names';
import { method, returns } from '../contract';
import { backboneId, view } from './codes';
import type { RunningJob } from '../jobs';
import type { ClassInfo, ImageInfo, LabelChangeResult, ProjectStatus, UndoResult } from '../types';

const id = z.number().int().nonnegative();
const className = z
  .string()
  .trim()
  .superRefine((name, ctx) => {
    const problem = classNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const imageFilter = z.object({
  /** A class id, 'unlabelled', or absent for all. */
  classId: z.union([id, z.literal('unlabelled')]).optional(),
  split: z.enum(['train', 'validation', 'test']).optional(),
  conflicts: z.boolean().optional(),
  duplicates: z.boolean().optional(),
  missing: z.boolean().optional(),
  /** Only these image ids (e.g. a confusion-matrix cell). */
  ids: z.array(id).max(100_000).optional(),
  /** Substring of the file path. */
  search: z.string().max(500).optional(),
});
export type ImageFilter = z.infer<typeof imageFilter>;

/** `list`: the order of `filter.ids` itself, for ranked lists (likely mistakes first); import order without ids. */
export const imageSort = z.enum(['imported', 'name', 'class', 'size', 'list']);
export type ImageSort = z.infer<typeof imageSort>;

export interface ImportFolderCheck {
  /** The absolute folder the import would read. */
  folder: string;
  /** Where relative folders start: the project's folder. */
  base: string;
  /** Why importing it would fail (no such folder, a file, unreadable), or null. */
  problem: string | null;
}

export const libraryMethods = {
  'project.status': method(z.object({}), returns<ProjectStatus>()),

  /**
   * A folder to import: a relative one starts at the project's folder (`base`), `~` at the
   * user's home. `folder` is what the import would read; `problem` why it could not, or null.
   */
  'import.check': method(z.object({ folder: z.string().min(1).max(4096) }), returns<ImportFolderCheck>()),
  /** Starts importing `folder` (resolved as import.check says); `folder` in the result is the one read. */
  'import.start': method(
    z.object({
      folder: z.string().min(1).max(4096),
      /**
       * The networks (and views) the next training run will use: their codes are computed
       * from the same decode as each new photo's thumbnail, when ONNX Runtime runs them and
       * their weights are on this machine. Without it, the import computes no codes.
       */
      codes: z.object({ backbones: z.array(backboneId).min(1).max(8), views: z.array(view).min(1).max(2).default(['center']) }).optional(),
    }),
    returns<{ jobId: string; folder: string }>(),
  ),

  'images.count': method(z.object({ filter: imageFilter.default({}) }), returns<{ count: number }>()),
  /** A window of the filtered, sorted image list: the grid asks for what is on screen. */
  'images.list': method(
    z.object({
      filter: imageFilter.default({}),
      sort: imageSort.default('imported'),
      descending: z.boolean().default(false),
      offset: z.number().int().nonnegative().default(0),
      limit: z.number().int().min(1).max(5000).default(200),
    }),
    returns<{ total: number; images: ImageInfo[] }>(),
  ),
  /** Ids only, for "select all in view" over tens of thousands of images. */
  'images.ids': method(
    z.object({ filter: imageFilter.default({}), sort: imageSort.default('imported'), descending: z.boolean().default(false) }),
    returns<{ ids: number[] }>(),
  ),
  'images.get': method(z.object({ id }), returns<ImageInfo>()),

  'classes.list': method(z.object({}), returns<ClassInfo[]>()),
  'classes.create': method(
    z.object({ name: className, color: z.string().regex(/^#[0-9a-fA-F]{6}$/).optional() }),
    returns<ClassInfo>(),
  ),
  'classes.rename': method(z.object({ id, name: className }), returns<ClassInfo>()),
  'classes.recolor': method(z.object({ id, color: z.string().regex(/^#[0-9a-fA-F]{6}$/) }), returns<ClassInfo>()),
  'classes.reorder': method(z.object({ ids: z.array(id).min(1).max(10_000) }), returns<ClassInfo[]>()),
  /** Moves every image of `from` into `into`, then removes `from`. */
  'classes.merge': method(z.object({ from: id, into: id }), returns<LabelChangeResult>()),
  /** Removes the class; its images become unlabelled (nothing else is lost). */
  'classes.delete': method(z.object({ id }), returns<LabelChangeResult>()),

  /** Sets the label of many images at once (null = unlabelled): one undoable step. */
  'labels.set': method(
    z.object({ imageIds: z.array(id).min(1).max(100_000), classId: id.nullable() }),
    returns<LabelChangeResult>(),
  ),
  'labels.undo': method(z.object({}), returns<UndoResult>()),
  'labels.redo': method(z.object({}), returns<UndoResult>()),

  /**
   * The images behind paths on disk: a file's image, or every image with a file under a
   * folder. Paths are absolute; a path the catalogue does not know is listed in `unknown`.
   */
  'images.resolve': method(
    z.object({ paths: z.array(z.string().min(1).max(4096)).min(1).max(10_000) }),
    returns<{ imageIds: number[]; unknown: string[] }>(),
  ),

  'jobs.list': method(z.object({}), returns<RunningJob[]>()),
  'jobs.cancel': method(z.object({ jobId: z.string().min(1).max(100) }), returns<{ cancelled: boolean }>()),
};
