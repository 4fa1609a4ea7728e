/**
 * The training loop every experiment type shares (expression recognition, RDFER, AU detection): one run
 * of it trains one model on one training split — a fold of an experiment, or one seed × fold of an
 * AU-detection experiment — with its folder of checkpoints, its JSON Lines log and resume after a kill.
 * The method-specific parts (the gradient half of a step, what is evaluated to select a checkpoint, what
 * a step's outputs mean) are hooks of {@link TrainingLoopSpec}.
 *
 *     <dir>/log.jsonl                 fold_start, step, epoch, skipped, fold_end records
 *     <dir>/checkpoints/epoch-NNNN/   weights, optimizer state, loop state (see `../checkpoint`)
 *     <dir>/best.safetensors          weights of the best selection score so far (with a selection hook)
 *     <dir>/fold-result.json          the finished run's result; a resumed run returns it unchanged
 */
import * as tf from '@tensorflow/tfjs-core';
import type { VideoModel } from '@dfer/backbones';
import type { ClipBatch } from '@dfer/datasets';
import { parseJsonText, readRegularFile } from '@dfer/runtime';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  assignModelWeights,
  loadLatestCheckpoint,
  loadWeights,
  modelWeights,
  saveCheckpoint,
  saveWeights,
} from '../checkpoint/checkpoint';
import { atomicWriteFile, removeOrphanedTempFiles } from '../io/atomic-write';
import { JsonlLog, truncateLogAfter, type LogRecord } from '../io/jsonl-log';
import type { NamedVariable, Optimizer } from '../optim/optimizers';
import { learningRateAt, type ScheduleConfig } from '../optim/schedules';
import type { DataParallelTrainer } from '../parallel/data-parallel';
import { applyStepUpdate, type StepGradients, type StepResult } from '../experiment/step-gradients';

/** Metrics a selection evaluation reports (e.g. `{ war, uar }`). */
export type SelectionMetrics = Readonly<Record<string, number>>;

/** One epoch of the training history. */
export interface EpochRecord<Metrics = SelectionMetrics> {
  readonly epoch: number;
  readonly lr: number;
  readonly trainLoss: number;
  readonly trainTerms: Readonly<Record<string, number>>;
  readonly steps: number;
  readonly seconds: number;
  /** Metrics of the selection split (validation, or test when selection is `test`) when evaluated. */
  readonly selection?: Metrics;
}

/** Progress of one optimizer step. */
export interface StepInfo {
  readonly fold: number;
  readonly epoch: number;
  readonly epochs: number;
  /** Step within the epoch (1-based) and the epoch's step count. */
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
}

/** The training batches of a run (a `ClipLoader` of `@dfer/datasets` is one). */
export interface TrainingLoader {
  /** Batches per epoch (the last, partial one counts). */
  readonly numBatches: number;
  epoch(epoch: number): AsyncIterable<ClipBatch>;
  /** Clips of the last epoch that could not be read and were left out (`onError: 'skip'`). */
  lastReport(): { readonly skipped: readonly { readonly reason: string }[] } | undefined;
}

/** A selection evaluation's outcome: higher `score` is better. */
export interface SelectionOutcome<Report, Metrics = SelectionMetrics> {
  readonly score: number;
  /** What the epoch record keeps (`EpochRecord.selection`). */
  readonly metrics: Metrics;
  /** Kept with the best score (in the checkpoint state too: plain JSON). */
  readonly report: Report;
  /** Appended to the epoch's progress line, e.g. `validation UAR 41.2 WAR 50.3`. */
  readonly summary: string;
}

/** The best selection score so far and where it was reached. */
export interface BestEpoch<Report> {
  readonly score: number;
  readonly epoch: number;
  readonly report: Report;
}

/** What the loop keeps in each checkpoint besides weights and optimizer state. */
interface LoopState<Report, Metrics> {
  readonly history: readonly EpochRecord<Metrics>[];
  readonly totalSteps: number;
  readonly trainSeconds: number;
  readonly best?: BestEpoch<Report>;
  readonly seed: number;
  readonly config: unknown;
  /** The method's own state (`TrainingLoopSpec.methodState`). */
  readonly method?: unknown;
}

/** Fields of a run's `fold_start` log record and the progress lines that go with them. */
export interface StartReport {
  readonly record: Readonly<Record<string, unknown>>;
  readonly lines?: readonly string[];
}

/** Where a run keeps its files and how it talks. */
export interface FoldRunnerOptions {
  /** Names the run in progress lines and errors: `fold 2`, `seed 0 fold 1`. */
  readonly label: string;
  /** Fields every log record starts with, e.g. `{ fold: 2 }`. */
  readonly logFields: Readonly<Record<string, unknown>>;
  /** The run's folder; none: nothing is written and nothing can be resumed. */
  readonly dir?: string;
  /** Continue from the latest checkpoint in `dir` (a finished run is not repeated). */
  readonly resume: boolean;
  readonly report: (line: string) => void;
}

/** The model, optimizer, data and method hooks of one training run. */
export interface TrainingLoopSpec<Report, Metrics = SelectionMetrics> {
  readonly model: VideoModel;
  readonly optimizer: Optimizer;
  readonly params: readonly NamedVariable[];
  readonly loader: TrainingLoader;
  readonly epochs: number;
  /** Stop after this many optimizer steps in all (a smoke budget). */
  readonly maxSteps?: number;
  readonly schedule: ScheduleConfig;
  readonly baseLr: number;
  readonly clipGradNorm?: number;
  /** Stored in each checkpoint's state (`seed`, `config`) so a checkpoint says what made it. */
  readonly seed: number;
  readonly config: unknown;
  /** The gradient half of a single-threaded step (the update is the loop's). */
  gradients(batch: ClipBatch, epoch: number): StepGradients;
  /** Builds the data-parallel stepper when the run uses several threads (called once, after resume). */
  createParallel?(): Promise<DataParallelTrainer | undefined>;
  /** Wraps each single-threaded step (e.g. the wasm heap guard). */
  guardStep?<T>(batchSize: number, step: () => T): T;
  /** Sees each step's outputs with its batch (e.g. RDFER's per-clip agreement). */
  onStepResult?(batch: ClipBatch, result: StepResult): void;
  /**
   * Runs before training when the run did not resume (e.g. loading pre-trained weights); what it returns is
   * added to the `fold_start` record and its lines are reported before `start.lines`.
   */
  beforeTraining?(): Promise<StartReport | undefined>;
  /** The `fold_start` record and the progress lines reported before training (after the resume check). */
  readonly start: StartReport;
  /** Appended to the `resumed after epoch …` line. */
  readonly resumeNote?: string;
  /** Evaluates a selection split every `every` epochs and after the last; the best score's weights are kept. */
  readonly selection?: {
    readonly every: number;
    evaluate(epoch: number): Promise<SelectionOutcome<Report, Metrics>>;
  };
  /** The method's own state to keep in each checkpoint, and to restore on resume. */
  readonly methodState?: { save(): unknown; restore(state: unknown): void };
  readonly onStep?: (info: StepInfo) => void;
  /** Called after each epoch's checkpoint is written (`epoch` 0-based). */
  readonly onEpochEnd?: (info: { fold: number; epoch: number; trainLoss: number }) => void;
  /** `fold` of the `onStep` / `onEpochEnd` calls. */
  readonly fold: number;
}

/** What {@link FoldRunner.train} leaves: the history, and the best epoch's weights restored when asked. */
export interface TrainingOutcome<Report, Metrics = SelectionMetrics> {
  readonly history: readonly EpochRecord<Metrics>[];
  readonly totalSteps: number;
  readonly trainSeconds: number;
  readonly best?: BestEpoch<Report>;
  /** The epoch whose weights the model now holds (the best one with `restoreBest`, else the last). */
  readonly selectedEpoch: number;
}

/** Largest `fold-result.json` read back on resume: 512 MiB. */
const FOLD_RESULT_MAX_BYTES = 536_870_912;

/**
 * One training run's folder, log, checkpoints and loop. Use: {@link finishedResult} first (a resumed
 * finished run is returned as it is), then {@link train}, the method's evaluation, then {@link finish}.
 */
export class FoldRunner<Result> {
  /** The run's log (undefined without a folder). */
  readonly log: JsonlLog | undefined;

  constructor(private readonly options: FoldRunnerOptions) {
    this.log = options.dir ? new JsonlLog(join(options.dir, 'log.jsonl')) : undefined;
  }

  /** Writes a log record starting with the run's `logFields`. */
  write(record: LogRecord): void {
    const { event, ...fields } = record;
    this.log?.write({ event, ...this.options.logFields, ...fields });
  }

  /** When resuming: the stored result of a run that already finished (reported), else `undefined`. */
  finishedResult(): Result | undefined {
    const { dir, resume, report, label } = this.options;
    if (!resume || !dir) return undefined;
    const finished = join(dir, 'fold-result.json');
    if (!existsSync(finished)) return undefined;
    report(`${label}: already finished (${finished}); not repeated`);
    return parseJsonText(
      readRegularFile(finished, { maxBytes: FOLD_RESULT_MAX_BYTES }).toString('utf8'),
      finished,
    ) as Result;
  }

  /**
   * Restores the latest checkpoint (when resuming), then trains epoch by epoch: the learning rate of the
   * schedule at each step, one optimizer step per batch (single-threaded or data-parallel), a log record per
   * step and per epoch, the selection evaluation, a checkpoint after each epoch. Ends with the best epoch's
   * weights in the model when `restoreBest` is true and a selection ran.
   */
  async train<Report, Metrics = SelectionMetrics>(
    spec: TrainingLoopSpec<Report, Metrics>,
    restoreBest: boolean,
  ): Promise<TrainingOutcome<Report, Metrics>> {
    const { dir, resume, report, label } = this.options;
    const { model, optimizer, epochs, maxSteps } = spec;
    let history: EpochRecord<Metrics>[] = [];
    let best: BestEpoch<Report> | undefined;
    let bestWeights: ReturnType<typeof modelWeights> | undefined;
    let totalSteps = 0;
    let startEpoch = 0;
    let trainSecondsBefore = 0;
    let resumedLine: string | undefined;
    if (resume && dir) {
      const checkpoint = loadLatestCheckpoint<LoopState<Report, Metrics>>(dir);
      if (checkpoint) {
        assignModelWeights(model, checkpoint.weights, `${dir} epoch ${checkpoint.epoch}`);
        optimizer.setState(checkpoint.optimizer);
        history = [...checkpoint.state.history];
        totalSteps = checkpoint.state.totalSteps;
        trainSecondsBefore = checkpoint.state.trainSeconds;
        if (checkpoint.state.best) {
          best = checkpoint.state.best;
          bestWeights = loadWeights(join(dir, 'best.safetensors')).weights;
        }
        if (checkpoint.state.method !== undefined) spec.methodState?.restore(checkpoint.state.method);
        startEpoch = checkpoint.epoch + 1;
        resumedLine = `${label}: resumed after epoch ${checkpoint.epoch + 1} (${totalSteps} steps done)`;
      }
      // The work after the checkpoint is redone: drop its log records and the temporary files of writes it left.
      truncateLogAfter(join(dir, 'log.jsonl'), { epoch: startEpoch - 1, step: totalSteps });
      removeOrphanedTempFiles(dir);
    }
    const resumed = resumedLine !== undefined;
    const before = resumed ? undefined : await spec.beforeTraining?.();
    this.write({ event: 'fold_start', ...spec.start.record, ...before?.record });
    for (const line of [...(before?.lines ?? []), ...(spec.start.lines ?? [])]) report(line);
    if (resumedLine !== undefined) report(resumedLine + (spec.resumeNote ?? ''));
    const started = Date.now();
    const parallel = await spec.createParallel?.();
    if (parallel) report(`${label}: data-parallel training on ${parallel.workers} threads`);
    try {
      const stepsPerEpoch = spec.loader.numBatches;
      for (let epoch = startEpoch; epoch < epochs; epoch++) {
        if (maxSteps !== undefined && totalSteps >= maxSteps) break;
        const t0 = Date.now();
        let lossSum = 0;
        const termSums: Record<string, number> = {};
        let steps = 0;
        let lr = 0;
        for await (const batch of spec.loader.epoch(epoch)) {
          if (maxSteps !== undefined && totalSteps >= maxSteps) break;
          lr = learningRateAt(spec.schedule, spec.baseLr, epoch + steps / stepsPerEpoch, epochs);
          const out = await this.step(spec, parallel, batch, lr, epoch);
          spec.onStepResult?.(batch, out);
          lossSum += out.loss;
          for (const [k, v] of Object.entries(out.terms)) termSums[k] = (termSums[k] ?? 0) + v;
          steps += 1;
          totalSteps += 1;
          this.write({ event: 'step', epoch, step: totalSteps, lr, loss: out.loss, terms: out.terms });
          spec.onStep?.({
            fold: spec.fold,
            epoch,
            epochs,
            step: steps,
            steps: stepsPerEpoch,
            loss: out.loss,
          });
        }
        const unreadable = spec.loader.lastReport()?.skipped ?? [];
        if (unreadable.length > 0) {
          report(
            `${label} epoch ${epoch + 1}: ${unreadable.length} training clip(s) could not be decoded and were left out (data.onError "skip"): ` +
              unreadable
                .slice(0, 3)
                .map((u) => u.reason)
                .join('; '),
          );
          this.write({ event: 'skipped', epoch, clips: unreadable });
        }
        const record: EpochRecord<Metrics> = {
          epoch,
          lr,
          trainLoss: steps ? lossSum / steps : NaN,
          trainTerms: Object.fromEntries(
            Object.entries(termSums).map(([k, v]) => [k, v / Math.max(steps, 1)]),
          ),
          steps,
          seconds: (Date.now() - t0) / 1000,
        };
        let selected: SelectionOutcome<Report, Metrics> | undefined;
        if (spec.selection && ((epoch + 1) % spec.selection.every === 0 || epoch === epochs - 1)) {
          selected = await spec.selection.evaluate(epoch);
          if (!best || selected.score > best.score) {
            best = { score: selected.score, epoch, report: selected.report };
            bestWeights = modelWeights(model);
            if (dir) saveWeights(join(dir, 'best.safetensors'), model, { epoch: String(epoch) });
          }
        }
        const full: EpochRecord<Metrics> = selected ? { ...record, selection: selected.metrics } : record;
        history.push(full);
        this.write({ event: 'epoch', ...full });
        report(
          `${label} epoch ${epoch + 1}/${epochs}: loss ${full.trainLoss.toFixed(4)}` +
            (Object.keys(full.trainTerms).length > 1
              ? ` (${Object.entries(full.trainTerms)
                  .map(([k, v]) => `${k} ${v.toFixed(4)}`)
                  .join(', ')})`
              : '') +
            (selected ? `, ${selected.summary}` : '') +
            ` (${full.seconds.toFixed(1)} s)`,
        );
        if (dir) {
          const method = spec.methodState?.save();
          const state: LoopState<Report, Metrics> = {
            history,
            totalSteps,
            trainSeconds: trainSecondsBefore + (Date.now() - started) / 1000,
            ...(best ? { best } : {}),
            seed: spec.seed,
            config: spec.config,
            ...(method !== undefined ? { method } : {}),
          };
          saveCheckpoint(dir, { epoch, model, optimizer: optimizer.getState(), state });
        }
        spec.onEpochEnd?.({ fold: spec.fold, epoch, trainLoss: full.trainLoss });
      }
    } finally {
      await parallel?.dispose();
    }
    const trainSeconds = trainSecondsBefore + (Date.now() - started) / 1000;
    let selectedEpoch = history.length - 1;
    if (restoreBest && best && bestWeights) {
      assignModelWeights(model, bestWeights, 'selected weights');
      selectedEpoch = best.epoch;
    }
    return { history, totalSteps, trainSeconds, ...(best ? { best } : {}), selectedEpoch };
  }

  /** Writes the finished run's result (`fold-result.json`) and the `fold_end` record. */
  finish(result: Result, endRecord: Readonly<Record<string, unknown>>): void {
    const { dir } = this.options;
    if (dir) atomicWriteFile(join(dir, 'fold-result.json'), `${JSON.stringify(result)}\n`);
    this.write({ event: 'fold_end', ...endRecord });
  }

  /** One optimizer step: data-parallel, or the gradient hook then the update on this thread. */
  private async step<Report, Metrics>(
    spec: TrainingLoopSpec<Report, Metrics>,
    parallel: DataParallelTrainer | undefined,
    batch: ClipBatch,
    lr: number,
    epoch: number,
  ): Promise<StepResult> {
    try {
      if (parallel) {
        return await parallel.step(batch, {
          lr,
          ...(spec.clipGradNorm !== undefined ? { clipGradNorm: spec.clipGradNorm } : {}),
          epoch,
        });
      }
      const run = (): StepResult => {
        const g = spec.gradients(batch, epoch);
        try {
          applyStepUpdate(spec.optimizer, g.grads, lr, spec.clipGradNorm);
        } finally {
          tf.dispose(Object.values(g.grads));
        }
        return { loss: g.loss, terms: g.terms, ...(g.agreement ? { agreement: g.agreement } : {}) };
      };
      return spec.guardStep ? spec.guardStep(batch.labels.length, run) : run();
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('training diverged'))
        error.message += ` (${this.options.label}, epoch ${epoch + 1})`;
      throw error;
    }
  }
}
