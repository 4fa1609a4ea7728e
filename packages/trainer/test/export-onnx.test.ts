import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession, runSession } from '@dfer/runtime';
import { argmaxRows } from '../src/metrics/classification';
import { buildCli, defaultSampler, evaluateRun, exportRunToOnnx, restoreRun, runExperiment } from '../src';
import { createClipLoader, createTestTransform } from '@dfer/datasets';

// The fastest tiny base model, trained for two steps: enough to have non-initial weights to export.
const config = {
  name: 'mae_tiny_export',
  seed: 5,
  engine: { backend: 'wasm' as const },
  data: { type: 'synthetic_dfer', numClips: 24, numIdentities: 6, size: [64, 64], testFolds: 3 },
  model: { type: 'mae_dfer', preset: 'tiny', auHead: true },
  loss: { type: 'au_dfer' },
  optim: { type: 'adamw' as const, lr: 1e-3 },
  train: { epochs: 1, batchSize: 4, maxSteps: 2, evalBatchSize: 8 },
  evaluation: { selection: 'last' as const },
};

describe('checkpoint → ONNX', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dfer-onnx-'));
    await runExperiment(config, { outputDir: dir, report: () => undefined });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the exported model predicts the same classes as the tfjs model on every test clip', async () => {
    const foldDir = join(dir, 'fold-1');
    const onnxPath = join(dir, 'model.onnx');
    const exported = await exportRunToOnnx(foldDir, { path: onnxPath, weights: 'latest' });
    expect(existsSync(onnxPath)).toBe(true);
    expect(exported.metadata['dfer.model']).toBe('mae_dfer');
    expect(JSON.parse(exported.metadata['dfer.labels']!)).toEqual([
      'happy',
      'sad',
      'neutral',
      'angry',
      'surprise',
      'disgust',
      'fear',
    ]);

    const tfjs = await evaluateRun(foldDir, { weights: 'latest' });
    const run = await restoreRun(foldDir, 'latest');
    const spec = run.model.inputSpec;
    const session = await createSession(onnxPath);
    const predictions: number[] = [];
    const loader = createClipLoader({
      dataset: run.splits.test,
      sampler: defaultSampler('mae_dfer', spec.frames),
      transform: createTestTransform({
        height: spec.height,
        width: spec.width,
        mean: spec.mean,
        std: spec.std,
      }),
      mode: 'test',
      batchSize: 8,
      seed: run.config.seed,
    });
    for await (const batch of loader.epoch(0)) {
      const out = await runSession(session, { input: { data: batch.frames, dims: [...batch.shape] } });
      const logits = out.logits ?? Object.values(out)[0]!;
      predictions.push(...argmaxRows(logits.data, run.model.numClasses));
    }
    run.model.dispose();
    await session.release();
    expect(predictions).toHaveLength(tfjs.predictions.length);
    expect(predictions).toEqual(tfjs.predictions);
  });

  it('dfer export-onnx creates the folder of --out when it is missing', async () => {
    const out = join(dir, 'new', 'nested', 'model.onnx');
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await buildCli().parseAsync([
        'node',
        'dfer',
        'export-onnx',
        join(dir, 'fold-1'),
        '--out',
        out,
        '--weights',
        'latest',
      ]);
    } finally {
      log.mockRestore();
    }
    expect(existsSync(out)).toBe(true);
  });
});
