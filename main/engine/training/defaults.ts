/**
 * The training defaults as the engine uses them. The values people can see live in
 * shared/defaults.ts (with the reason for each); what was measured to choose them is in
 * docs/experiments.md. Only settings no one sets from outside are declared here.
 */
import type { FineTuneSettings, HeadSettings } from '../../../shared/api/training';
import { DEFAULTS, valuesOf } from '../../../shared/defaults';
import { normalisedShares } from '../model/vote';

export const HEAD_DEFAULTS: HeadSettings = valuesOf(DEFAULTS.head);
export const FINE_TUNE_DEFAULTS: FineTuneSettings = valuesOf(DEFAULTS.fineTune);

/** Each of the run's networks' share of the vote, in the backbones' order (summing to 1). */
export function voteSharesFor(backbones: readonly string[]): number[] {
  const weights = DEFAULTS.training.voteNetworkWeights.value;
  return normalisedShares(backbones.map((id) => weights[id] ?? 1), backbones.length);
}

/**
 * The head trained once per fold for out-of-fold scoring in `mistakes`: fixed epochs (no
 * validation split to stop on), and no vote: a photo's out-of-fold neighbours would vote
 * on it, and the head's disagreement is what ranks suspects.
 */
export const MISTAKES_HEAD: HeadSettings = {
  ...HEAD_DEFAULTS,
  members: 1,
  maxEpochs: 20,
  vote: 0,
};
/** Cosine similarity of codes above which two differently labelled images are reported. */
export const NEAR_DUPLICATE_SIMILARITY = 0.95;
