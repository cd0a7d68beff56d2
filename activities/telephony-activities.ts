import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Logger } from '../src/logging/logger';
import { isTextLine, type DialReceipt, type TelephonyAdapter } from '../src/telephony/telephony-adapter';
import { requestSlotSignal, type SlotRequest } from '../workflows/definitions';

export interface TelephonyActivityDeps {
  /** The provider's call-control API; null for a SIP trunk (a media gateway dials it). */
  telephony: TelephonyAdapter | null;
  temporal: { client: Client; taskQueue: string };
  logger: Logger;
}

export function createTelephonyActivities({ telephony, temporal, logger }: TelephonyActivityDeps) {
  const provider = (): TelephonyAdapter => {
    if (!telephony) throw ApplicationFailure.nonRetryable('The configured telephony has no call-control API: a media gateway dials it', 'NoProviderApi');
    return telephony;
  };
  return {
    async initiateCall(request: { callId: string; phone: string; ringTimeoutSec: number }): Promise<DialReceipt> {
      const adapter = provider();
      const receipt = await adapter.initiateCall(request);
      logger.info({ call_id: request.callId, provider: adapter.provider }, 'call initiated');
      return receipt ?? {};
    },

    async hangUpCall({ callId, reason, providerRef }: { callId: string; reason: string; providerRef?: string }): Promise<void> {
      await provider().hangUp(callId, reason, providerRef);
      logger.info({ call_id: callId, reason }, 'call hung up');
    },

    /** Text mode only (the simulated text callee): the reply goes over as text. */
    async deliverAssistantReply({ callId, text, final }: { callId: string; text: string; final: boolean }): Promise<void> {
      if (!isTextLine(telephony)) throw ApplicationFailure.nonRetryable('This telephony carries audio: lines are spoken on a media gateway', 'NotATextLine');
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
