/**
 * Stable face ids across video frames: greedy box matching by intersection over union (IoU), as in
 * SORT (Bewley et al., 2016) without the motion model, plus a grace period for faces that leave.
 */
import type { FaceBox } from '../types';

/** Build-time options of {@link createFaceTracker}. */
export interface FaceTrackerConfig {
  /** Smallest IoU between a face and a track's last box for them to match (default 0.3). */
  readonly minIou?: number;
  /**
   * Frames a track survives without a match (default 30). A face that leaves and comes back within
   * this many frames, near where it was last seen, gets its old id back; after that it gets a new id.
   */
  readonly maxMissedFrames?: number;
  /**
   * For a track that has missed frames, the largest distance between the centres of its last box and
   * a face, in units of the track's box width, that still matches when the IoU is below `minIou`
   * (default 1): re-entering faces rarely come back at the same place.
   */
  readonly maxCentreDistance?: number;
}

/** A track's identity as assigned to one face. */
export interface TrackAssignment {
  /** Stable face id: 0, 1, 2, … in order of first appearance. */
  readonly id: number;
  /** True when this face started the track. */
  readonly isNew: boolean;
}

/** Assigns stable ids to the faces of successive frames. */
export interface FaceTracker {
  /**
   * Matches this frame's face boxes to the tracks and returns one assignment per box (same order).
   * Frames must be given in order; skipped frames count by their `frame` index.
   */
  update(frame: number, boxes: readonly FaceBox[]): TrackAssignment[];
  /** Ids of the tracks alive after the last update. */
  activeIds(): number[];
}

interface Track {
  readonly id: number;
  box: FaceBox;
  lastFrame: number;
}

/** IoU of two boxes (0 when either is empty). */
export function boxIou(a: FaceBox, b: FaceBox): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Creates a tracker. Each update pairs faces and live tracks greedily by decreasing IoU (pairs below
 * `minIou` are not used), then pairs the rest with tracks that have missed frames by increasing
 * centre distance (up to `maxCentreDistance` box widths); unpaired faces start new tracks and tracks
 * unmatched for more than `maxMissedFrames` frames end.
 *
 * @throws RangeError for a bad option, or when frames go backwards.
 */
export function createFaceTracker(config: FaceTrackerConfig = {}): FaceTracker {
  const minIou = config.minIou ?? 0.3;
  const maxMissed = config.maxMissedFrames ?? 30;
  const maxCentre = config.maxCentreDistance ?? 1;
  if (!(minIou > 0 && minIou <= 1))
    throw new RangeError(`createFaceTracker: minIou must be in (0, 1], got ${minIou}`);
  if (!(Number.isInteger(maxMissed) && maxMissed >= 0))
    throw new RangeError(`createFaceTracker: maxMissedFrames must be an integer ≥ 0, got ${maxMissed}`);
  if (!(maxCentre >= 0))
    throw new RangeError(`createFaceTracker: maxCentreDistance must be ≥ 0, got ${maxCentre}`);
  let tracks: Track[] = [];
  let nextId = 0;
  let lastFrame = -1;
  return {
    activeIds: () => tracks.map((t) => t.id),
    update(frame, boxes) {
      if (!(Number.isInteger(frame) && frame > lastFrame))
        throw new RangeError(`FaceTracker.update: frame ${frame} does not come after frame ${lastFrame}`);
      lastFrame = frame;
      tracks = tracks.filter((t) => frame - t.lastFrame <= maxMissed + 1);
      const assigned: (TrackAssignment | undefined)[] = boxes.map(() => undefined);
      const used = new Set<Track>();
      const pairs: { face: number; track: Track; iou: number }[] = [];
      boxes.forEach((box, face) => {
        for (const track of tracks) {
          const iou = boxIou(box, track.box);
          if (iou >= minIou) pairs.push({ face, track, iou });
        }
      });
      pairs.sort((a, b) => b.iou - a.iou || a.track.id - b.track.id || a.face - b.face);
      const take = (face: number, track: Track): void => {
        assigned[face] = { id: track.id, isNew: false };
        used.add(track);
        track.box = boxes[face] as FaceBox;
        track.lastFrame = frame;
      };
      for (const { face, track } of pairs)
        if (assigned[face] === undefined && !used.has(track)) take(face, track);
      // re-entry: faces left over against tracks that missed frames, by centre distance
      const centre = (b: FaceBox): [number, number] => [b.x + b.width / 2, b.y + b.height / 2];
      const far: { face: number; track: Track; distance: number }[] = [];
      boxes.forEach((box, face) => {
        if (assigned[face] !== undefined) return;
        for (const track of tracks) {
          if (used.has(track) || track.lastFrame >= frame - 1) continue;
          const [ax, ay] = centre(box);
          const [bx, by] = centre(track.box);
          const distance = Math.hypot(ax - bx, ay - by) / Math.max(track.box.width, 1e-9);
          if (distance <= maxCentre) far.push({ face, track, distance });
        }
      });
      far.sort((a, b) => a.distance - b.distance || a.track.id - b.track.id || a.face - b.face);
      for (const { face, track } of far)
        if (assigned[face] === undefined && !used.has(track)) take(face, track);
      return boxes.map((box, face) => {
        const a = assigned[face];
        if (a !== undefined) return a;
        const track: Track = { id: nextId++, box, lastFrame: frame };
        tracks.push(track);
        used.add(track);
        return { id: track.id, isNew: true };
      });
    },
  };
}
