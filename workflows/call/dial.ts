import { condition, log } from '@temporalio/workflow';
import { mediaActivitiesOn, mediaTimeoutsOf, sipDialerOn, telephony } from './activities';
import { causeOf } from './interruptible';
import type { CallState } from './state';

/** Dials and waits until the callee answers, or the provider reports busy / no answer / an error, or the ring timeout passes. */
export async function dialAndWaitForAnswer(state: CallState): Promise<void> {
  const { input, session } = state;
  const timeouts = mediaTimeoutsOf(input.mediaTimeouts);
  try {
    state.dialRequested = true;
    if (input.dialVia === 'media-gateway') {
      // A SIP trunk: whichever gateway takes the dial owns the call from the first ring.
      const placed = await sipDialerOn(input.mediaDialQueue ?? '', timeouts).dialSip({ callId: input.callId, phone: input.phone, ringTimeoutSec: input.limits.ringTimeoutSec });
      state.dialingGatewayQueue = placed.mediaTaskQueue;
    } else {
      const receipt = await telephony.initiateCall({ callId: input.callId, phone: input.phone, ringTimeoutSec: input.limits.ringTimeoutSec });
      state.providerRef = receipt.providerRef;
    }
    state.dialed = true;
  } catch (err) {
    state.preAnswerOutcome = { status: 'failed', reason: `dial failed: ${causeOf(err)}` };
  }
  if (!state.dialed) return;
  const settled = await condition(() => session.status === 'in_progress' || state.preAnswerOutcome !== null, input.limits.ringTimeoutSec * 1000);
  if (!settled) {
    state.preAnswerOutcome = { status: 'no_answer', reason: 'ring_timeout' };
    await hangUp(state, 'ring_timeout');
  }
}

/**
 * Ends the call: through the provider's API, or, for a SIP call, on the gateway that dialed it.
 * Never fails the workflow (the call ends either way).
 */
export async function hangUp(state: CallState, reason: string): Promise<void> {
  const { input } = state;
  try {
    if (input.dialVia === 'media-gateway') {
      const queue = state.media?.taskQueue ?? state.dialingGatewayQueue;
      if (queue && !state.mediaLost) await mediaActivitiesOn(queue, mediaTimeoutsOf(input.mediaTimeouts)).control.hangUpMediaLeg({ callId: input.callId, reason });
      return;
    }
    await telephony.hangUpCall({ callId: input.callId, reason, ...(state.providerRef !== undefined ? { providerRef: state.providerRef } : {}) });
  } catch (err) {
    log.error('hang-up failed', { call_id: input.callId, error: causeOf(err) });
  }
}
