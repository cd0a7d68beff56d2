import { condition, getExternalWorkflowHandle, log } from '@temporalio/workflow';
import { releaseSlotSignal, slotLeaseSec } from '../definitions';
import { telephony } from './activities';
import type { CallState } from './state';

/** Waits in the FIFO queue of the call-slots workflow until this call may use a line. */
export async function waitForFreeLine(state: CallState): Promise<void> {
  const { input, session } = state;
  if (!input.concurrency) return;
  session.queued = true;
  // The API already queued this call on arrival; asking again keeps its place (and covers an API
  // that crashed in between).
  await telephony.requestCallSlot({
    callId: input.callId,
    slotsWorkflowId: input.concurrency.slotsWorkflowId,
    maxConcurrentCalls: input.concurrency.maxConcurrentCalls,
    leaseSec: slotLeaseSec(input.limits),
  });
  await condition(() => state.slotGranted);
  session.queued = false;
}

/** Gives the line back (also leaves the queue if the call ended while waiting). */
export async function releaseLine(state: CallState): Promise<void> {
  const { concurrency, callId } = state.input;
  if (!concurrency) return;
  try {
    await getExternalWorkflowHandle(concurrency.slotsWorkflowId).signal(releaseSlotSignal, { callId });
  } catch (err) {
    log.warn('could not release the call slot', { call_id: callId, error: String(err) });
  }
}
