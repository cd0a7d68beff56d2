import type { Logger } from '../../logging/logger';
import type { DialReceipt, InitiateCallRequest, TelephonyAdapter } from '../telephony-adapter';
import { VoximplantManagementApi } from './management-api';
import type { VoximplantServiceAccount } from './service-account';
import type { VoximplantSettings } from './voximplant-settings';

/**
 * Voximplant: `StartScenarios` runs our VoxEngine scenario, which dials the number with
 * `callPSTN`, reports call events to `/telephony/events/voximplant` and bridges the call's audio to
 * the media gateway over WebSocket. We hang up through the scenario's media session URL.
 */
export class VoximplantTelephony implements TelephonyAdapter {
  readonly provider = 'voximplant';
  private readonly api: VoximplantManagementApi;
  /** Scenario control URLs of calls this process dialed (the workflow keeps its own copy). */
  private readonly controlUrls = new Map<string, string>();

  constructor(
    private readonly options: { settings: VoximplantSettings; account: VoximplantServiceAccount; logger: Logger },
  ) {
    this.api = new VoximplantManagementApi({ apiUrl: options.settings.api_url, account: options.account });
  }

  async initiateCall({ callId }: InitiateCallRequest): Promise<DialReceipt> {
    const known = this.controlUrls.get(callId);
    if (known) return { providerRef: known }; // a retried activity must not dial twice
    // Only the call id travels in custom data (200 bytes max); the scenario fetches the rest from us.
    const started = await this.api.startScenarios({
      ruleId: this.options.settings.rule_id,
      scriptCustomData: JSON.stringify({ call_id: callId }),
      ...(this.options.settings.application_id !== undefined ? { applicationId: this.options.settings.application_id } : {}),
    });
    this.controlUrls.set(callId, started.controlUrl);
    this.options.logger.info({ call_id: callId, provider: this.provider, call_session_history_id: started.callSessionHistoryId }, 'voximplant scenario started');
    return { providerRef: started.controlUrl };
  }

  async hangUp(callId: string, reason: string, providerRef?: string): Promise<void> {
    const controlUrl = providerRef ?? this.controlUrls.get(callId);
    if (!controlUrl) return; // never dialed from here and no reference: nothing to hang up
    await this.api.commandScenario(controlUrl, { command: 'hangup', call_id: callId, reason });
    this.controlUrls.delete(callId);
  }

  async close(): Promise<void> {
    this.controlUrls.clear();
  }
}
