import type { FeatureSequence } from './features';

export interface DtwOptions {
  /** Sequences whose lengths differ by more than this factor are not compared (Infinity). */
  maxLengthRatio: number;
  /** Half-width of the band around the (length-scaled) diagonal, as a fraction of the longer sequence. */
  bandFraction: number;
}

// Globals read once: inside a vm context (Jest) every global lookup in a hot loop is slow.
const { sqrt, min, max, floor, ceil } = Math;
const INF = Number.POSITIVE_INFINITY;

export const DEFAULT_DTW_OPTIONS: DtwOptions = { maxLengthRatio: 1.6, bandFraction: 0.12 };

/**
 * Length-normalised DTW distance between two feature sequences: symmetric step pattern (diagonal
 * steps count the frame distance twice), summed Euclidean frame distances divided by (n + m), within
 * a band around the diagonal. Infinity when either is empty or their lengths are too different.
 */
export function dtwDistance(
  a: FeatureSequence,
  b: FeatureSequence,
  options: DtwOptions = DEFAULT_DTW_OPTIONS,
  /** Stop early (returning Infinity) once the distance is sure to exceed this. */
  abandonAbove = Infinity,
): number {
  const n = a.frames;
  const m = b.frames;
  if (n === 0 || m === 0) return INF;
  if (max(n, m) / min(n, m) > options.maxLengthRatio) return INF;
  const dims = a.dims;
  const band = ceil(options.bandFraction * max(n, m)) + 2;
  const abandonCost = abandonAbove * (n + m);
  const slope = m / n;
  // Two rows over j = 0..m; row i holds D(i, j).
  let previous = new Float64Array(m + 1).fill(INF);
  let current = new Float64Array(m + 1).fill(INF);
  previous[0] = 0;
  const ad = a.data;
  const bd = b.data;
  for (let i = 1; i <= n; i += 1) {
    current.fill(INF);
    const centre = i * slope;
    const jFrom = max(1, floor(centre - band));
    const jTo = min(m, ceil(centre + band));
    const aOffset = (i - 1) * dims;
    let rowMin = INF;
    for (let j = jFrom; j <= jTo; j += 1) {
      const bOffset = (j - 1) * dims;
      let sum = 0;
      for (let k = 0; k < dims; k += 1) {
        const diff = ad[aOffset + k]! - bd[bOffset + k]!;
        sum += diff * diff;
      }
      const cost = sqrt(sum);
      const diagonal = previous[j - 1]! + 2 * cost;
      const up = previous[j]! + cost;
      const left = current[j - 1]! + cost;
      const total = min(diagonal, up, left);
      current[j] = total;
      if (total < rowMin) rowMin = total;
    }
    // Every path to (n, m) crosses this row and costs only grow.
    if (rowMin > abandonCost) return INF;
    const swap = previous;
    previous = current;
    current = swap;
  }
  return previous[m]! / (n + m);
}
