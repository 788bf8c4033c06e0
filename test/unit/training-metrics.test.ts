import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confusionCellIds, evaluate } from '../../main/engine/model/metrics';
import { confidentLearningSuspects, stratifiedFolds } from '../../main/engine/model/mistakes';
import { decodeModel, encodeModel, type StoredModel } from '../../main/engine/model/stored-model';
import { deriveSeed, seededRandom } from '../../main/engine/model/rng';

const onehot = (k: number, rows: number[][]) => Float32Array.from(rows.flat());

describe('metrics', () => {
  it('computes accuracy, per-class precision/recall/F1, support and the confusion matrix', () => {
    // truth: a a a b b c ; predicted: a a b b c c
    const probs = onehot(3, [[0.9, 0.1, 0], [0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0.1, 0.3, 0.6], [0, 0, 1]]);
    const e = evaluate(['a', 'b', 'c'], [0, 0, 0, 1, 1, 2], probs);
    assert.equal(e.accuracy, 0.6667);
    assert.deepEqual(e.confusion, [[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
    assert.deepEqual(e.perClass.a, { precision: 1, recall: 0.6667, f1: 0.8, support: 3 });
    assert.deepEqual(e.perClass.b, { precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    assert.deepEqual(e.perClass.c, { precision: 0.5, recall: 1, f1: 0.6667, support: 1 });
    assert.ok(Math.abs(e.loss - -(Math.log(0.9) + Math.log(0.8) + Math.log(0.2) + Math.log(0.8) + Math.log(0.3) + Math.log(1)) / 6) < 1e-3);
  });

  it('handles an empty set', () => {
    const e = evaluate(['a', 'b'], [], new Float32Array(0));
    assert.equal(e.accuracy, 0);
    assert.deepEqual(e.confusion, [[0, 0], [0, 0]]);
  });

  it('keeps the image ids behind each confusion cell', () => {
    const probs = onehot(3, [[0.9, 0.1, 0], [0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0.1, 0.3, 0.6], [0, 0, 1]]);
    const cells = confusionCellIds(3, [0, 0, 0, 1, 1, 2], probs, [10, 11, 12, 20, 21, 30]);
    assert.deepEqual(cells, [[[10, 11], [12], []], [[], [20], [21]], [[], [], [30]]]);
  });
});

describe('confident learning', () => {
  it('flags the image whose out-of-fold prediction confidently disagrees with its label, most confident first', () => {
    const labels = Int32Array.from([0, 0, 0, 1, 1, 1, 0]);
    const probs = onehot(2, [[0.9, 0.1], [0.8, 0.2], [0.85, 0.15], [0.1, 0.9], [0.2, 0.8], [0.45, 0.55], [0.05, 0.95]]);
    const suspects = confidentLearningSuspects(probs, labels, 2);
    assert.deepEqual(suspects.map((s) => s.index), [6]);
    assert.equal(suspects[0].predicted, 1);
    assert.ok(Math.abs(suspects[0].confidence - 0.95) < 1e-6);
  });

  it('deals stratified folds that cover every image once', () => {
    const labels = Int32Array.from({ length: 53 }, (_, i) => (i < 40 ? 0 : 1));
    const folds = stratifiedFolds(labels, 2, 5, 1);
    const all = folds.flat().sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 53 }, (_, i) => i));
    for (const f of folds) assert.equal(f.filter((i) => labels[i] === 0).length, 8);
  });
});

describe('stored model format', () => {
  it('round-trips head, backbones, views and fine-tuned layers exactly', () => {
    const r = seededRandom(deriveSeed(1, 't'));
    const vec = (n: number) => Float32Array.from({ length: n }, () => r() - 0.5);
    const model: StoredModel = {
      classes: ['cat', 'dog', 'émeu'],
      backbones: [{ id: 'a', dim: 3 }, { id: 'b', dim: 2 }],
      views: ['center', 'flip'],
      head: {
        inputDim: 5,
        classCount: 3,
        mean: vec(5),
        std: vec(5),
        members: [{ layers: [{ inDim: 5, outDim: 4, kernel: vec(20), bias: vec(4), activation: 'relu' }, { inDim: 4, outDim: 3, kernel: vec(12), bias: vec(3), activation: 'softmax' }] }],
      },
      fineTuned: { backbone: 'a', layers: [{ name: 'conv', weights: [{ shape: [1, 1, 2, 3], values: vec(6) }] }] },
    };
    const blob = encodeModel(model);
    assert.equal(blob.toString('ascii', 0, 8), 'GRAFTHD1');
    // SQLite may hand the blob back at any byte offset.
    const shifted = Buffer.concat([Buffer.alloc(3), blob]).subarray(3);
    assert.deepEqual(decodeModel(shifted), model);
    assert.throws(() => decodeModel(Buffer.from('not a model')), /format/);
  });
});
