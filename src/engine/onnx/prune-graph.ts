/** Drops the nodes no graph output depends on, and the initializers nothing reads any more. */
import type { onnx } from './proto.js';

export function pruneGraph(graph: onnx.IGraphProto): onnx.IGraphProto {
  const nodes = graph.node ?? [];
  const needed = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const keep: boolean[] = new Array<boolean>(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!(node.output ?? []).some((o) => needed.has(o))) continue;
    keep[i] = true;
    for (const input of node.input ?? []) if (input) needed.add(input);
    for (const sub of subgraphInputs(node)) needed.add(sub);
  }
  const kept = nodes.filter((_, i) => keep[i]);
  const graphInputs = new Set((graph.input ?? []).map((i) => i.name ?? ''));
  return {
    ...graph,
    node: kept,
    initializer: (graph.initializer ?? []).filter(
      (t) => needed.has(t.name ?? '') || graphInputs.has(t.name ?? ''),
    ),
    valueInfo: (graph.valueInfo ?? []).filter((v) => needed.has(v.name ?? '')),
  };
}

/** Names a node's subgraphs (If/Loop bodies) read from the outer graph, conservatively all their inputs. */
function subgraphInputs(node: onnx.INodeProto): string[] {
  const names: string[] = [];
  for (const a of node.attribute ?? []) {
    for (const g of [a.g, ...(a.graphs ?? [])]) {
      for (const n of g?.node ?? []) for (const i of n.input ?? []) if (i) names.push(i);
    }
  }
  return names;
}
