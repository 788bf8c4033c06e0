import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { getTf, type Tf } from '../../main/engine/tf/runtime';
import { featureStats, predictHead, type Examples, type HeadParams } from '../../main/engine/model/head';
import { VOTE_MAX_VOTERS, withVote } from '../../main/engine/model/vote';
import { decodeModel, encodeModel } from '../../main/engine/model/stored-model';
import { assertTestRuntime } from '../helpers/runtime';

let tf: Tf;
before(async () => {
  tf = (await getTf()).tf;
});

/** A head with no trained members: only the vote decides. */
function emptyHead(train: Examples, k: number): HeadParams {
  const { mean, std } = featureStats(train);
  return { inputDim: train.dim, classCount: k, mean, std, members: [] };
}

/** Non-negative codes (like pooled ReLU maps) in two blocks of widths 3 and 2. */
const train: Examples = {
  // class 0 points one way in both blocks, class 1 another; row 2 is a long class-0 vector.
  x: Float32Array.from([1, 0, 0, 1, 0, /**/ 0, 1, 1, 0, 1, /**/ 5, 0.2, 0, 4, 0.1, /**/ 0, 1, 0.9, 0.1, 1]),
  y: Int32Array.from([0, 1, 0, 1]),
  rows: 4,
  dim: 5,
};

/** What vote.ts's comment says it computes, written out plainly for one photo. */
function expected(x: number[], temperature: number, shares = [0.5, 0.5]): number[] {
  const blocks = [[0, 3], [3, 5]];
  const rows = Array.from({ length: train.rows }, (_, r) => Array.from(train.x.subarray(r * 5, r * 5 + 5)));
  const norm = (v: number[]) => Math.hypot(...v);
  const meanLength = blocks.map(([a, b]) => rows.reduce((s, r) => s + norm(r.slice(a, b)), 0) / rows.length);
  const s = rows.map((r) => blocks.reduce((sum, [a, b], i) => {
    const key = r.slice(a, b).map((v) => v / norm(r.slice(a, b)));
    return sum + (shares[i] * key.reduce((d, v, t) => d + v * x[a + t], 0)) / meanLength[i];
  }, 0));
  const max = Math.max(...s);
  const e = s.map((v) => Math.exp((v - max) / temperature));
  const z = e.reduce((a, b) => a + b, 0);
  return [0, 1].map((c) => e.reduce((p, v, j) => p + (train.y[j] === c ? v / z : 0), 0));
}

describe('neighbour vote', () => {
  it('runs on the TF.js runtime GRAFT_RUNTIME forces, or on a fast one', assertTestRuntime);

  it('computes the documented softmax over cosine-like similarities, through standardised input', () => {
    const head = withVote(emptyHead(train, 2), train, { temperature: 0.1, blocks: [3, 2], seed: 1 });
    assert.equal(head.members.length, 1);
    assert.deepEqual(head.members[0].layers.map((l) => l.activation), ['softmax', 'linear']);
    const queries = [[0.9, 0.1, 0, 0.8, 0], [0, 2, 2, 0, 1], [1, 1, 1, 1, 1]];
    const probs = predictHead(tf, head, Float32Array.from(queries.flat()), queries.length);
    queries.forEach((q, i) => {
      const want = expected(q, 0.1);
      for (let c = 0; c < 2; c++) assert.ok(Math.abs(probs[i * 2 + c] - want[c]) < 1e-4, `query ${i} class ${c}: ${probs[i * 2 + c]} vs ${want[c]}`);
    });
    assert.ok(probs[0] > 0.9 && probs[3] > 0.9, 'each clear query goes to its class');
  });

  it('weighs each network by its share', () => {
    // The first block says class 0, the second class 1: the shares decide.
    const q = [1, 0, 0, 0, 1];
    const [first, second] = [[3, 1], [1, 3]].map((shares) => {
      const head = withVote(emptyHead(train, 2), train, { temperature: 0.1, blocks: [3, 2], shares, seed: 1 });
      const p = predictHead(tf, head, Float32Array.from(q), 1);
      const want = expected(q, 0.1, shares.map((w) => w / 4));
      for (let c = 0; c < 2; c++) assert.ok(Math.abs(p[c] - want[c]) < 1e-4, `shares ${shares} class ${c}: ${p[c]} vs ${want[c]}`);
      return p;
    });
    assert.ok(first[0] > 0.5 && second[1] > 0.5, `each network carries the vote when it has the larger share: ${first} / ${second}`);
    assert.throws(() => withVote(emptyHead(train, 2), train, { temperature: 0.1, blocks: [3, 2], shares: [1], seed: 1 }), /do not fit 2 networks/);
  });

  it('is averaged with the trained members and survives the stored format', () => {
    // A "trained" member that always says class 1 with certainty (huge bias).
    const base = emptyHead(train, 2);
    base.members = [{ layers: [{ inDim: 5, outDim: 2, kernel: new Float32Array(10), bias: Float32Array.from([-50, 50]), activation: 'softmax' }] }];
    const head = withVote(base, train, { temperature: 0.1, blocks: [3, 2], seed: 1 });
    const q = Float32Array.from([1, 0, 0, 1, 0]);
    const p = predictHead(tf, head, q, 1);
    const vote = expected(Array.from(q), 0.1);
    assert.ok(Math.abs(p[0] - vote[0] / 2) < 1e-4 && Math.abs(p[1] - (1 + vote[1]) / 2) < 1e-4, `${p}`);
    const stored = decodeModel(encodeModel({ classes: ['a', 'b'], backbones: [{ id: 'x', dim: 3 }, { id: 'y', dim: 2 }], views: ['center'], head }));
    assert.deepEqual(Array.from(predictHead(tf, stored.head, q, 1)), Array.from(p));
  });

  it(`keeps at most ${VOTE_MAX_VOTERS} voters, the same ones for the same seed`, () => {
    const rows = VOTE_MAX_VOTERS + 500;
    const big: Examples = { x: new Float32Array(rows * 2).map((_, i) => 1 + (i % 7)), y: Int32Array.from({ length: rows }, (_, i) => i % 3), rows, dim: 2 };
    const a = withVote(emptyHead(big, 3), big, { temperature: 0.03, blocks: [2], seed: 5 });
    const b = withVote(emptyHead(big, 3), big, { temperature: 0.03, blocks: [2], seed: 5 });
    assert.equal(a.members[0].layers[0].outDim, VOTE_MAX_VOTERS);
    assert.deepEqual(a.members[0].layers[1].kernel, b.members[0].layers[1].kernel);
  });
});
