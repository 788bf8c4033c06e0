import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trainOptions } from '../../shared/api/training';
import { HEAD_DEFAULTS } from '../../main/training/defaults';
import { resolveConfig } from '../../main/training/train';

describe('training config from options', () => {
  it('keeps the measured defaults when nothing is asked for', () => {
    const config = resolveConfig({});
    assert.equal(config.head.learningRate, HEAD_DEFAULTS.learningRate);
    assert.equal(config.head.maxEpochs, HEAD_DEFAULTS.maxEpochs);
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
