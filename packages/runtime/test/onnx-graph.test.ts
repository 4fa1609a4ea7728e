import { onnx } from 'onnx-proto';
import { createSession, OnnxGraph, onnxAttr, readOnnxModelInfo, runSession } from '@dfer/runtime';
import type { Exportable } from '@dfer/runtime';

/** A Linear layer lowered as in the README: y = x·Wᵀ + b with W stored [out, in] (PyTorch layout). */
class Linear implements Exportable {
  constructor(
    readonly weight: Float32Array,
    readonly bias: Float32Array,
    readonly inFeatures: number,
    readonly outFeatures: number,
  ) {}
  toOnnx(graph: OnnxGraph, input: string): string {
    const w = graph.addInitializer(graph.uniqueName('fc.weight'), this.weight, [
      this.outFeatures,
      this.inFeatures,
    ]);
    const b = graph.addInitializer(graph.uniqueName('fc.bias'), this.bias, [this.outFeatures]);
    return graph.addNode('Gemm', [input, w, b], { transB: onnxAttr.int(1) });
  }
}

describe('OnnxGraph', () => {
  it('builds a Linear graph with a dynamic batch that onnxruntime runs to the hand-computed values', async () => {
    const g = new OnnxGraph('linear');
    const x = g.addInput('input', ['batch', 3]);
    const layer = new Linear(new Float32Array([1, 2, 3, -1, 0, 1]), new Float32Array([0.5, -0.5]), 3, 2);
    g.addOutput(layer.toOnnx(g, x), 'logits');
    g.setMetadata('model', 'linear');
    const session = await createSession(g.toBytes(), { threads: 1, warmupShape: [1, 3] });
    // row 1: [1, 1, 1] → [1+2+3+0.5, −1+0+1−0.5] = [6.5, −0.5]; row 2: [2, 0, −1] → [2−3+0.5, −2−1−0.5] = [−0.5, −3.5]
    const out = await runSession(session, {
      input: { data: new Float32Array([1, 1, 1, 2, 0, -1]), dims: [2, 3] },
    });
    expect(out.logits?.dims).toEqual([2, 2]);
    expect(Array.from(out.logits?.data ?? [])).toEqual([6.5, -0.5, -0.5, -3.5]);
    const batched = await runSession(
      session,
      { input: { data: new Float32Array([1, 1, 1, 2, 0, -1, 0, 0, 0]), dims: [3, 3] } },
      { batchSize: 2 },
    );
    expect(Array.from(batched.logits?.data ?? [])).toEqual([6.5, -0.5, -0.5, -3.5, 0.5, -0.5]);
    expect(session.model.metadata).toEqual({ model: 'linear' });
    expect(session.model.inputs[0]?.shape).toEqual(['batch', 3]);
    await session.release();
  });

  it('serialises typed attributes: int stays int, float stays float', () => {
    const g = new OnnxGraph();
    const x = g.addInput('x', [1, 4]);
    const y = g.addNode('LeakyRelu', [x], { alpha: onnxAttr.float(0.1) });
    const z = g.addNode('Transpose', [y], { perm: onnxAttr.ints([1, 0]) });
    const w = g.addNode('DepthToSpace', [z], { mode: onnxAttr.string('CRD') }, { name: 'd2s' });
    g.addOutput(g.addNode('Flatten', [w], { axis: onnxAttr.int(1) }));
    const model = onnx.ModelProto.decode(g.toBytes());
    const attrs = model.graph?.node?.map((n) => n.attribute?.[0]);
    const T = onnx.AttributeProto.AttributeType;
    expect(attrs?.map((a) => a?.type)).toEqual([T.FLOAT, T.INTS, T.STRING, T.INT]);
    expect(attrs?.[0]?.f).toBeCloseTo(0.1, 7);
    expect(Number(attrs?.[3]?.i)).toBe(1);
    expect(Number(model.opsetImport?.[0]?.version)).toBe(17);
    expect(model.graph?.node?.[2]?.name).toBe('d2s');
  });

  it('gives clear errors for misuse', () => {
    const g = new OnnxGraph('bad');
    expect(() => onnxAttr.int(1.5)).toThrow(/expected an integer/);
    expect(() => onnxAttr.ints([1, 0.5])).toThrow(/expected integers/);
    expect(() => onnxAttr.float(Number.NaN)).toThrow(/finite/);
    expect(() => g.toBytes()).toThrow(/no input declared/);
    const x = g.addInput('x', ['batch', 2]);
    expect(() => g.addInput('x', [1])).toThrow(/already defined/);
    expect(() => g.addInput('y', [-1])).toThrow(/dimension 0 must be a non-negative integer/);
    expect(() => g.addNode('Relu', ['nope'])).toThrow(/input 0 "nope" is not defined/);
    expect(() => g.addInitializer('w', new Float32Array(3), [2, 2])).toThrow(
      /has 3 values but dims \[2, 2\] need 4/,
    );
    expect(() => g.addInitializer('s', [1.5], [1], 'int64')).toThrow(/int64 but holds 1.5/);
    expect(() => g.addNode('Bad Op', [x])).toThrow(/invalid op type/);
    expect(() => g.toBytes()).toThrow(/no output declared/);
    expect(() => g.addOutput('missing')).toThrow(/not defined/);
  });

  it('uniqueName never repeats a defined name', () => {
    const g = new OnnxGraph();
    g.addInput('w', [1]);
    const names = [g.uniqueName('w'), g.uniqueName('w'), g.uniqueName('w')];
    expect(names).toEqual(['w_1', 'w_2', 'w_3']);
  });

  it('readOnnxModelInfo rejects bytes that are not a model', () => {
    expect(() => readOnnxModelInfo(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 'junk.onnx')).toThrow(
      /junk\.onnx: not a valid ONNX model/,
    );
  });
});
