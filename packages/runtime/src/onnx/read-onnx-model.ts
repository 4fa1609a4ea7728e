import { onnx } from 'onnx-proto';
import type { OnnxDim } from './onnx-graph';

/** A graph input or output as declared in a model file. */
export interface OnnxValueSpec {
  name: string;
  /** ONNX element type number (1 = float32, 7 = int64, …). */
  elemType: number;
  /** Declared dimensions (`undefined` when the file declares no shape). */
  shape: OnnxDim[] | undefined;
}

/** What {@link readOnnxModelInfo} finds in a model file. */
export interface OnnxModelInfo {
  irVersion: number;
  /** Opset of the default domain. */
  opset: number | undefined;
  producerName: string;
  inputs: OnnxValueSpec[];
  outputs: OnnxValueSpec[];
  /** `metadata_props` as a plain object. */
  metadata: Record<string, string>;
  nodeCount: number;
  /** Tensors whose data lies in another file (`data_location: EXTERNAL`), in the order found. */
  externalData: OnnxExternalDataRef[];
}

/** A tensor stored outside the model file (ONNX external data). */
export interface OnnxExternalDataRef {
  /** The tensor's name. */
  tensor: string;
  /** The file, as written in the model (`location`; relative to the model's folder). */
  location: string;
  /** Byte offset in that file (0 when not given). */
  offset: number;
  /** Byte length (`undefined` when not given: to the end of the file). */
  length: number | undefined;
}

/** Deepest nesting of subgraphs (If/Loop/Scan bodies) read. */
const MAX_SUBGRAPH_DEPTH = 64;

/** Every tensor with external data: initializers, sparse initializers, and tensors in node attributes, subgraphs included. */
function externalDataOf(
  graph: onnx.IGraphProto,
  label: string,
  out: OnnxExternalDataRef[] = [],
  depth = 0,
): OnnxExternalDataRef[] {
  if (depth > MAX_SUBGRAPH_DEPTH)
    throw new Error(`${label}: not a valid ONNX model (subgraphs nested deeper than ${MAX_SUBGRAPH_DEPTH})`);
  const visitTensor = (t: onnx.ITensorProto | null | undefined): void => {
    if (t === null || t === undefined) return;
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return;
    const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const number = (key: string): number | undefined => {
      const text = entries.get(key);
      if (text === undefined) return undefined;
      if (!/^\d{1,15}$/.test(text))
        throw new Error(
          `${label}: not a valid ONNX model (tensor "${t.name ?? ''}": external data ${key} ${JSON.stringify(text)} is not a byte count)`,
        );
      return Number(text);
    };
    const location = entries.get('location');
    if (location === undefined || location === '')
      throw new Error(
        `${label}: not a valid ONNX model (tensor "${t.name ?? ''}": external data without a location)`,
      );
    out.push({ tensor: t.name ?? '', location, offset: number('offset') ?? 0, length: number('length') });
  };
  for (const t of graph.initializer ?? []) visitTensor(t);
  for (const s of graph.sparseInitializer ?? []) {
    visitTensor(s.values);
    visitTensor(s.indices);
  }
  for (const node of graph.node ?? []) {
    for (const a of node.attribute ?? []) {
      visitTensor(a.t);
      for (const t of a.tensors ?? []) visitTensor(t);
      if (a.g !== null && a.g !== undefined) externalDataOf(a.g, label, out, depth + 1);
      for (const g of a.graphs ?? []) externalDataOf(g, label, out, depth + 1);
    }
  }
  return out;
}

function dims(value: onnx.IValueInfoProto): OnnxDim[] | undefined {
  const shape = value.type?.tensorType?.shape;
  if (shape === null || shape === undefined) return undefined;
  return (shape.dim ?? []).map((d) => {
    if (d.dimParam !== null && d.dimParam !== undefined && d.dimParam !== '') return d.dimParam;
    return Number(d.dimValue ?? 0);
  });
}

/**
 * Decodes an ONNX model's protobuf (`onnx.ModelProto`, via onnx-proto) and returns its interface and
 * metadata. Decoding never executes anything. Throws `"<label>: not a valid ONNX model (…)"` for bytes
 * that are not a model protobuf or a model without a graph.
 */
export function readOnnxModelInfo(bytes: Uint8Array, label = 'model'): OnnxModelInfo {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new Error(
      `${label}: not a valid ONNX model (protobuf decoding failed: ${(error as Error).message})`,
    );
  }
  const graph = model.graph;
  if (graph === null || graph === undefined) throw new Error(`${label}: not a valid ONNX model (no graph)`);
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name));
  const spec = (v: onnx.IValueInfoProto): OnnxValueSpec => ({
    name: v.name ?? '',
    elemType: v.type?.tensorType?.elemType ?? 0,
    shape: dims(v),
  });
  const opset = (model.opsetImport ?? []).find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  return {
    irVersion: Number(model.irVersion),
    opset: opset === undefined ? undefined : Number(opset.version),
    producerName: model.producerName,
    inputs: (graph.input ?? []).filter((v) => !initializerNames.has(v.name ?? '')).map(spec),
    outputs: (graph.output ?? []).map(spec),
    metadata: Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
    nodeCount: (graph.node ?? []).length,
    externalData: externalDataOf(graph, label),
  };
}
