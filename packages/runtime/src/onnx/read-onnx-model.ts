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
  };
}
