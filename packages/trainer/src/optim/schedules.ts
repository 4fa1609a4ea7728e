/**
 * Learning-rate schedules as pure functions of the epoch (fractional epochs allowed for per-step updates).
 *
 * - `cosine` with linear warm-up (M3DFEL / MAE-DFER recipes; timm `CosineLRScheduler` without restarts):
 *   during warm-up (e < W): lr = warmupLr + (base − warmupLr)·e/W;
 *   after: lr = minLr + ½(base − minLr)(1 + cos(π·(e − W)/(E − W))).
 * - `step` (PyTorch `StepLR`, Former-DFER's recipe): lr = base · γ^⌊e / stepSize⌋.
 * - `constant`: lr = base.
 */
export type ScheduleConfig =
  | {
      readonly type: 'cosine';
      readonly warmupEpochs?: number;
      readonly warmupLr?: number;
      readonly minLr?: number;
    }
  | { readonly type: 'step'; readonly stepSize: number; readonly gamma?: number }
  | { readonly type: 'constant' };

/** The learning rate at `epoch` (0-based, fractional allowed) of a run of `totalEpochs` epochs. */
export function learningRateAt(
  schedule: ScheduleConfig,
  baseLr: number,
  epoch: number,
  totalEpochs: number,
): number {
  if (epoch < 0) throw new RangeError(`epoch = ${epoch}: expected ≥ 0`);
  switch (schedule.type) {
    case 'constant':
      return baseLr;
    case 'step': {
      if (!(schedule.stepSize > 0))
        throw new RangeError(`schedule.stepSize = ${schedule.stepSize}: expected > 0`);
      return baseLr * Math.pow(schedule.gamma ?? 0.1, Math.floor(epoch / schedule.stepSize));
    }
    case 'cosine': {
      const W = schedule.warmupEpochs ?? 0;
      const minLr = schedule.minLr ?? 0;
      const warmupLr = schedule.warmupLr ?? 0;
      if (W > 0 && epoch < W) return warmupLr + ((baseLr - warmupLr) * epoch) / W;
      const span = Math.max(totalEpochs - W, 1e-12);
      const progress = Math.min((epoch - W) / span, 1);
      return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * progress));
    }
  }
}
