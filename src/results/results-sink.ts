import type { ResultRow } from './result-row';

/**
 * Where finished calls go (spec 7). Implementations must be idempotent per call id:
 * the write activity may be retried after a lost response and must never add a second row.
 */
export interface ResultsSink {
  readonly kind: string;
  /** Appends the row unless a row with the same call_id exists. Returns whether it wrote. */
  writeRow(row: ResultRow): Promise<{ written: boolean }>;
}
