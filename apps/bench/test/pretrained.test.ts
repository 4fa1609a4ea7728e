import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, loadWeights } from '@dfer/backbones';
import { validateConfig, type ExperimentConfigInput, type ExperimentResult } from '@dfer/trainer';
import {
  PRETRAIN_DATA_SEED,
  pretrainBackbones,
  pretrainConfig,
  pretrainedDir,
  pretrainedFileName,
  pretrainedNode,
  PRETRAINED_MODELS,
} from '../src/matrix/pretrained';
import { tempDir } from './helpers';

describe('shipped pre-trained tiny backbones', () => {
  it('every pre-training stage config validates, uses its own data seed and balanced classes; the wild stage starts from the lab checkpoint', () => {
    for (const model of PRETRAINED_MODELS) {
      const lab = pretrainConfig(model, 'lab');
      const wild = pretrainConfig(model, 'wild', { labCheckpoint: '/x/lab.safetensors' });
      for (const config of [lab, wild]) {
        expect(() => validateConfig(config)).not.toThrow();
        const data = config.data as Record<string, unknown>;
        expect(data['seed']).toBe(PRETRAIN_DATA_SEED);
        expect(data['classProportions']).toEqual([1, 1, 1, 1, 1, 1, 1]);
      }
      expect((lab.data as unknown as { nuisance: { blurSigma?: number } }).nuisance.blurSigma).toBe(0);
      expect(
        (wild.data as unknown as { nuisance: { blurSigma?: number } }).nuisance.blurSigma,
      ).toBeUndefined();
      expect(lab.model.pretrained).toBeUndefined();
      expect(wild.model.pretrained).toEqual({ path: '/x/lab.safetensors', layout: 'tfjs' });
      expect(() => pretrainConfig(model, 'wild')).toThrow(/needs the lab stage's checkpoint/);
    }
    expect(() => pretrainConfig('au_mtl')).toThrow(/no shipped file for model "au_mtl"/);
  });

  it('pretrainedNode points at the shipped file, excludes the heads, and names the command when the file is missing', () => {
    const dir = tempDir();
    expect(() => pretrainedNode('m3dfel', dir)).toThrow(/bench pretrain --models m3dfel/);
    writeFileSync(join(dir, pretrainedFileName('m3dfel')), 'x');
    expect(pretrainedNode('m3dfel', dir)).toEqual({
      path: join(dir, 'm3dfel-tiny-synthetic.safetensors'),
      layout: 'tfjs',
      exclude: ['fc.', 'AU_fc.'],
    });
    expect(pretrainedNode('mae_dfer', pretrainedDir()).exclude).toEqual(['head.', 'au_head.']);
  });

  it('the repository ships a file per model, with the SHA-256 its manifest records', () => {
    const manifest = JSON.parse(readFileSync(join(pretrainedDir(), 'manifest.json'), 'utf8')) as Record<
      string,
      { file: string; sha256: string; bytes: number }
    >;
    for (const model of PRETRAINED_MODELS) {
      const entry = manifest[model]!;
      const path = join(pretrainedDir(), entry.file);
      expect(existsSync(path)).toBe(true);
      const bytes = readFileSync(path);
      expect(bytes.length).toBe(entry.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry.sha256);
    }
  });

  it('each shipped file loads into its tiny model with a 7-class and an AU head: everything but the heads comes from the file', async () => {
    const before = tf.memory().numTensors;
    for (const model of PRETRAINED_MODELS) {
      const node = pretrainedNode(model);
      const m = createModel(model, { preset: 'tiny', numClasses: 7, auHead: 18, seed: 0 });
      const result = await loadWeights(m, node.path, { layout: 'tfjs', exclude: node.exclude });
      expect(result.loaded).toBeGreaterThan(20);
      expect(result.missingKeys.length).toBeGreaterThan(0);
      for (const key of result.missingKeys) expect(node.exclude.some((p) => key.startsWith(p))).toBe(true);
      m.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('pretrainBackbones runs lab then wild (from the lab checkpoint), copies the wild checkpoint and merges the manifest entry', async () => {
    const out = tempDir();
    const seen: ExperimentConfigInput[] = [];
    const stand = async (config: ExperimentConfigInput, options: { outputDir?: string }) => {
      seen.push(config);
      mkdirSync(join(options.outputDir!, 'fold-1'), { recursive: true });
      writeFileSync(join(options.outputDir!, 'fold-1', 'best.safetensors'), `weights of ${config.name}`);
      return {
        folds: [
          {
            selectedEpoch: 1,
            history: [{ epoch: 0 }, { epoch: 1, selection: { uar: 0.5, war: 0.6 } }],
            test: { report: { uar: 0.4, war: 0.45 } },
            trainSeconds: 3,
          },
        ],
      } as unknown as ExperimentResult;
    };
    writeFileSync(join(out, 'manifest.json'), JSON.stringify({ rdfer: { file: 'kept' } }));
    const [entry] = await pretrainBackbones(['former_dfer'], {
      outDir: out,
      report: () => undefined,
      runExperiment: stand as never,
    });
    expect(seen.map((c) => c.name)).toEqual(['pretrain_former_dfer_tiny', 'pretrain_former_dfer_tiny_wild']);
    expect(seen[1]!.model.pretrained!.path).toBe(
      join(out, '.runs', 'former_dfer', 'lab', 'fold-1', 'best.safetensors'),
    );
    const wildWeights = 'weights of pretrain_former_dfer_tiny_wild';
    expect(readFileSync(join(out, 'former_dfer-tiny-synthetic.safetensors'), 'utf8')).toBe(wildWeights);
    expect(entry!.sha256).toBe(createHash('sha256').update(wildWeights).digest('hex'));
    expect(entry!.stages.map((s) => s.stage)).toEqual(['lab', 'wild']);
    expect(entry!.stages[1]!.validation).toEqual({ uar: 0.5, war: 0.6 });
    expect(entry!.stages[1]!.heldOut).toEqual({ uar: 0.4, war: 0.45 });
    expect(entry!.stages[1]!.config.model.pretrained!.path).toBe(
      '<work-dir>/former_dfer/lab/fold-1/best.safetensors',
    );
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(manifest).sort()).toEqual(['former_dfer', 'rdfer']);
  });
});
