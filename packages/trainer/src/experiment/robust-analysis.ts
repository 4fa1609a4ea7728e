import type { ClipBatch } from '@dfer/datasets';
import { scoreNoisyDetection, type NoisyDetectionScore } from '@dfer/losses';
import type { StepResult } from './step-gradients';

/** Per-sample outputs of the clip-agreement weighting (RDFER), for analysis. */
export interface RobustFoldOutput {
  readonly clips: number;
  /** Partition counts of the last epoch. */
  readonly counts: {
    readonly easy: number;
    readonly hard: number;
    readonly noisy: number;
    readonly relabelled: number;
  };
  readonly perSample: readonly {
    readonly id: string;
    readonly label: number;
    /** The clean label, when the dataset knows it (synthetic data). */
    readonly trueLabel?: number;
    readonly agreement: number;
    readonly partition: 'easy' | 'hard' | 'noisy';
    readonly weight: number;
  }[];
  /** Noisy-sample detection against the true labels, when every training clip has one. */
  readonly noisyDetection?: NoisyDetectionScore;
}

/** The latest clip-agreement analysis of one training clip. */
interface ClipAnalysis {
  readonly id: string;
  readonly label: number;
  readonly trueLabel?: number;
  readonly agreement: number;
  /** 0 easy, 1 hard, 2 noisy. */
  readonly partition: number;
  readonly weight: number;
  readonly relabelled: boolean;
}

const PARTITIONS = ['easy', 'hard', 'noisy'] as const;

/**
 * Keeps the latest clip-agreement analysis of every training clip (by dataset index) from the steps'
 * outputs, and sums it up as a fold's {@link RobustFoldOutput}. Its state is plain JSON, kept in the
 * training checkpoints so that a resumed run reports the same analysis.
 */
export class ClipAgreementRecorder {
  private readonly latest = new Map<number, ClipAnalysis>();

  constructor(private readonly clips: number) {}

  /** Records the analysis of a step's clips (a step without one is ignored). */
  record(batch: ClipBatch, out: StepResult): void {
    if (!out.agreement) return;
    const a = out.agreement.analysis;
    batch.indices.forEach((index, b) => {
      const trueLabel = (batch.meta[b] as { trueLabel?: unknown } | undefined)?.trueLabel;
      this.latest.set(index, {
        id: batch.ids[b]!,
        label: batch.labels[b]!,
        ...(typeof trueLabel === 'number' ? { trueLabel } : {}),
        agreement: a.agreement[b]!,
        partition: a.partition[b]!,
        weight: a.weights[b]!,
        relabelled: a.relabel[b] !== batch.labels[b],
      });
    });
  }

  /** The recorded analyses as `[index, analysis]` pairs (checkpoint state). */
  save(): unknown {
    return [...this.latest.entries()];
  }

  /** Restores what {@link save} returned. */
  restore(state: unknown): void {
    if (!Array.isArray(state))
      throw new Error('checkpoint state "method": expected the clip analyses as an array');
    this.latest.clear();
    for (const [index, analysis] of state as [number, ClipAnalysis][]) this.latest.set(index, analysis);
  }

  /** The fold's output, or undefined when no step was analysed. */
  output(): RobustFoldOutput | undefined {
    if (this.latest.size === 0) return undefined;
    const samples = [...this.latest.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
    const counts = { easy: 0, hard: 0, noisy: 0, relabelled: 0 };
    for (const v of samples) {
      counts[PARTITIONS[v.partition]!] += 1;
      if (v.relabelled) counts.relabelled += 1;
    }
    const withTruth = samples.every((v) => v.trueLabel !== undefined);
    return {
      clips: this.clips,
      counts,
      perSample: samples.map((v) => ({
        id: v.id,
        label: v.label,
        ...(v.trueLabel !== undefined ? { trueLabel: v.trueLabel } : {}),
        agreement: v.agreement,
        partition: PARTITIONS[v.partition]!,
        weight: v.weight,
      })),
      ...(withTruth
        ? {
            noisyDetection: scoreNoisyDetection({
              flagged: Uint8Array.from(samples.map((v) => v.partition)),
              observedLabels: samples.map((v) => v.label),
              trueLabels: samples.map((v) => v.trueLabel!),
            }),
          }
        : {}),
    };
  }
}
