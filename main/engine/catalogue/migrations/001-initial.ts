import type { Migration } from './types';

/**
 * The catalogue's first shape. Images are keyed by content (one row per distinct
 * bytes); files are the paths those bytes were found at. Labels belong to images,
 * so renaming or moving a file keeps its label and its cached codes.
 */
export const initial: Migration = {
  version: 1,
  name: 'initial',
  up: `
    CREATE TABLE meta (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );

    CREATE TABLE classes (
      id         INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      color      TEXT NOT NULL,
      position   INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      -- Soft delete, so that undoing a delete or a merge can bring the class back.
      deleted_at INTEGER
    );
    CREATE UNIQUE INDEX classes_live_name ON classes (name COLLATE NOCASE) WHERE deleted_at IS NULL;

    CREATE TABLE images (
      id          INTEGER PRIMARY KEY,
      hash        TEXT NOT NULL UNIQUE,          -- sha256 of the file bytes, hex
      bytes       INTEGER NOT NULL,
      width       INTEGER NOT NULL,              -- after EXIF orientation
      height      INTEGER NOT NULL,
      format      TEXT NOT NULL,                 -- jpeg, png, webp, gif, tiff, bmp
      thumbnail   BLOB NOT NULL,                 -- orientation-corrected JPEG, long side 256
      class_id    INTEGER REFERENCES classes (id),
      -- Set when the same bytes arrived under folders of different classes; cleared
      -- only when the user labels the image. Conflicted images are not trained on.
      conflict    INTEGER NOT NULL DEFAULT 0,
      imported_at INTEGER NOT NULL
    );
    CREATE INDEX images_class ON images (class_id);

    CREATE TABLE files (
      id           INTEGER PRIMARY KEY,
      path         TEXT NOT NULL UNIQUE,         -- absolute
      image_id     INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
      size         INTEGER NOT NULL,
      mtime_ms     INTEGER NOT NULL,
      folder_class TEXT,                         -- top-level subfolder name at import, or NULL
      missing      INTEGER NOT NULL DEFAULT 0,
      imported_at  INTEGER NOT NULL
    );
    CREATE INDEX files_image ON files (image_id);

    -- Undo/redo: one operation per user action, each with its label changes.
    CREATE TABLE operations (
      id          INTEGER PRIMARY KEY,
      kind        TEXT NOT NULL,                 -- label, create, rename, merge, delete, recolor, reorder
      description TEXT NOT NULL,
      payload     TEXT NOT NULL DEFAULT '{}',    -- JSON for class-level changes
      created_at  INTEGER NOT NULL,
      undone      INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE label_history (
      id           INTEGER PRIMARY KEY,
      operation_id INTEGER NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
      image_id     INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
      old_class_id INTEGER,
      new_class_id INTEGER,
      old_conflict INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX label_history_op ON label_history (operation_id);

    -- Cached codes: one float32 vector per (image content, backbone, view).
    CREATE TABLE codes (
      image_id  INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
      backbone  TEXT NOT NULL,
      view      TEXT NOT NULL DEFAULT 'center', -- center, flip
      dim       INTEGER NOT NULL,
      data      BLOB NOT NULL,                  -- little-endian float32 × dim
      PRIMARY KEY (image_id, backbone, view)
    ) WITHOUT ROWID;

    -- An image keeps its split across retraining; identical bytes share one row by construction.
    CREATE TABLE splits (
      image_id INTEGER PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
      split    TEXT NOT NULL CHECK (split IN ('train', 'validation', 'test'))
    );

    CREATE TABLE runs (
      id          TEXT PRIMARY KEY,
      created_at  INTEGER NOT NULL,
      finished_at INTEGER,
      status      TEXT NOT NULL CHECK (status IN ('running', 'finished', 'cancelled', 'failed')),
      config      TEXT NOT NULL,                -- JSON, seed included: the run is reproducible from it
      classes     TEXT NOT NULL,                -- JSON array of class names, output order
      history     TEXT NOT NULL DEFAULT '[]',   -- JSON per-epoch metrics
      metrics     TEXT,                         -- JSON final metrics
      weights     BLOB,                         -- serialised head (and fine-tuned layers)
      error       TEXT,
      seconds     REAL
    );
  `,
};
