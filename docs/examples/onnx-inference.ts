// @dfer/runtime alone: build a small ONNX graph, save it, read its metadata back and run it with
// onnxruntime-node. The same createSession / runSession calls run a model written by `dfer export-onnx`.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession, OnnxGraph, onnxAttr, readOnnxModelInfo, runSession } from '@dfer/runtime';

async function main(): Promise<void> {
  // logits = x · Wᵀ + b with W stored [out, in] as in PyTorch, then probabilities = softmax(logits).
  const graph = new OnnxGraph('tiny_classifier');
  const x = graph.addInput('input', ['batch', 3]); // 'batch' is a dynamic dimension
  const w = graph.addInitializer('fc.weight', new Float32Array([1, 2, 3, -1, 0, 1]), [2, 3]);
  const b = graph.addInitializer('fc.bias', new Float32Array([0.5, -0.5]), [2]);
  const logits = graph.addNode('Gemm', [x, w, b], { transB: onnxAttr.int(1) });
  graph.addOutput(logits, 'logits', ['batch', 2]);
  graph.addOutput(graph.addNode('Softmax', [logits], { axis: onnxAttr.int(-1) }), 'probabilities', [
    'batch',
    2,
  ]);
  graph.setMetadata('dfer.labels', JSON.stringify(['smile', 'frown']));

  const file = join(tmpdir(), 'dfer-docs-tiny-classifier.onnx');
  writeFileSync(file, graph.toBytes());
  const info = readOnnxModelInfo(graph.toBytes(), file);
  console.log(
    `opset ${info.opset}, inputs ${info.inputs.map((i) => i.name)}, outputs ${info.outputs.map((o) => o.name)}`,
  );
  const labels = JSON.parse(info.metadata['dfer.labels']!) as string[];

  const session = await createSession(file, { threads: 1 });
  const out = await runSession(session, {
    input: { data: new Float32Array([1, 1, 1, 0, 0, 1]), dims: [2, 3] }, // a batch of two
  });
  const probs = out.probabilities!.data as Float32Array;
  console.log('logits:', Array.from(out.logits!.data as Float32Array));
  for (let i = 0; i < 2; i++)
    console.log(
      `sample ${i}: ${labels[probs[2 * i]! > probs[2 * i + 1]! ? 0 : 1]} (${probs[2 * i]!.toFixed(4)})`,
    );
  await session.release();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
