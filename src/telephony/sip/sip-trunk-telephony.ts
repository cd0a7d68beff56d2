import type { Logger } from '../../logging/logger';
import type { InitiateCallRequest, TelephonyAdapter } from '../telephony-adapter';
import { UnifiedTelephonyEventSchema, type UnifiedTelephonyEvent } from '../unified-event';

/**
 * SIP trunks (Zadarma / Novofon, Mango Office, Asterisk, any SIP provider): the user agent lives in
 * the media gateway next to the RTP it carries; this worker-side adapter asks the gateway to dial
 * and to hang up. The gateway reports call progress to the workflow itself.
 */
export class SipTrunkTelephony implements TelephonyAdapter {
  readonly provider = 'sip';

  constructor(private readonly options: { gatewayInternalUrl: string; internalSecret: string; logger: Logger }) {}

  async initiateCall({ callId, phone, ringTimeoutSec }: InitiateCallRequest): Promise<void> {
    await this.post('/internal/sip/calls', { call_id: callId, phone, ring_timeout_sec: ringTimeoutSec });
    this.options.logger.info({ call_id: callId, provider: this.provider }, 'sip call requested from the media gateway');
  }

  async hangUp(callId: string): Promise<void> {
    await this.post(`/internal/sip/calls/${callId}/hangup`, {});
  }

  async deliverAssistantReply(): Promise<void> {
    throw new Error('sip carries audio: replies are spoken through the media gateway');
  }

  translateWebhook(body: unknown): UnifiedTelephonyEvent[] {
    return [UnifiedTelephonyEventSchema.parse(body)];
  }

  async close(): Promise<void> {}

  private async post(path: string, body: unknown): Promise<void> {
    const response = await fetch(`${this.options.gatewayInternalUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-secret': this.options.internalSecret },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`media gateway ${path}: HTTP ${response.status} ${await response.text()}`);
  }
}
