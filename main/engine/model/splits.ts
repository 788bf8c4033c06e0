import type { Split } from '../../../shared/types';
import type { Db } from '../catalogue/open';
import { GraftError } from '../errors';
import { deriveSeed, seededRandom, shuffleInPlace } from './rng';

export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

export const DEFAULT_FRACTIONS: SplitFractions = { train: 0.8, validation: 0.1, test: 0.1 };

export interface SplitOptions {
  seed: number;
  fractions?: SplitFractions;
  /** Forget every existing assignment and deal all trainable images again. */
  reshuffle?: boolean;
}

/** One trainable image: labelled with a live class and not in conflict. */
export interface LabelledImage {
  imageId: number;
  classId: number;
  className: string;
  /** Null until assignSplits has dealt the image. */
  split: Split | null;
  /** First present file, else any file: what the user recognises the image by. */
  path: string;
}

export interface SplitReport {
  counts: Record<Split, number>;
  /** Images newly dealt into a split by this call. */
  assigned: number;
  /** Same bytes imported under different class folders: left out until the user picks a label. */
  conflicts: number;
  unlabelled: number;
}

/**
 * Deals trainable images into train / validation / test, stratified by class.
 *
 * Assignments are sticky: an image keeps its split across retraining (otherwise the
 * test score would be measured on images earlier runs trained on), and new images are
 * dealt so each class moves towards the target fractions. Identical bytes are one
 * image row, so duplicates can never straddle two splits. Conflicted and unlabelled
 * images are left out and counted.
 */
export function assignSplits(db: Db, options: SplitOptions): SplitReport {
  const fractions = normaliseFractions(options.fractions ?? DEFAULT_FRACTIONS);
  const run = db.transaction((): SplitReport => {
    if (options.reshuffle) {
      db.prepare(`DELETE FROM splits WHERE image_id IN (${TRAINABLE_IDS_SQL})`).run();
    }
    const rows = db
      .prepare(
        `SELECT i.id AS imageId, i.class_id AS classId, i.hash AS hash, s.split AS split
           FROM images i
           JOIN classes c ON c.id = i.class_id AND c.deleted_at IS NULL
           LEFT JOIN splits s ON s.image_id = i.id
          WHERE i.conflict = 0
          ORDER BY i.class_id, i.hash`,
      )
      .all() as Array<{ imageId: number; classId: number; hash: string; split: Split | null }>;

    const byClass = new Map<number, typeof rows>();
    for (const r of rows) {
      const list = byClass.get(r.classId) ?? [];
      list.push(r);
      byClass.set(r.classId, list);
    }
    const insert = db.prepare(`INSERT OR REPLACE INTO splits (image_id, split) VALUES (?, ?)`);
    let assigned = 0;
    const counts: Record<Split, number> = { train: 0, validation: 0, test: 0 };
    for (const [classId, list] of byClass) {
      const have: Record<Split, number> = { train: 0, validation: 0, test: 0 };
      for (const r of list) if (r.split) have[r.split]++;
      // Rows are ordered by hash, so the shuffle depends only on the seed and the contents.
      const fresh = shuffleInPlace(
        list.filter((r) => !r.split),
        seededRandom(deriveSeed(options.seed, `split:${classId}`)),
      );
      let total = list.length - fresh.length;
      for (const r of fresh) {
        total++;
        const split = largestDeficit(fractions, have, total);
        have[split]++;
        insert.run(r.imageId, split);
        assigned++;
      }
      for (const s of SPLITS) counts[s] += have[s];
    }
    const { conflicts } = db.prepare(`SELECT COUNT(*) AS conflicts FROM images WHERE conflict = 1`).get() as { conflicts: number };
    const { unlabelled } = db
      .prepare(
        `SELECT COUNT(*) AS unlabelled FROM images i
          WHERE i.conflict = 0 AND (i.class_id IS NULL OR NOT EXISTS (SELECT 1 FROM classes c WHERE c.id = i.class_id AND c.deleted_at IS NULL))`,
      )
      .get() as { unlabelled: number };
    return { counts, assigned, conflicts, unlabelled };
  });
  return run();
}

const TRAINABLE_IDS_SQL = `SELECT i.id FROM images i JOIN classes c ON c.id = i.class_id AND c.deleted_at IS NULL WHERE i.conflict = 0`;

/** Every trainable image with its split (null until assignSplits dealt it), in a stable order. */
export function labelledImages(db: Db): LabelledImage[] {
  return db
    .prepare(
      `SELECT i.id AS imageId, i.class_id AS classId, c.name AS className, s.split AS split,
              (SELECT f.path FROM files f WHERE f.image_id = i.id ORDER BY f.missing, f.id LIMIT 1) AS path
         FROM images i
         JOIN classes c ON c.id = i.class_id AND c.deleted_at IS NULL
         LEFT JOIN splits s ON s.image_id = i.id
        WHERE i.conflict = 0
        ORDER BY c.position, i.id`,
    )
    .all() as LabelledImage[];
}

/** The split whose share is furthest below its target once `total` images are dealt. */
function largestDeficit(fractions: SplitFractions, have: Record<Split, number>, total: number): Split {
  let best: Split = 'train';
  let bestDeficit = -Infinity;
  for (const s of SPLITS) {
    const deficit = fractions[s] * total - have[s];
    // Strictly greater: ties go to the earlier split (train, then validation), so a
    // class's first images always train.
    if (deficit > bestDeficit + 1e-9) {
      best = s;
      bestDeficit = deficit;
    }
  }
  return best;
}

function normaliseFractions(f: SplitFractions): SplitFractions {
  const values = [f.train, f.validation, f.test];
  if (values.some((v) => !Number.isFinite(v) || v < 0) || f.train <= 0) {
    throw new GraftError('invalid_params', 'Split fractions must be non-negative numbers, with some images for training.');
  }
  const sum = values.reduce((a, b) => a + b, 0);
  return { train: f.train / sum, validation: f.validation / sum, test: f.test / sum };
}
