/**
 * The classifier graph as exported files expose it: "probabilities" first, then the
 * pooled backbone features under the name people reuse embeddings by, "features" (the
 * classifier names them "codes", Graft's word).
 */
import type { Graph } from '../netgraph/ir';

export function deployableGraph(graph: Graph): Graph {
  return { ...graph, outputs: graph.outputs.map((o) => (o.name === 'codes' ? { ...o, name: 'features' } : o)) };
}
