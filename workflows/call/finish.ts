import { log, upsertSearchAttributes } from '@temporalio/workflow';
import { CallDispositionAttribute, CallStatusAttribute } from '../search-attributes';
import { postCall, resultsFallback, resultsRow } from './activities';
import { causeOf } from './interruptible';
import { releaseLine } from './line-slot';
import { nowIso, type CallState } from './state';

/** After the call: free the line, classify the conversation (or explain why there was none), write exactly one results row. */
export async function finishCall(state: CallState): Promise<void> {
  const { session, input } = state;
  const { summaries } = input.script;
  session.ended_at = nowIso();
  session.queued = false;
  await releaseLine(state);
  if (session.status === 'completed') {
    session.duration_sec = state.answeredAtMs === null ? 0 : Math.max(0, Math.round((Date.now() - state.answeredAtMs) / 1000));
    if (!session.transcript.some((turn) => turn.speaker === 'user')) {
      session.final_disposition = 'unknown';
      session.short_summary = summaries.silentCallee;
    } else {
      try {
        const outcome = await postCall.classifyCallOutcome({ callId: input.callId, transcript: session.transcript });
        session.final_disposition = outcome.final_disposition;
        session.short_summary = outcome.short_summary;
      } catch (err) {
        session.final_disposition = 'unknown';
        session.short_summary = summaries.classificationFailed;
        log.error('classification failed', { call_id: input.callId, error: causeOf(err) });
      }
    }
  } else {
    session.duration_sec = 0;
    session.final_disposition = 'unknown';
    session.short_summary =
      session.status === 'no_answer'
        ? summaries.noAnswer.replace('{reason}', session.end_reason ?? summaries.noAnswerDefaultReason)
        : summaries.failed.replace('{reason}', session.end_reason ?? summaries.failedDefaultReason);
  }
  upsertSearchAttributes([
    { key: CallStatusAttribute, value: session.status },
    { key: CallDispositionAttribute, value: session.final_disposition },
  ]);
  try {
    await resultsRow.writeCallResult({ session });
  } catch (err) {
    log.error('results sink failed, writing to the local fallback file', { call_id: input.callId, error: String(err) });
    await resultsFallback.writeCallResultFallback({ session });
  }
}
