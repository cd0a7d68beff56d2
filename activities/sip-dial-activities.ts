import type { Logger } from '../src/logging/logger';
import type { SipBridge } from '../src/media-gateway/sip-bridge';

/**
 * Registered on the task queue all gateways with a SIP trunk share: whichever gateway takes the
 * dial owns the call (its RTP ends there), and tells the workflow its own queue for the rest.
 */
export function createSipDialActivities({ sip, taskQueue, logger }: { sip: SipBridge; taskQueue: string; logger: Logger }) {
  return {
    async dialSip({ callId, phone, ringTimeoutSec }: { callId: string; phone: string; ringTimeoutSec: number }): Promise<{ mediaTaskQueue: string }> {
      sip.dial(callId, phone, ringTimeoutSec);
      logger.info({ call_id: callId, provider: 'sip', task_queue: taskQueue }, 'sip call placed by this gateway');
      return { mediaTaskQueue: taskQueue };
    },
  };
}
export type SipDialActivities = ReturnType<typeof createSipDialActivities>;
