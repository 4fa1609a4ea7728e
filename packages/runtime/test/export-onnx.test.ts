import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeededRng } from '@dfer/test-utils';
import {
  createSession,
  exportOnnx,
  OnnxGraph,
  onnxAttr,
  readOnnxModelInfo,
  runSession,
  transposeToChannelsFirst,
} from '@dfer/runtime';
import type { ExportableModel } from '@dfer/runtime';

/** A tiny classifier over [batch, H, W, C] clips: Conv → Relu → GlobalAveragePool → Gemm; also emits features. */
const tinyNet: ExportableModel = {
  toOnnx(g: OnnxGraph, input: string) {
    const w = g.addInitializer('conv.weight', new Float32Array(4 * 3 * 3 * 3).fill(0.1), [4, 3, 3, 3]);
    const h = g.addNode('Relu', [
      g.addNode('Conv', [transposeToChannelsFirst(g, input, 4), w], { pads: onnxAttr.ints([1, 1, 1, 1]) }),
    ]);
    const features = g.addNode('Flatten', [g.addNode('GlobalAveragePool', [h])], { axis: onnxAttr.int(1) });
    const fc = g.addInitializer('fc.weight', new Float32Array(2 * 4).fill(0.5), [2, 4]);
    return { logits: g.addNode('Gemm', [features, fc], { transB: onnxAttr.int(1) }), features };
  },
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dfer-onnx-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('exportOnnx', () => {
  it('writes a model whose metadata carries name, preset, labels and input spec, with a dynamic batch', async () => {
    const path = join(dir, 'tiny.onnx');
    const result = await exportOnnx(tinyNet, {
      inputShape: ['batch', 6, 6, 3],
      modelName: 'tiny_net',
      preset: 'tiny',
      labels: ['happy', 'sad'],
      inputLayout: 'NHWC',
      path,
    });
    expect(result.outputs).toEqual({ logits: ['batch', 2], features: ['batch', 4] });
    const info = readOnnxModelInfo(readFileSync(path), path);
    expect(info.opset).toBe(17);
    expect(info.metadata['dfer.model']).toBe('tiny_net');
    expect(info.metadata['dfer.preset']).toBe('tiny');
    expect(JSON.parse(info.metadata['dfer.labels'] ?? 'null')).toEqual(['happy', 'sad']);
    expect(JSON.parse(info.metadata['dfer.input'] ?? 'null')).toEqual({
      name: 'input',
      shape: ['batch', 6, 6, 3],
      layout: 'NHWC',
    });
    expect(info.outputs.map((o) => [o.name, o.shape])).toEqual([
      ['logits', ['batch', 2]],
      ['features', ['batch', 4]],
    ]);

    // Hand-computed: input all ones; conv 3x3x3 of 0.1 with zero padding over a 6x6 image: interior pixels
    // see 27 ones (2.7), edges 18 (1.8), corners 12 (1.2). Mean over 36 pixels:
    // (16·2.7 + 16·1.8 + 4·1.2) / 36 = 76.8 / 36; logits = 4 · 0.5 · that.
    const session = await createSession(path, { threads: 2, warmupShape: [1, 6, 6, 3] });
    const out = await runSession(
      session,
      { input: { data: new Float32Array(3 * 108).fill(1), dims: [3, 6, 6, 3] } },
      { batchSize: 2 },
    );
    const feature = 76.8 / 36;
    expect(out.features?.dims).toEqual([3, 4]);
    for (const v of out.features?.data ?? []) expect(v).toBeCloseTo(feature, 5);
    for (const v of out.logits?.data ?? []) expect(v).toBeCloseTo(2 * feature, 5);
    await session.release();
  });

  it('answers the static shapes a lowering asks in its second build (dynamic dimensions undefined)', async () => {
    const answers: unknown[] = [];
    const model: ExportableModel = {
      toOnnx(g: OnnxGraph, input: string) {
        answers.push(g.staticShape(input));
        const hidden = g.addNode('Relu', [input]);
        answers.push(g.staticShape(g.addNode('Flatten', [hidden], { axis: onnxAttr.int(1) })));
        return g.addNode('Flatten', [hidden], { axis: onnxAttr.int(1) });
      },
    };
    await exportOnnx(model, { inputShape: ['batch', 3, 4], modelName: 'probe', checkInputSpec: false });
    // first build: no answers; second build: the sizes onnxruntime ran, batch dynamic
    expect(answers).toEqual([undefined, undefined, [undefined, 3, 4], [undefined, 12]]);
    const graph = new OnnxGraph('outside');
    expect(graph.staticShape(graph.addInput('x', [1, 2]))).toBeUndefined();
    expect(() => graph.staticShape('missing')).toThrow(/"missing" is not defined/);
  });

  it('rejects a lowering that asks different static shapes in its second build', async () => {
    let build = 0;
    const model: ExportableModel = {
      toOnnx(g: OnnxGraph, input: string) {
        build += 1;
        if (build === 1) g.staticShape(input);
        return g.addNode('Relu', [input]);
      },
    };
    await expect(
      exportOnnx(model, { inputShape: ['batch', 3], modelName: 'unstable', checkInputSpec: false }),
    ).rejects.toThrow(/asked 0 static shapes in its second build, 1 in its first/);
  });

  it('runSession names the problem with mismatched inputs', async () => {
    const { bytes } = await exportOnnx(tinyNet, { inputShape: ['batch', 6, 6, 3], modelName: 'tiny_net' });
    const session = await createSession(bytes);
    const ok = { data: new Float32Array(108), dims: [1, 6, 6, 3] };
    await expect(runSession(session, { image: ok })).rejects.toThrow(
      /missing input "input" \(given: image\)/,
    );
    await expect(runSession(session, { input: ok, extra: ok })).rejects.toThrow(/unknown input\(s\) extra/);
    await expect(
      runSession(session, { input: { data: new Float32Array(108), dims: [1, 6, 18] } }),
    ).rejects.toThrow(/must have rank 4/);
    await expect(
      runSession(session, { input: { data: new Float32Array(90), dims: [1, 6, 5, 3] } }),
    ).rejects.toThrow(/dimension 2 must be 6/);
    await expect(
      runSession(session, { input: { data: new Float32Array(10), dims: [1, 6, 6, 3] } }),
    ).rejects.toThrow(/has 10 values but dims \[1, 6, 6, 3\] need 108/);
    await session.release();
  });

  it('createSession gives clear errors for missing, corrupt and invalid model files', async () => {
    await expect(createSession(join(dir, 'absent.onnx'))).rejects.toThrow(/cannot read .*absent\.onnx/);
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, Buffer.from('this is not an onnx file at all'));
    await expect(createSession(junk)).rejects.toThrow(
      /junk\.onnx: (not a valid ONNX model|onnxruntime cannot load the model)/,
    );
    const badOp: ExportableModel = { toOnnx: (g, x) => g.addNode('NoSuchOp', [x]) };
    await expect(exportOnnx(badOp, { inputShape: [1, 2], modelName: 'bad' })).rejects.toThrow(
      /onnxruntime cannot load the model/,
    );
    await expect(createSession(new Uint8Array(0), { threads: 0 })).rejects.toThrow(
      /threads must be a positive integer/,
    );
  });

  it("checks inputShape against the model's inputSpec and names both shapes", async () => {
    const withSpec: ExportableModel = {
      ...tinyNet,
      inputSpec: { frames: 16, height: 32, width: 32, channels: 3 },
    };
    await expect(
      exportOnnx(withSpec, {
        inputShape: ['batch', 16, 112, 112, 3],
        modelName: 'former_dfer',
        preset: 'tiny',
      }),
    ).rejects.toThrow(
      "exportOnnx(former_dfer): inputShape [batch, 16, 112, 112, 3] does not match the model's input " +
        "[batch, 16, 32, 32, 3] (preset 'tiny'): height is 112, the model takes 32; width is 112, the model takes 32",
    );
    await expect(exportOnnx(withSpec, { inputShape: ['batch', 32, 32, 3], modelName: 'm' })).rejects.toThrow(
      'it has 4 dimensions, the model takes 5',
    );
    await expect(
      exportOnnx(withSpec, { inputShape: ['batch', 'frames', 32, 32, 3], modelName: 'm' }),
    ).rejects.toThrow("frames is dynamic ('frames'), the model takes 16");
    // Opting out exports at another size (the toy graph ignores the spec).
    await expect(
      exportOnnx(withSpec, { inputShape: ['batch', 6, 6, 3], modelName: 'm', checkInputSpec: false }),
    ).resolves.toMatchObject({ inputName: 'input' });
  });

  it('writes atomically and names the path (never a temporary name) when the folder is missing', async () => {
    const path = join(dir, 'missing-folder', 'model.onnx');
    await expect(
      exportOnnx(tinyNet, { inputShape: ['batch', 6, 6, 3], modelName: 'm', path }),
    ).rejects.toThrow(`cannot write ${path}: the folder ${join(dir, 'missing-folder')} does not exist`);
    const blocked = join(dir, 'blocked.onnx');
    mkdirSync(blocked);
    await expect(
      exportOnnx(tinyNet, { inputShape: ['batch', 6, 6, 3], modelName: 'm', path: blocked }),
    ).rejects.toThrow(`cannot write ${blocked}: a folder of that name exists`);
    expect(readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('fuzz: 2000 mutated and truncated model files give clear errors and never crash or hang', async () => {
    const { bytes } = await exportOnnx(tinyNet, { inputShape: ['batch', 6, 6, 3], modelName: 'tiny_net' });
    const rng = createSeededRng(99);
    const unexpected: string[] = [];
    let loaded = 0;
    let rejected = 0;
    for (let i = 0; i < 2000; i++) {
      let mutated: Uint8Array;
      if (i % 3 === 0) mutated = bytes.subarray(0, rng.int(bytes.length));
      else if (i % 3 === 1) mutated = Uint8Array.from({ length: 1 + rng.int(200) }, () => rng.int(256));
      else {
        mutated = Uint8Array.from(bytes);
        for (let k = 0, n = 1 + rng.int(3); k < n; k++) mutated[rng.int(mutated.length)] = rng.int(256);
      }
      // Every case is decoded; one in ten also goes through onnxruntime (session creation dominates the time).
      try {
        if (i % 10 === 0) {
          const session = await createSession(mutated, { threads: 1 });
          loaded++;
          await session.release();
        } else {
          readOnnxModelInfo(mutated, '<bytes>');
          loaded++;
        }
      } catch (error) {
        const message = (error as Error).message;
        if (!/^<bytes>: (not a valid ONNX model|onnxruntime cannot load the model)/.test(message))
          unexpected.push(message);
        rejected++;
      }
    }
    expect(unexpected).toEqual([]);
    expect(loaded + rejected).toBe(2000);
    expect(rejected).toBeGreaterThan(500);
  });
});
