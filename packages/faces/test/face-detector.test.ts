import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describeWithSharedFiles } from '@dfer/test-utils';
import { createFaceDetector, EXPRESSION_LABELS, MESH_POINT_COUNT, readImageFrame } from '@dfer/faces';

describeWithSharedFiles(
  'createFaceDetector on the shared photos',
  ['media/single_face.jpg', 'media/multi_face.jpg'],
  (single, multi) => {
    it('finds the one face of single_face.jpg with 478 landmarks inside its box', async () => {
      const detector = await createFaceDetector();
      expect(detector.info.backend).toBe('wasm');
      const frame = await readImageFrame(single);
      const faces = await detector.detect(frame);
      expect(faces).toHaveLength(1);
      const face = faces[0]!;
      expect(face.landmarks).toHaveLength(MESH_POINT_COUNT * 3);
      expect(face.score).toBeGreaterThan(0.8);
      // positions read by eye from the 572×562 photo: eye centres, nose tip, mouth corners (±15 px);
      // mesh indices of MediaPipe's topology: 33/133 and 362/263 eye corners, 1 nose tip, 61/291 mouth corners
      const at = (i: number): [number, number] => [face.landmarks[3 * i]!, face.landmarks[3 * i + 1]!];
      const mid = (a: number, b: number): [number, number] => [
        (at(a)[0] + at(b)[0]) / 2,
        (at(a)[1] + at(b)[1]) / 2,
      ];
      const near = (p: [number, number], q: [number, number]): void => {
        expect(Math.hypot(p[0] - q[0], p[1] - q[1])).toBeLessThan(15);
      };
      near(mid(33, 133), [230, 245]);
      near(mid(362, 263), [315, 245]);
      near(at(1), [270, 295]);
      near(at(61), [240, 330]);
      near(at(291), [315, 328]);
      let inside = 0;
      for (let i = 0; i < MESH_POINT_COUNT; i++) {
        const x = face.landmarks[3 * i]!;
        const y = face.landmarks[3 * i + 1]!;
        if (
          x >= face.box.x - 1 &&
          x <= face.box.x + face.box.width + 1 &&
          y >= face.box.y - 1 &&
          y <= face.box.y + face.box.height + 1
        )
          inside++;
      }
      expect(inside).toBe(MESH_POINT_COUNT);
      const fer = face.fer!;
      expect(fer.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
      // a broad smile: the FER2013 classifier says happy
      expect(EXPRESSION_LABELS[fer.indexOf(Math.max(...fer))]).toBe('happy');
    });

    it('finds the five faces of multi_face.jpg (counted by eye), left to right', async () => {
      const detector = await createFaceDetector({ expression: false });
      const faces = await detector.detect(await readImageFrame(multi));
      expect(faces).toHaveLength(5);
      const xs = faces.map((f) => f.box.x);
      expect([...xs].sort((a, b) => a - b)).toEqual(xs);
      expect(faces.every((f) => f.fer === undefined)).toBe(true);
    });

    it('leaks no tensor', async () => {
      const detector = await createFaceDetector();
      const frame = await readImageFrame(multi);
      await detector.detect(frame); // models and kernels initialised
      const before = tf.memory().numTensors;
      await detector.detect(frame);
      await detector.detect(frame);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('runs on wasm even when the process switched tfjs to another backend, and switches back', async () => {
      const detector = await createFaceDetector({ expression: false });
      const frame = await readImageFrame(single);
      const onWasm = await detector.detect(frame);
      await tf.setBackend('cpu');
      try {
        const t0 = performance.now();
        const again = await detector.detect(frame);
        const ms = performance.now() - t0;
        expect(tf.getBackend()).toBe('cpu');
        expect(Array.from(again[0]!.landmarks)).toEqual(Array.from(onWasm[0]!.landmarks));
        // the cpu backend takes seconds for this photo; wasm well under one
        expect(ms).toBeLessThan(3000);
      } finally {
        await tf.setBackend('wasm');
      }
    });

    it('refuses a frame whose byte count does not match its size', async () => {
      const detector = await createFaceDetector();
      await expect(detector.detect({ data: new Uint8Array(10), width: 4, height: 4 })).rejects.toThrow(
        /frame.data has 10 bytes; a 4×4 RGB frame has 48/,
      );
    });
  },
);
