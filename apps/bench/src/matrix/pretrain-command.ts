import { type Command, InvalidArgumentError, Option } from 'commander';
import { pretrainBackbones, pretrainedDir, PRETRAINED_MODELS } from './pretrained';

/** Adds `bench pretrain`: re-create the shipped pre-trained `tiny` backbones and their manifest. */
export function addPretrainCommand(program: Command): void {
  program
    .command('pretrain')
    .description(
      'pre-train the tiny backbones the bench profiles start from (synthetic identities of their own data seed) and write them with manifest.json',
    )
    .option('--models <list>', 'comma-separated models', PRETRAINED_MODELS.join(','))
    .option('--out <dir>', 'output folder', pretrainedDir())
    .option(
      '--work-dir <dir>',
      'folder of the trainer runs, one sub-folder per model (default <out>/.runs); a finished run there is reused, an interrupted one resumed',
    )
    .addOption(
      new Option('--engine <backend>', 'tfjs backend').choices(['auto', 'wasm', 'cpu']).default('wasm'),
    )
    .action(
      async (opts: { models: string; out: string; workDir?: string; engine: 'auto' | 'wasm' | 'cpu' }) => {
        const models = opts.models
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        for (const m of models) {
          if (!(PRETRAINED_MODELS as readonly string[]).includes(m))
            throw new InvalidArgumentError(`--models: "${m}" is not one of ${PRETRAINED_MODELS.join(', ')}`);
        }
        const entries = await pretrainBackbones(models, {
          outDir: opts.out,
          engine: opts.engine,
          ...(opts.workDir ? { workDir: opts.workDir } : {}),
        });
        for (const e of entries) {
          process.stdout.write(
            `${e.model}: ${e.file} (${e.bytes} bytes, sha256 ${e.sha256.slice(0, 12)}…); held-out UAR ${e.stages.map((s) => `${s.stage} ${(s.heldOut.uar * 100).toFixed(1)} %`).join(', ')}\n`,
          );
        }
      },
    );
}
