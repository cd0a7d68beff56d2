import type { Client } from '@temporalio/client';
import type { Logger } from '../src/logging/logger';
import type { DialReceipt, TelephonyAdapter } from '../src/telephony/telephony-adapter';
import { requestSlotSignal, type SlotRequest } from '../workflows/definitions';

export interface TelephonyActivityDeps {
  telephony: TelephonyAdapter;
  temporal: { client: Client; taskQueue: string };
  logger: Logger;
}

export function createTelephonyActivities({ telephony, temporal, logger }: TelephonyActivityDeps) {
  return {
    async initiateCall(request: { callId: string; phone: string; ringTimeoutSec: number }): Promise<DialReceipt> {
      const receipt = await telephony.initiateCall(request);
      logger.info({ call_id: request.callId, provider: telephony.provider }, 'call initiated');
      return receipt ?? {};
    },

    async hangUpCall({ callId, reason, providerRef }: { callId: string; reason: string; providerRef?: string }): Promise<void> {
      await telephony.hangUp(callId, reason, providerRef);
      logger.info({ call_id: callId, reason }, 'call hung up');
    },

    async deliverAssistantReply({ callId, text, final }: { callId: string; text: string; final: boolean }): Promise<void> {
      await telephony.deliverAssistantReply(callId, { text, final });
    },

    /** Joins the FIFO queue of the call-slots workflow, starting that workflow on first use. */
    async requestCallSlot(request: SlotRequest & { slotsWorkflowId: string }): Promise<void> {
      const { slotsWorkflowId, ...slot } = request;
      await temporal.client.workflow.signalWithStart('CallSlotsWorkflow', {
        workflowId: slotsWorkflowId,
        taskQueue: temporal.taskQueue,
        args: [],
        signal: requestSlotSignal,
        signalArgs: [slot],
      });
    },
  };
}
