/** Classification metrics from true and predicted class indices. Pure functions. */

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** How many images truly belong to the class in the evaluated set. */
  support: number;
}

export interface Evaluation {
  /** Fraction correct; 0 for an empty set. */
  accuracy: number;
  count: number;
  /** Mean cross-entropy of the true class. */
  loss: number;
  perClass: Record<string, ClassMetrics>;
  /** confusion[true][predicted] counts, in class order. */
  confusion: number[][];
}

/**
 * Scores predictions against truth. `probabilities` is row-major n × k; the
 * predicted class is the arg-max of each row.
 */
export function evaluate(classes: string[], truth: ArrayLike<number>, probabilities: Float32Array): Evaluation {
  const k = classes.length;
  const n = truth.length;
  const confusion = classes.map(() => new Array<number>(k).fill(0));
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const predicted = argMax(probabilities, i * k, k);
    const t = truth[i];
    confusion[t][predicted]++;
    if (predicted === t) correct++;
    loss -= Math.log(Math.max(probabilities[i * k + t], 1e-7));
  }
  const perClass: Record<string, ClassMetrics> = {};
  classes.forEach((name, c) => {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((a, row) => a + row[c], 0);
    const precision = predictedAs ? tp / predictedAs : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[name] = { precision: round4(precision), recall: round4(recall), f1: round4(f1), support };
  });
  return { accuracy: n ? round4(correct / n) : 0, count: n, loss: n ? round4(loss / n) : 0, perClass, confusion };
}

/** The ids of the examples in each confusion cell, [true][predicted], in the order given. */
export function confusionCellIds(k: number, truth: ArrayLike<number>, probabilities: Float32Array, ids: readonly number[]): number[][][] {
  const cells = Array.from({ length: k }, () => Array.from({ length: k }, () => [] as number[]));
  for (let i = 0; i < truth.length; i++) cells[truth[i]][argMax(probabilities, i * k, k)].push(ids[i]);
  return cells;
}

export function argMax(values: ArrayLike<number>, offset: number, length: number): number {
  let best = 0;
  for (let j = 1; j < length; j++) if (values[offset + j] > values[offset + best]) best = j;
  return best;
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
