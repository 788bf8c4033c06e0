/**
 * The train / validation / test split of each trainable image, stored so that an image
 * keeps its split across retraining (model/splits.ts deals them).
 */
import { DEFAULTS } from '../../../shared/defaults';
import type { Split } from '../../../shared/types';
import { dealSplits, type DealtImage, type LabelledImage, type SplitFractions } from '../model/splits';
import type { Db } from './open';
import { DISPLAY_PATH_OF_IMAGE, JOIN_LIVE_CLASS, NOT_IN_CONFLICT, UNLABELLED } from './rules';

export interface SplitOptions {
  seed: number;
  /** Default: DEFAULTS.training.fractions (shared/defaults.ts). */
  fractions?: SplitFractions;
  /** Forget every existing assignment and deal all trainable images again. */
  reshuffle?: boolean;
}

export interface SplitReport {
  counts: Record<Split, number>;
  /** Images newly dealt into a split by this call. */
  assigned: number;
  /** Same bytes imported under different class folders: left out until the user picks a label. */
  conflicts: number;
  unlabelled: number;
}

const TRAINABLE_IDS = `SELECT i.id FROM images i ${JOIN_LIVE_CLASS} WHERE ${NOT_IN_CONFLICT}`;

/**
 * Deals the trainable images that have no split yet (all of them with `reshuffle`), in
 * one transaction. Identical bytes are one image row, so duplicates never straddle two
 * splits; conflicted and unlabelled images are left out and counted.
 */
export function assignSplits(db: Db, options: SplitOptions): SplitReport {
  return db.transaction((): SplitReport => {
    if (options.reshuffle) db.prepare(`DELETE FROM splits WHERE image_id IN (${TRAINABLE_IDS})`).run();
    const images = db
      .prepare(
        `SELECT i.id AS imageId, i.class_id AS classId, i.hash AS hash, s.split AS split
           FROM images i ${JOIN_LIVE_CLASS}
           LEFT JOIN splits s ON s.image_id = i.id
          WHERE ${NOT_IN_CONFLICT}`,
      )
      .all() as DealtImage[];
    const { assigned, counts } = dealSplits(images, options.seed, options.fractions ?? DEFAULTS.training.fractions.value);
    const insert = db.prepare(`INSERT OR REPLACE INTO splits (image_id, split) VALUES (?, ?)`);
    for (const a of assigned) insert.run(a.imageId, a.split);
    const conflicts = db.prepare(`SELECT COUNT(*) FROM images WHERE conflict = 1`).pluck().get() as number;
    const unlabelled = db.prepare(`SELECT COUNT(*) FROM images i WHERE ${NOT_IN_CONFLICT} AND ${UNLABELLED}`).pluck().get() as number;
    return { counts, assigned: assigned.length, conflicts, unlabelled };
  })();
}

/** Every trainable image with its split (null until dealt), in a stable order. */
export function labelledImages(db: Db): LabelledImage[] {
  return db
    .prepare(
      `SELECT i.id AS imageId, i.class_id AS classId, c.name AS className, s.split AS split, ${DISPLAY_PATH_OF_IMAGE} AS path
         FROM images i ${JOIN_LIVE_CLASS}
         LEFT JOIN splits s ON s.image_id = i.id
        WHERE ${NOT_IN_CONFLICT}
        ORDER BY c.position, i.id`,
    )
    .all() as LabelledImage[];
}

/** How many trainable images each split holds. */
export function splitCounts(db: Db): Record<string, number> {
  const rows = db
    .prepare(`SELECT s.split AS split, COUNT(*) AS n FROM splits s JOIN images i ON i.id = s.image_id ${JOIN_LIVE_CLASS} WHERE ${NOT_IN_CONFLICT} GROUP BY s.split`)
    .all() as Array<{ split: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.split, r.n]));
}
