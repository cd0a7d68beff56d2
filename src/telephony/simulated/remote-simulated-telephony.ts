import type { Logger } from '../../logging/logger';
import type { InitiateCallRequest, TelephonyAdapter } from '../telephony-adapter';
import { SimulatedCallRecordSchema, type DialRequest, type SimulatedCallRecord } from './provider-api';

export interface RemoteSimulatedTelephonyOptions {
  /** The simulated provider process (TELEPHONY_CONFIG.providerUrl). */
  providerUrl: string;
  apiKey?: string;
  eventsUrl: string;
  /** The gateway's media URL for a call, token included. */
  mediaUrlFor(callId: string): string;
  logger: Logger;
}

/**
 * TELEPHONY_PROVIDER=simulated with TELEPHONY_CONFIG.providerUrl: the SIMULATED provider runs as
 * its own process and is driven over HTTP, like a real provider's API. Voice calls only.
 */
export class RemoteSimulatedTelephony implements TelephonyAdapter {
  readonly provider = 'simulated';

  constructor(private readonly options: RemoteSimulatedTelephonyOptions) {}

  async initiateCall({ callId, phone, ringTimeoutSec }: InitiateCallRequest): Promise<void> {
    const body: DialRequest = { call_id: callId, phone, ring_timeout_sec: ringTimeoutSec, events_url: this.options.eventsUrl, media_url: this.options.mediaUrlFor(callId) };
    await this.request('POST', '/v1/calls', body);
    this.options.logger.info({ call_id: callId, provider: this.provider }, 'simulated call placed with the simulated provider process (no real dialing)');
  }

  async hangUp(callId: string, reason: string): Promise<void> {
    await this.request('POST', `/v1/calls/${callId}/hangup`, { reason });
  }

  /** The provider's record of a call, including what its callee heard (benchmarks). */
  async callRecord(callId: string): Promise<SimulatedCallRecord> {
    return SimulatedCallRecordSchema.parse(await this.request('GET', `/v1/calls/${callId}`));
  }

  async close(): Promise<void> {}

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.options.providerUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    const payload = (await response.json().catch(() => null)) as unknown;
    if (!response.ok) throw new Error(`simulated provider API: ${method} ${path} -> ${response.status} ${JSON.stringify(payload)}`);
    return payload;
  }
}
