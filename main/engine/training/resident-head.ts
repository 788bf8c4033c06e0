/**
 * What a TF.js predictor keeps in a worker thread for its life: the head (the neighbour vote
 * included), its tensors uploaded once, to score every batch of feature rows there; and the
 * vote's voters, to tell how like the training photos each image is (model/novelty.ts). The
 * main thread keeps neither, so no batch's arithmetic runs on its event loop. An ONNX
 * predictor's model is compiled here too, off the main thread; its graph does all the rest.
 */
import { GraftError } from '../errors';
import { headPredictor, type HeadParams, type HeadPredictor } from '../model/head';
import { keptMatMulProduct, nearestSimilarities, type BlockProduct } from '../model/novelty';
import { compileClassifier } from '../onnx/classifier-model';
import { getTf } from '../tf/runtime';
import type { TaskContext, TaskInput, TaskOutput } from '../workers/task-types';

const HEAD = 'head';
const NOVELTY = 'novelty';

export async function loadHead(input: TaskInput<'load-head'>, ctx: TaskContext<'load-head'>): Promise<TaskOutput<'load-head'>> {
  const { tf } = await getTf();
  ctx.residents.get(HEAD)?.dispose();
  const predictor: HeadPredictor = headPredictor(tf, input.head);
  ctx.residents.set(HEAD, predictor);
  await keepVote(ctx, input.head, input.blocks);
  return { inputDim: input.head.inputDim, classCount: input.head.classCount };
}

export function scoreHead(input: TaskInput<'score-head'>, ctx: TaskContext<'score-head'>): TaskOutput<'score-head'> {
  const predictor = ctx.residents.get(HEAD) as HeadPredictor | undefined;
  if (!predictor) throw new GraftError('internal', 'No head is loaded in this worker.');
  return predictor.predict(input.x, input.rows);
}

/**
 * The stored model as one ONNX model for a predictor (onnx/classifier-model.ts), the
 * similarity to the nearest voter computed in the graph: nothing stays resident here.
 */
export async function compileClassifierTask(input: TaskInput<'compile-classifier'>): Promise<TaskOutput<'compile-classifier'>> {
  const compiled = await compileClassifier(input.model, { modelsDir: input.modelsDir, similarity: true });
  // Shared, not copied: each session worker reads the same bytes.
  const shared = new Uint8Array(new SharedArrayBuffer(compiled.bytes.length));
  shared.set(compiled.bytes);
  return { ...compiled, bytes: shared };
}

export function scoreNovelty(input: TaskInput<'score-novelty'>, ctx: TaskContext<'score-novelty'>): TaskOutput<'score-novelty'> {
  const vote = ctx.residents.get(NOVELTY) as Vote | undefined;
  if (!vote) throw new GraftError('internal', 'No model is loaded in this worker.');
  return nearestSimilarities(vote.head, vote.blocks, input.x, input.rows, vote.product);
}

interface Vote {
  head: HeadParams;
  blocks: number[];
  product: BlockProduct;
  dispose(): void;
}

async function keepVote(ctx: TaskContext<'load-head'>, head: HeadParams, blocks: number[]): Promise<void> {
  const { tf } = await getTf();
  const { product, dispose } = keptMatMulProduct(tf);
  ctx.residents.get(NOVELTY)?.dispose();
  const vote: Vote = { head, blocks, product, dispose };
  ctx.residents.set(NOVELTY, vote);
}
