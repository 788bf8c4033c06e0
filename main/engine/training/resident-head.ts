/**
 * A run's head (the neighbour vote included) kept in a worker thread for a predictor's
 * life: its tensors are uploaded once, and every batch of feature rows is scored there.
 */
import { GraftError } from '../errors';
import { headPredictor, type HeadPredictor } from '../model/head';
import { getTf } from '../tf/runtime';
import type { TaskContext, TaskInput, TaskOutput } from '../workers/task-types';

const RESIDENT = 'head';

export async function loadHead(input: TaskInput<'load-head'>, ctx: TaskContext<'load-head'>): Promise<TaskOutput<'load-head'>> {
  const { tf } = await getTf();
  ctx.residents.get(RESIDENT)?.dispose();
  const predictor: HeadPredictor = headPredictor(tf, input.head);
  ctx.residents.set(RESIDENT, predictor);
  return { inputDim: input.head.inputDim, classCount: input.head.classCount };
}

export function scoreHead(input: TaskInput<'score-head'>, ctx: TaskContext<'score-head'>): TaskOutput<'score-head'> {
  const predictor = ctx.residents.get(RESIDENT) as HeadPredictor | undefined;
  if (!predictor) throw new GraftError('internal', 'No head is loaded in this worker.');
  return predictor.predict(input.x, input.rows);
}
