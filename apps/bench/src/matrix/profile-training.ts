/** Training settings shared by every cell of a profile. */
export interface ProfileTraining {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly warmupEpochs: number;
  readonly evalEvery: number;
  /**
   * Threads of each cell's training (`train.workers` of `@dfer/trainer`: data-parallel on worker threads);
   * default 1. The pool then runs at most ⌊cores ÷ workers⌋ cells at a time (`runMatrix`).
   */
  readonly workers?: number;
}
