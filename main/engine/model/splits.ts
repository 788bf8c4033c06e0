import type { Split } from '../../../shared/types';
import { GraftError } from '../errors';
import { deriveSeed, seededRandom, shuffleInPlace } from './rng';

export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

/** One trainable image: labelled with a live class and not in conflict. */
export interface LabelledImage {
  imageId: number;
  classId: number;
  className: string;
  /** Null until it was dealt into a split. */
  split: Split | null;
  /** First present file, else any file: what the user recognises the image by. */
  path: string;
}

/** A trainable image as dealing sees it: its class, its content hash, and its split so far. */
export interface DealtImage {
  imageId: number;
  classId: number;
  hash: string;
  split: Split | null;
}

/**
 * Deals images into train / validation / test, stratified by class: pure, so the same
 * images, seed and fractions always give the same splits (catalogue/splits.ts stores them).
 *
 * Assignments are sticky: an image that has a split keeps it (otherwise the test score would
 * be measured on images earlier runs trained on), and the others are dealt so each class
 * moves towards the target fractions. The order within a class is by content hash, so the
 * shuffle depends only on the seed and the contents.
 */
export function dealSplits(images: readonly DealtImage[], seed: number, fractions: SplitFractions): { assigned: Array<{ imageId: number; split: Split }>; counts: Record<Split, number> } {
  const target = normaliseFractions(fractions);
  const byClass = new Map<number, DealtImage[]>();
  for (const r of [...images].sort((a, b) => a.classId - b.classId || (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0))) {
    const list = byClass.get(r.classId) ?? [];
    list.push(r);
    byClass.set(r.classId, list);
  }
  const assigned: Array<{ imageId: number; split: Split }> = [];
  const counts: Record<Split, number> = { train: 0, validation: 0, test: 0 };
  for (const [classId, list] of byClass) {
    const have: Record<Split, number> = { train: 0, validation: 0, test: 0 };
    for (const r of list) if (r.split) have[r.split]++;
    const fresh = shuffleInPlace(
      list.filter((r) => !r.split),
      seededRandom(deriveSeed(seed, `split:${classId}`)),
    );
    let total = list.length - fresh.length;
    for (const r of fresh) {
      total++;
      const split = largestDeficit(target, have, total);
      have[split]++;
      assigned.push({ imageId: r.imageId, split });
    }
    for (const s of SPLITS) counts[s] += have[s];
  }
  return { assigned, counts };
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

export function normaliseFractions(f: SplitFractions): SplitFractions {
  const values = [f.train, f.validation, f.test];
  if (values.some((v) => !Number.isFinite(v) || v < 0) || f.train <= 0) {
    throw new GraftError('invalid_params', 'Split fractions must be non-negative numbers, with some images for training.');
  }
  const sum = values.reduce((a, b) => a + b, 0);
  return { train: f.train / sum, validation: f.validation / sum, test: f.test / sum };
}
