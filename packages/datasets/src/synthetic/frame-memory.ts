/** A byte-budgeted in-memory cache of rendered frames (least recently used dropped first). */

/**
 * Frames kept in memory up to a byte budget, least recently used dropped first (a Map keeps insertion
 * order; a recalled frame moves to the end).
 */
export class FrameMemory {
  private readonly frames = new Map<string, Uint8Array>();
  private bytes = 0;

  constructor(private readonly budget: number) {}

  /** Copies the frame stored under `key` into `out`; false when there is none. */
  recall(key: string, out: Uint8Array): boolean {
    const frame = this.frames.get(key);
    if (frame === undefined) return false;
    this.frames.delete(key);
    this.frames.set(key, frame);
    out.set(frame);
    return true;
  }

  /** Stores a copy of `frame` under `key` when it fits the budget, dropping the oldest frames as needed. */
  remember(key: string, frame: Uint8Array): void {
    if (frame.length > this.budget) return;
    this.frames.set(key, frame.slice());
    this.bytes += frame.length;
    for (const [oldKey, old] of this.frames) {
      if (this.bytes <= this.budget) break;
      this.frames.delete(oldKey);
      this.bytes -= old.length;
    }
  }
}
