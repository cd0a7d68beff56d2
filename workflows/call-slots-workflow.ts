import { condition, continueAsNew, getExternalWorkflowHandle, log, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  callSlotsStateQuery,
  releaseSlotSignal,
  requestSlotSignal,
  slotGrantedSignal,
  type CallSlotsState,
} from './definitions';

/**
 * A FIFO semaphore: at most `maxConcurrentCalls` calls are dialing or talking at once; later calls
 * wait in arrival order and are granted a line as earlier ones end. One long-lived instance
 * (`callSlotsWorkflowId(taskQueue)`: one per deployment's task queue), started on first use by the `requestCallSlot` activity.
 */
export async function CallSlotsWorkflow(previous?: CallSlotsState): Promise<void> {
  const state: CallSlotsState = previous ?? { holders: [], waiting: [], maxConcurrentCalls: 3 };

  setHandler(callSlotsStateQuery, () => state);
  setHandler(requestSlotSignal, (request) => {
    state.maxConcurrentCalls = request.maxConcurrentCalls;
    const known = state.holders.some((h) => h.callId === request.callId) || state.waiting.some((w) => w.callId === request.callId);
    if (!known) state.waiting.push(request); // a retried request keeps its place
  });
  setHandler(releaseSlotSignal, ({ callId }) => {
    state.holders = state.holders.filter((h) => h.callId !== callId);
    state.waiting = state.waiting.filter((w) => w.callId !== callId);
  });

  const canGrant = () => state.waiting.length > 0 && state.holders.length < state.maxConcurrentCalls;
  const nextLeaseExpiryMs = () =>
    state.holders.length === 0 ? undefined : Math.min(...state.holders.map((h) => h.grantedAtMs + h.leaseSec * 1000));

  for (;;) {
    const expiry = nextLeaseExpiryMs();
    if (expiry === undefined) await condition(() => canGrant() || workflowInfo().continueAsNewSuggested);
    else await condition(() => canGrant() || workflowInfo().continueAsNewSuggested, Math.max(1, expiry - Date.now()));

    // A holder whose workflow never released (terminated, say) must not block the line forever.
    const now = Date.now();
    for (const stale of state.holders.filter((h) => h.grantedAtMs + h.leaseSec * 1000 <= now)) {
      log.warn('call slot lease expired', { call_id: stale.callId });
    }
    state.holders = state.holders.filter((h) => h.grantedAtMs + h.leaseSec * 1000 > now);

    while (canGrant()) {
      const next = state.waiting.shift()!;
      state.holders.push({ callId: next.callId, grantedAtMs: Date.now(), leaseSec: next.leaseSec });
      try {
        await getExternalWorkflowHandle(next.callId).signal(slotGrantedSignal);
      } catch (err) {
        // The call ended while waiting: give its place to the next one.
        state.holders = state.holders.filter((h) => h.callId !== next.callId);
        log.info('queued call is gone', { call_id: next.callId, error: String(err) });
      }
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 4000) {
      await condition(() => true);
      await continueAsNew<typeof CallSlotsWorkflow>(state);
    }
  }
}
