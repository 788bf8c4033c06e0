import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trainOptions } from '../../shared/api/training';
import { DEFAULTS } from '../../shared/defaults';
import { HEAD_DEFAULTS } from '../../main/engine/training/defaults';
import { resolveConfig } from '../../main/engine/training/train';

describe('training config from options', () => {
  it('keeps the measured defaults when nothing is asked for', () => {
    const config = resolveConfig({});
    assert.equal(config.head.learningRate, HEAD_DEFAULTS.learningRate);
    assert.equal(config.head.maxEpochs, HEAD_DEFAULTS.maxEpochs);
  });

  it('stores each network’s share of the vote, in the backbones’ order', () => {
    const weights = DEFAULTS.training.backbones.value.map((id) => DEFAULTS.training.voteNetworkWeights.value[id] ?? 1);
    const total = weights.reduce((a, b) => a + b, 0);
    assert.deepEqual(resolveConfig({}).head.voteShares, weights.map((w) => w / total));
    assert.deepEqual(resolveConfig({ backbones: ['mobilenet_v1_0.25_224'] }).head.voteShares, [1]);
    const twoUnlisted = resolveConfig({ backbones: ['mobilenet_v1_0.25_224', 'mobilenet_v2_0.35_224_notop'] }).head.voteShares;
    assert.deepEqual(twoUnlisted, [0.5, 0.5]);
    assert.equal(resolveConfig({ vote: false }).head.vote, 0);
  });

  it('takes the learning rate and epochs the studio’s settings drawer sends', () => {
    const options = trainOptions.parse({ learningRate: 0.003, epochs: 25, seed: 7 });
    const config = resolveConfig(options);
    assert.equal(config.head.learningRate, 0.003);
    assert.equal(config.head.maxEpochs, 25);
    assert.equal(config.seed, 7);
  });

  it('refuses a learning rate that cannot train', () => {
    assert.equal(trainOptions.safeParse({ learningRate: 0 }).success, false);
    assert.equal(trainOptions.safeParse({ learningRate: 5 }).success, false);
  });
});
