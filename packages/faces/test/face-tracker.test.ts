import { boxIou, createFaceTracker } from '@dfer/faces';

const box = (x: number, y: number, w = 100, h = 100) => ({ x, y, width: w, height: h });

describe('boxIou', () => {
  it('matches hand-computed overlaps', () => {
    expect(boxIou(box(0, 0), box(0, 0))).toBe(1);
    // overlap 50 × 100 = 5000; union 20000 − 5000 = 15000
    expect(boxIou(box(0, 0), box(50, 0))).toBeCloseTo(1 / 3, 12);
    expect(boxIou(box(0, 0), box(200, 0))).toBe(0);
    expect(boxIou(box(0, 0, 0, 0), box(0, 0, 0, 0))).toBe(0);
  });
});

describe('createFaceTracker', () => {
  it('keeps ids of two people who move, whatever the detection order', () => {
    const tracker = createFaceTracker();
    expect(tracker.update(0, [box(0, 0), box(300, 0)])).toEqual([
      { id: 0, isNew: true },
      { id: 1, isNew: true },
    ]);
    // the detector lists them in the other order and both moved 20 px
    expect(tracker.update(1, [box(320, 5), box(20, 5)]).map((a) => a.id)).toEqual([1, 0]);
    expect(tracker.update(2, [box(40, 10), box(340, 10)]).map((a) => a.id)).toEqual([0, 1]);
  });

  it('gives a face that leaves and comes back within maxMissedFrames its old id, later a new one', () => {
    const tracker = createFaceTracker({ maxMissedFrames: 5 });
    tracker.update(0, [box(100, 100)]);
    tracker.update(1, []);
    tracker.update(2, []);
    // back after 2 missed frames, 60 px away (IoU 0.25 < 0.3, centre distance 0.6 box widths ≤ 1)
    expect(tracker.update(3, [box(160, 100)])).toEqual([{ id: 0, isNew: false }]);
    for (let f = 4; f <= 10; f++) tracker.update(f, []);
    expect(tracker.activeIds()).toEqual([]);
    expect(tracker.update(11, [box(160, 100)])).toEqual([{ id: 1, isNew: true }]);
  });

  it('does not hand a live track to a far-away newcomer', () => {
    const tracker = createFaceTracker();
    tracker.update(0, [box(0, 0)]);
    expect(tracker.update(1, [box(0, 0), box(500, 0)]).map((a) => a.id)).toEqual([0, 1]);
    // both tracks were seen in frame 1; listed in the other order, each face keeps its own id
    expect(tracker.update(2, [box(500, 0), box(5, 0)]).map((a) => a.id)).toEqual([1, 0]);
  });

  it('counts skipped frames by index and refuses frames that go backwards', () => {
    const tracker = createFaceTracker({ maxMissedFrames: 3 });
    tracker.update(0, [box(0, 0)]);
    expect(tracker.update(10, [box(0, 0)])).toEqual([{ id: 1, isNew: true }]);
    expect(() => tracker.update(10, [])).toThrow(/frame 10 does not come after frame 10/);
    expect(() => createFaceTracker({ minIou: 0 })).toThrow(/minIou must be in \(0, 1\]/);
  });
});
