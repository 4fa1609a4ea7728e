// Classify the expression of a face video with a model exported by `dfer export-onnx`.
// Usage: npx tsx docs/examples/classify-video.ts model.onnx face-video.mp4
// The video should show a cropped face, like the training clips (DFEW's clips are face crops).
import { readFileSync } from 'node:fs';
import { decodeVideo, probeVideo } from '@dfer/datasets/media';
import { createSession, readDferModelSpec, readOnnxModelInfo, runSession } from '@dfer/runtime';
import { defaultSampler } from '@dfer/trainer';

async function main(): Promise<void> {
  const [modelFile, videoFile] = process.argv.slice(2);
  if (!modelFile || !videoFile) throw new Error('usage: classify-video.ts <model.onnx> <face-video>');

  // What the exporter wrote into the file: model name, labels, clip size [T, H, W], normalisation (checked:
  // an ONNX file without dfer metadata is an error that says so).
  const spec = readDferModelSpec(readOnnxModelInfo(readFileSync(modelFile), modelFile), modelFile);
  const { frames, height, width, mean, std } = spec;

  // The frames the trainer scores a test clip with (deterministic test-mode sampling of that model).
  const { numFrames } = await probeVideo(videoFile);
  const indices = defaultSampler(spec.model, frames).sample(numFrames, { mode: 'test' });
  const clip = await decodeVideo(videoFile, { size: [height, width], frameIndices: indices }); // RGB in [0, 1]
  const data = Float32Array.from(clip.data, (v, i) => (v - mean[i % 3]!) / std[i % 3]!);

  const session = await createSession(modelFile, { threads: 1 });
  const out = await runSession(session, { [spec.inputName]: { data, dims: [1, frames, height, width, 3] } });
  await session.release();
  const logits = out[spec.logitsName]!.data as Float32Array;
  const max = Math.max(...logits);
  const exp = Array.from(logits, (z) => Math.exp(z - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  const ranked = spec.labels.map((label, c) => ({ label, p: exp[c]! / sum })).sort((a, b) => b.p - a.p);
  console.log(`${videoFile}: ${numFrames} frames, ${frames} sampled, model ${spec.model} (${spec.preset})`);
  for (const { label, p } of ranked.slice(0, 3)) console.log(`  ${label.padEnd(8)} ${p.toFixed(3)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
