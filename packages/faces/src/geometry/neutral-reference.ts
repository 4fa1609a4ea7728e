/**
 * {@link GEOMETRY_FEATURES} of a neutral face: MediaPipe's canonical face model
 * (`mediapipe/modules/face_geometry/data/canonical_face_model.obj`, Apache-2.0; the mean face the
 * face-mesh model's topology is defined on), projected orthographically onto the image plane from the
 * front (image x = model x, image y = −model y) and measured with {@link measureFaceGeometry}.
 * `test/au-geometry.test.ts` recomputes these values from the model's vertices
 * (`test/fixtures/canonical-face-points.json`).
 *
 * It is a model face, not a measured population mean of this detector's output: on the one near-neutral
 * real face of the shared photos the detector's mouth is 0.15 IOD wider and its brows 0.08 IOD further
 * apart (package README).
 */
import { GEOMETRY_FEATURES } from './face-geometry';

export const NEUTRAL_REFERENCE: readonly number[] = [
  0.309799, 0.346579, 0.229038, 0.415178, 0.053747, 0.052544, 0.10629, 0.527772, 0.68845, 0.209032, 0.779464,
  -0.011774, 0.223848, 0.086947, 1.908512, 0.64076,
];

if (NEUTRAL_REFERENCE.length !== GEOMETRY_FEATURES.length)
  throw new Error('NEUTRAL_REFERENCE must have one value per geometry feature');
