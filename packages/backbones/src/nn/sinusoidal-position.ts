/** Fixed 1-D sinusoidal position table of the Transformer, as MAE-DFER / VideoMAE use it. */

/**
 * The `[numPositions, dim]` table (row-major) of fixed sinusoidal positions, interleaved as in
 * VideoMAE's and MAE-DFER's `get_sinusoid_encoding_table` (reference/mae-dfer.md §2):
 *
 *   angle(pos, j) = pos / 10000^(2·⌊j/2⌋ / dim),
 *   table[pos, j] = sin(angle(pos, j)) for even j, cos(angle(pos, j)) for odd j.
 *
 * Computed in float64 and rounded to float32, as the official code does (numpy float64 → float32).
 * Not learnable and not part of any state dict.
 *
 * @param numPositions - number of positions (tokens), a positive integer
 * @param dim - embedding width, a positive integer
 */
export function sinusoidPositionTable(numPositions: number, dim: number): Float32Array {
  for (const [name, v] of [
    ['numPositions', numPositions],
    ['dim', dim],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`sinusoidPositionTable: ${name} must be a positive integer, got ${v}`);
    }
  }
  const table = new Float32Array(numPositions * dim);
  const denominator = new Float64Array(dim);
  for (let j = 0; j < dim; j++) denominator[j] = Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
  for (let pos = 0; pos < numPositions; pos++) {
    for (let j = 0; j < dim; j++) {
      const angle = pos / (denominator[j] as number);
      table[pos * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return table;
}
