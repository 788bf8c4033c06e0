/**
 * Domain types that cross the process boundary. Plain data only: everything here
 * must survive structured clone (Electron IPC) and JSON (the loopback transport).
 */

export type Split = 'train' | 'validation' | 'test';

export interface ClassInfo {
  id: number;
  name: string;
  /** CSS colour, e.g. `#e6194b`. */
  color: string;
  /** 0-based display order; keyboard shortcut is position + 1 for the first nine. */
  position: number;
  /** Labelled images in this class. */
  count: number;
}

export interface ImageInfo {
  id: number;
  /** The image's first present file (absolute path). */
  path: string;
  /** Every file with these bytes, present or missing. */
  paths: string[];
  hash: string;
  bytes: number;
  width: number;
  height: number;
  format: string;
  classId: number | null;
  /** Same bytes imported under folders of different classes, not yet resolved by the user. */
  conflict: boolean;
  /** Folder classes that disagree, when `conflict`. */
  conflictLabels: string[];
  /** Every file of this image has disappeared from disk. */
  missing: boolean;
  /** More than one file holds these bytes. */
  duplicate: boolean;
  split: Split | null;
  importedAt: number;
}

export interface DuplicateReport {
  path: string;
  sameAs: string;
}

export interface ConflictReport {
  hash: string;
  paths: string[];
  labels: string[];
}

export interface SkippedReport {
  path: string;
  reason: string;
}

export interface ImportSummary {
  /** Files seen in the folder that are candidates for import. */
  files: number;
  /** Files newly recorded in the catalogue. */
  added: number;
  /** Distinct images (by content) newly added. */
  newImages: number;
  unchanged: number;
  missing: number;
  duplicates: DuplicateReport[];
  conflicts: ConflictReport[];
  skipped: SkippedReport[];
  /** Images per class in the whole catalogue after the import. */
  classes: Record<string, number>;
  unlabelled: number;
  cancelled: boolean;
  seconds: number;
}

export interface ProjectStatus {
  path: string;
  images: number;
  classes: Record<string, number>;
  unlabelled: number;
  conflicts: number;
  missing: number;
  /** Why the project can be inspected but not changed (its file or folder is read-only), or null. */
  readOnly: string | null;
}

/** Jobs are typed in jobs.ts; re-exported here, where the other domain types live. */
export type { JobKind, JobProgress } from './jobs';

export interface LabelChangeResult {
  /** Images whose label actually changed. */
  changed: number;
  /** Id of the undoable operation, or null when nothing changed. */
  operationId: number | null;
}

export interface UndoResult {
  /** What was undone or redone, for a toast ("Undid: label 3 images as roses"). */
  description: string | null;
  changed: number;
}
