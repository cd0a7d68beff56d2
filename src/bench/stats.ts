/** Nearest-rank percentile; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Distribution {
  n: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export function distribution(values: readonly number[]): Distribution {
  const finite = values.filter((v) => Number.isFinite(v));
  const round = (v: number) => (Number.isFinite(v) ? Math.round(v) : null);
  return { n: finite.length, p50: round(percentile(finite, 50)), p95: round(percentile(finite, 95)), max: finite.length ? Math.round(Math.max(...finite)) : null };
}

/** Percentile of a histogram given as counts per bucket upper bound (Prometheus style, non-cumulative). */
export function histogramPercentile(buckets: readonly { le: number; count: number }[], p: number): number | null {
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  if (total === 0) return null;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (const bucket of buckets) {
    seen += bucket.count;
    if (seen >= rank) return bucket.le;
  }
  return buckets.at(-1)!.le;
}
