/**
 * Assembles feature rows for the head from cached codes: for each image, the codes of
 * every chosen backbone concatenated in order (the order is stored with the model).
 */
import type { View } from '../../../shared/api/codes';
import type { Examples } from './head';

export type { View };

/** Codes of one backbone and view, by image id (images without cached codes are absent). */
export type CodeReader = (backbone: string, view: View, imageIds: number[]) => Map<number, Float32Array>;

export interface FeatureTable {
  /** Images that have codes for every backbone and view asked for, in input order. */
  imageIds: number[];
  /** Per view: rows aligned with imageIds, `dim` floats each. */
  rows: Record<View, Float32Array | undefined>;
  dim: number;
  /** Dimension of each backbone's codes, in order. */
  dims: number[];
  /** Input images left out because some code is missing. */
  missing: number[];
}

export function buildFeatureTable(read: CodeReader, backbones: string[], views: View[], imageIds: number[]): FeatureTable {
  const maps = views.map((view) => backbones.map((b) => read(b, view, imageIds)));
  const dims = backbones.map((_, j) => {
    for (const m of maps) for (const v of m[j].values()) return v.length;
    return 0;
  });
  const dim = dims.reduce((a, b) => a + b, 0);
  const kept: number[] = [];
  const missing: number[] = [];
  for (const id of imageIds) {
    const complete = maps.every((perBackbone) => perBackbone.every((m, j) => m.get(id)?.length === dims[j] && dims[j] > 0));
    (complete ? kept : missing).push(id);
  }
  const rows: Record<View, Float32Array | undefined> = { center: undefined, flip: undefined };
  views.forEach((view, v) => {
    const out = new Float32Array(kept.length * dim);
    kept.forEach((id, r) => {
      let o = r * dim;
      maps[v].forEach((m) => {
        const code = m.get(id)!;
        out.set(code, o);
        o += code.length;
      });
    });
    rows[view] = out;
  });
  return { imageIds: kept, rows, dim, dims, missing };
}

/** Selected rows of a table (by row index) as training examples, optionally stacking several views. */
export function examplesOf(table: FeatureTable, rowIndices: number[], labels: Int32Array, views: View[]): Examples {
  const dim = table.dim;
  const x = new Float32Array(rowIndices.length * views.length * dim);
  const y = new Int32Array(rowIndices.length * views.length);
  let r = 0;
  for (const view of views) {
    const src = table.rows[view]!;
    for (const i of rowIndices) {
      x.set(src.subarray(i * dim, (i + 1) * dim), r * dim);
      y[r] = labels[i];
      r++;
    }
  }
  return { x, y, rows: r, dim };
}
