/**
 * The native module of this package, loaded on first use: sharp (libvips) encodes the face crops of
 * `prepareFaceClip` (JPEG) and the thumbnails of the analysis report (PNG). Importing `@dfer/faces` does
 * not load it. (Decoding images goes through `@dfer/datasets`, which loads its own sharp on first use; the
 * face models of `@vladmandic/human` load at the first `createFaceDetector`.)
 */
import { lazyModule } from '@dfer/runtime';
import type Sharp from 'sharp';

/** sharp, required on the first call (then cached); a clear error naming sharp when it cannot be loaded. */
export const loadSharp: () => typeof Sharp = lazyModule(
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  () => require('sharp') as typeof Sharp,
  {
    name: 'sharp',
    neededBy: '@dfer/faces',
    purpose: 'encoding face crops (JPEG) and report thumbnails (PNG)',
  },
);
