/**
 * Zero-shot expression probabilities from AU estimates, through the AU–expression prior of
 * `@dfer/au-knowledge`.
 */
import { priorMatrix, scoreExpressions, type PriorMatrix } from '@dfer/au-knowledge';
import { EXPRESSION_LABELS } from '../detection/face-detector';
import { GEOMETRY_AUS } from '../geometry/au-estimates';

let dfewPrior: PriorMatrix | undefined;

/**
 * P(expression | AUs) for one frame: `scoreExpressions` of `@dfer/au-knowledge` with the AU-DFER DFEW
 * prior (`priorMatrix({ source: 'dfew' })`), a uniform class prior, and soft AU evidence
 * q = intensity / 5 for each AU of {@link GEOMETRY_AUS}; prior AUs that geometry does not estimate
 * (AU14, AU28) are left out of the sum. Returns probabilities in {@link EXPRESSION_LABELS} order.
 *
 * @param intensities - AU intensities 0–5 in {@link GEOMETRY_AUS} order.
 */
export function priorExpression(intensities: ArrayLike<number>): Float64Array {
  if (intensities.length !== GEOMETRY_AUS.length)
    throw new RangeError(
      `priorExpression: ${intensities.length} intensities, expected ${GEOMETRY_AUS.length} (${GEOMETRY_AUS.join(', ')})`,
    );
  dfewPrior ??= priorMatrix({ source: 'dfew' });
  const q = Float64Array.from(intensities, (v) => v / 5);
  const scores = scoreExpressions(q, { aus: GEOMETRY_AUS, prior: dfewPrior, unmatchedAus: 'ignore' });
  return Float64Array.from(
    EXPRESSION_LABELS,
    (label) => scores.probabilities[scores.labels.indexOf(label)] as number,
  );
}
