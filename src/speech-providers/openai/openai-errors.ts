import { APIError, APIUserAbortError } from 'openai';
import { describeOpenAIError, isRetryableOpenAIError } from '../../openai/client';
import { SpeechProviderError, type SpeechStage } from '../provider-error';

/** The provider name every OpenAI implementation reports. */
export const OPENAI = 'openai';

/** Any error of an OpenAI request as a provider-neutral `SpeechProviderError` (Retry-After kept). */
export function fromOpenAIError(stage: SpeechStage, err: unknown): SpeechProviderError {
  if (err instanceof SpeechProviderError) return err;
  const described = describeOpenAIError(err);
  // A caller's abort (barge-in, hang-up) is a cancellation, not a provider fault; anything that is
  // not an API error is output we could not use (bad JSON, schema mismatch, empty reply).
  const kind = described.kind !== 'unknown' ? described.kind : err instanceof APIUserAbortError ? 'cancelled' : err instanceof APIError ? 'unknown' : 'bad_output';
  return new SpeechProviderError({
    kind,
    stage,
    provider: OPENAI,
    message: `${stage} failed (${kind}): ${described.message}`,
    retryable: isRetryableOpenAIError(err),
    ...(described.status !== undefined ? { status: described.status } : {}),
    ...retryAfter(err),
    cause: err,
  });
}

/** `retry-after-ms` or `retry-after` (seconds or an HTTP date) of a 429/503 answer. */
function retryAfter(err: unknown): { retryAfterMs?: number } {
  if (!(err instanceof APIError) || !err.headers) return {};
  const headers = err.headers;
  const ms = Number(headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return { retryAfterMs: ms };
  const value = headers.get('retry-after');
  if (!value) return {};
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return { retryAfterMs: seconds * 1000 };
  const date = Date.parse(value);
  return Number.isFinite(date) ? { retryAfterMs: Math.max(0, date - Date.now()) } : {};
}
