/** Classification metrics derived from a confusion matrix (rows = true class, columns = predicted). */

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Examples whose true class this is. */
  support: number;
}

export interface EvaluationSummary {
  accuracy: number;
  examples: number;
  perClass: ClassMetrics[];
  /** Unweighted mean of the per-class F1 scores: fair to small classes. */
  macroF1: number;
  confusion: number[][];
}

export function summariseConfusion(labels: readonly string[], confusion: number[][]): EvaluationSummary {
  const n = labels.length;
  let correct = 0;
  let total = 0;
  const perClass: ClassMetrics[] = [];
  for (let i = 0; i < n; i++) {
    const row = confusion[i] ?? [];
    const support = row.reduce((a, b) => a + (b ?? 0), 0);
    let predicted = 0;
    for (let r = 0; r < n; r++) predicted += confusion[r]?.[i] ?? 0;
    const tp = row[i] ?? 0;
    correct += tp;
    total += support;
    // With nothing predicted (or nothing to find) the score is 0, not NaN: the report
    // must show a number a person can compare, and 0 is the honest one.
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ label: labels[i], precision, recall, f1, support });
  }
  return {
    accuracy: total ? correct / total : 0,
    examples: total,
    perClass,
    macroF1: n ? perClass.reduce((a, c) => a + c.f1, 0) / n : 0,
    confusion,
  };
}
