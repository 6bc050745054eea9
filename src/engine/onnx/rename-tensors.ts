/** Renames tensors everywhere in a graph (node inputs and outputs, initializers, inputs, outputs, value infos). */
import type { onnx } from './proto.js';

export function renameTensors(
  graph: onnx.IGraphProto,
  renames: ReadonlyMap<string, string>,
): onnx.IGraphProto {
  if (renames.size === 0) return graph;
  const rename = (name: string | null | undefined) => (name ? (renames.get(name) ?? name) : (name ?? ''));
  const info = (list: onnx.IValueInfoProto[] | null | undefined) =>
    (list ?? []).map((v) => (renames.has(v.name ?? '') ? { ...v, name: rename(v.name) } : v));
  return {
    ...graph,
    node: (graph.node ?? []).map((n) => ({
      ...n,
      input: (n.input ?? []).map(rename),
      output: (n.output ?? []).map(rename),
    })),
    initializer: (graph.initializer ?? []).map((t) =>
      renames.has(t.name ?? '') ? { ...t, name: rename(t.name) } : t,
    ),
    input: info(graph.input),
    output: info(graph.output),
    valueInfo: info(graph.valueInfo),
  };
}
