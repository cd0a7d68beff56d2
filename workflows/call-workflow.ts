import { CancellationScope, isCancellation, log } from '@temporalio/workflow';
import type { CallSession } from '../src/domain/call-session';
import type { CallWorkflowInput } from './definitions';
import { dialAndWaitForAnswer, hangUp } from './call/dial';
import { MEDIA_LOST, MEDIA_NOT_CONNECTED, runDialog } from './call/dialog';
import { finishCall } from './call/finish';
import { installHandlers } from './call/handlers';
import { causeOf } from './call/interruptible';
import { waitForFreeLine } from './call/line-slot';
import { newCallState, setStatus } from './call/state';

/**
 * One outbound call from `POST /call` to its results row (spec section 3), in four steps:
 * wait for a free line -> dial -> dialog -> finish (classification, exactly one results row).
 * created -> dialing -> in_progress -> completed; or no_answer / failed. The steps live in `call/`.
 */
export async function CallWorkflow(input: CallWorkflowInput): Promise<CallSession> {
  const state = newCallState(input);
  const { session } = state;
  installHandlers(state);
  try {
    await waitForFreeLine(state);
    await dialAndWaitForAnswer(state);
    if (state.preAnswerOutcome !== null && session.status !== 'in_progress') {
      session.end_reason = state.preAnswerOutcome.reason;
      setStatus(state, state.preAnswerOutcome.status);
    } else {
      await runDialog(state);
      // A gateway that died (or never carried the audio) fails the call, unless the dialog had already ended.
      setStatus(state, session.end_reason === MEDIA_LOST || session.end_reason === MEDIA_NOT_CONNECTED ? 'failed' : 'completed');
    }
  } catch (err) {
    const wasInProgress = session.status === 'in_progress';
    session.end_reason = isCancellation(err) ? 'cancelled' : `workflow error: ${causeOf(err)}`;
    log.error('call failed', { call_id: input.callId, reason: session.end_reason });
    if (wasInProgress || state.dialed) await CancellationScope.nonCancellable(() => hangUp(state, 'failed'));
    setStatus(state, wasInProgress && isCancellation(err) ? 'completed' : 'failed');
  } finally {
    await CancellationScope.nonCancellable(() => finishCall(state));
  }
  log.info('call finished', { call_id: input.callId, status: session.status, final_disposition: session.final_disposition });
  return session;
}
