import { z } from 'zod';
import { VoximplantTokenSource, type VoximplantServiceAccount } from './service-account';

/** VoxEngine's `customData()` holds at most 200 bytes. */
export const SCRIPT_CUSTOM_DATA_MAX_BYTES = 200;

const StartScenariosResponseSchema = z.union([
  z.object({
    result: z.literal(1),
    media_session_access_url: z.string().optional(),
    media_session_access_secure_url: z.string().optional(),
    call_session_history_id: z.number().optional(),
  }),
  z.object({ error: z.object({ code: z.number(), msg: z.string() }) }),
]);

export class VoximplantApiError extends Error {
  constructor(
    message: string,
    /** Whether trying again later may succeed (rate limit, outage). */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'VoximplantApiError';
  }
}

export interface StartedScenario {
  /** HTTP(S) URL of the running scenario: a request to it fires `AppEvents.HttpRequest` there. */
  controlUrl: string;
  callSessionHistoryId?: number;
}

/** The part of Voximplant's Management API (HTTP) the service uses. */
export class VoximplantManagementApi {
  private readonly tokens: VoximplantTokenSource;

  constructor(
    private readonly options: {
      /** e.g. https://api.voximplant.com/platform_api */
      apiUrl: string;
      account: VoximplantServiceAccount;
      timeoutMs?: number;
    },
  ) {
    this.tokens = new VoximplantTokenSource(options.account);
  }

  /** Runs the rule's scenario (which then dials). `scriptCustomData` reaches it as `VoxEngine.customData()`. */
  async startScenarios(request: { ruleId: number; scriptCustomData: string; applicationId?: number }): Promise<StartedScenario> {
    if (Buffer.byteLength(request.scriptCustomData) > SCRIPT_CUSTOM_DATA_MAX_BYTES) {
      throw new VoximplantApiError(`script_custom_data is over ${SCRIPT_CUSTOM_DATA_MAX_BYTES} bytes`, false);
    }
    const form = new URLSearchParams({ rule_id: String(request.ruleId), script_custom_data: request.scriptCustomData });
    if (request.applicationId !== undefined) form.set('application_id', String(request.applicationId));
    let response: Response;
    try {
      response = await fetch(`${this.options.apiUrl.replace(/\/$/, '')}/StartScenarios/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.tokens.token()}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new VoximplantApiError(`StartScenarios unreachable: ${err instanceof Error ? err.message : String(err)}`, true);
    }
    if (!response.ok) {
      throw new VoximplantApiError(`StartScenarios HTTP ${response.status}`, response.status === 429 || response.status >= 500);
    }
    const parsed = StartScenariosResponseSchema.safeParse(await response.json().catch(() => null));
    if (!parsed.success) throw new VoximplantApiError('StartScenarios: unexpected response', true);
    if ('error' in parsed.data) {
      // Voximplant answers errors with HTTP 200 and an error object; 429-like codes are worth a retry.
      const { code, msg } = parsed.data.error;
      throw new VoximplantApiError(`StartScenarios error ${code}: ${msg}`, code >= 500 || code === 429);
    }
    const controlUrl = parsed.data.media_session_access_secure_url ?? parsed.data.media_session_access_url;
    if (!controlUrl) throw new VoximplantApiError('StartScenarios: no media session URL in the response', true);
    return { controlUrl, ...(parsed.data.call_session_history_id !== undefined ? { callSessionHistoryId: parsed.data.call_session_history_id } : {}) };
  }

  /** Sends a command to a running scenario through its media session URL (hang-up). */
  async commandScenario(controlUrl: string, command: Record<string, unknown>): Promise<void> {
    const response = await fetch(controlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(command),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    }).catch((err: unknown) => {
      throw new VoximplantApiError(`scenario unreachable: ${err instanceof Error ? err.message : String(err)}`, true);
    });
    // A scenario that already ended answers 404: the call is over, which is what we asked for.
    if (!response.ok && response.status !== 404) throw new VoximplantApiError(`scenario command HTTP ${response.status}`, response.status >= 500);
  }
}
