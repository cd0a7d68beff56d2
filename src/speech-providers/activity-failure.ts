import { ApplicationFailure, type Duration } from '@temporalio/common';
import { isSpeechProviderError, PROVIDER_REJECTED, PROVIDER_UNAVAILABLE } from './provider-error';

/**
 * A provider failure as Temporal sees it: `ProviderUnavailable` (retried by the activity's policy,
 * after the provider's Retry-After when it gave one) or `ProviderRejected` (never retried).
 * Temporal's activity retries are the only retries of a provider request (README "Retries").
 */
export function toActivityFailure(err: unknown): ApplicationFailure {
  if (!isSpeechProviderError(err)) {
    const message = err instanceof Error ? err.message : String(err);
    return ApplicationFailure.create({ message, type: PROVIDER_REJECTED, nonRetryable: true });
  }
  const nextRetryDelay: Duration | undefined = err.retryAfterMs !== undefined && err.retryAfterMs > 0 ? Math.min(err.retryAfterMs, 60_000) : undefined;
  return ApplicationFailure.create({
    message: err.message,
    type: err.retryable ? PROVIDER_UNAVAILABLE : PROVIDER_REJECTED,
    nonRetryable: !err.retryable,
    details: [{ stage: err.stage, kind: err.kind, provider: err.provider }],
    ...(nextRetryDelay !== undefined ? { nextRetryDelay } : {}),
  });
}
