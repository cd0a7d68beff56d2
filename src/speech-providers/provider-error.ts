/**
 * A speech provider's failure in provider-neutral terms. Every implementation (OpenAI today)
 * translates its own errors into this, so that the workflow's retry policies and the activities
 * never name a vendor: Temporal sees `ProviderUnavailable` (retryable) or `ProviderRejected` (final).
 */
export type ProviderErrorKind =
  | 'rate_limited'
  | 'timeout'
  | 'server_error'
  | 'connection'
  | 'bad_request'
  | 'auth'
  | 'quota'
  | 'bad_output'
  | 'cancelled'
  | 'unknown';

export type SpeechStage = 'STT' | 'LLM' | 'TTS' | 'classification';

/** Temporal error types the workflow's retry policies name. */
export const PROVIDER_UNAVAILABLE = 'ProviderUnavailable';
export const PROVIDER_REJECTED = 'ProviderRejected';

export class SpeechProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly stage: SpeechStage;
  readonly provider: string;
  readonly status: number | undefined;
  /** Trying the same request again may succeed (rate limit, timeout, 5xx, connection). */
  readonly retryable: boolean;
  /** The provider asked us to wait this long before retrying (Retry-After). */
  readonly retryAfterMs: number | undefined;

  constructor(init: {
    kind: ProviderErrorKind;
    stage: SpeechStage;
    provider: string;
    message: string;
    retryable: boolean;
    status?: number;
    retryAfterMs?: number;
    cause?: unknown;
  }) {
    super(init.message, { cause: init.cause });
    this.name = 'SpeechProviderError';
    this.kind = init.kind;
    this.stage = init.stage;
    this.provider = init.provider;
    this.retryable = init.retryable;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
  }

  /** Log fields (the message is already free of secrets). */
  describe(): { stage: SpeechStage; provider: string; kind: ProviderErrorKind; status?: number; err_message: string } {
    return { stage: this.stage, provider: this.provider, kind: this.kind, ...(this.status !== undefined ? { status: this.status } : {}), err_message: this.message };
  }
}

export function isSpeechProviderError(err: unknown): err is SpeechProviderError {
  return err instanceof SpeechProviderError;
}
