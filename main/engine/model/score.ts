import { examplesOf, type FeatureTable, type View } from './features';
import { headPredictor, type HeadParams, type Tf } from './head';

/**
 * Probabilities for table rows, averaged over the model's views. Runs in a worker thread
 * (training, insights), so it scores in large slices without stopping for the event loop;
 * the slices only bound memory (each row is also a product with every voter's codes).
 */
const SLICE_ROWS = 2048;

export function scoreModel(tf: Tf, head: HeadParams, table: FeatureTable, rowIndices: number[], views: View[]): Float32Array {
  const k = head.classCount;
  const sum = new Float32Array(rowIndices.length * k);
  const noLabels = new Int32Array(table.imageIds.length);
  const predictor = headPredictor(tf, head);
  try {
    for (const view of views) {
      for (let start = 0; start < rowIndices.length; start += SLICE_ROWS) {
        const ex = examplesOf(table, rowIndices.slice(start, start + SLICE_ROWS), noLabels, [view]);
        const p = predictor.predict(ex.x, ex.rows);
        for (let i = 0; i < p.length; i++) sum[start * k + i] += p[i] / views.length;
      }
    }
  } finally {
    predictor.dispose();
  }
  return sum;
}
