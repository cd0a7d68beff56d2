import type { CallSession } from '../src/domain/call-session';
import type { Logger } from '../src/logging/logger';
import { toResultRow } from '../src/results/result-row';
import { metrics } from '../src/metrics/metrics';
import type { ResultsSink } from '../src/results/results-sink';
import { withHeartbeat } from './dialog-activities';

export interface ResultsActivityDeps {
  results: ResultsSink;
  /** Local file that takes the row when the configured sink keeps failing. */
  fallbackResults: ResultsSink;
  logger: Logger;
}

export function createResultsActivities({ results, fallbackResults, logger }: ResultsActivityDeps) {
  async function write(sink: ResultsSink, session: CallSession) {
    const row = toResultRow(session);
    const { written } = await withHeartbeat(() => sink.writeRow(row));
    if (written) metrics.callsEnded.inc({ status: String(row.status), disposition: String(row.final_disposition) });
    logger.info(
      { call_id: session.id, status: row.status, final_disposition: row.final_disposition, sink: sink.kind, duplicate: !written },
      written ? 'call result row written' : 'call result row already present',
    );
  }
  return {
    /** Spec 7.3: exactly one row per call; the sink skips a call id it already has. */
    async writeCallResult({ session }: { session: CallSession }): Promise<void> {
      await write(results, session);
    },
    async writeCallResultFallback({ session }: { session: CallSession }): Promise<void> {
      logger.warn({ call_id: session.id, sink: fallbackResults.kind }, 'writing the results row to the fallback sink');
      await write(fallbackResults, session);
    },
  };
}
