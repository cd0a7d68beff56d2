import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from 'openai';
import type { Logger } from '../logging/logger';
import type { ProviderErrorKind } from '../speech-providers/provider-error';

/**
 * The one configured client of the official OpenAI SDK. Every OpenAI activity (STT, chat, TTS,
 * classification) gets its client from here, so the key, base URL, time limit and retry policy
 * are set in a single place. Per-request `timeout` / `maxRetries` / `signal` still override.
 */
export interface OpenAIClientOptions {
  apiKey: string;
  /** e.g. `https://api.openai.com/v1` (default) or the local emulator's `url`. */
  baseURL?: string;
  /** Time limit per attempt, in ms (the SDK counts it up to the response headers and body). */
  timeoutMs: number;
  /** Retries after the first attempt (SDK retries 408/409/429/5xx, timeouts, connection errors). */
  maxRetries: number;
  fetch?: typeof fetch;
  /** SDK diagnostics (retries, failures) go here at info level and above; none when omitted. */
  logger?: Logger;
}

export function createOpenAIClient(options: OpenAIClientOptions): OpenAI {
  if (!options.apiKey) throw new Error('createOpenAIClient: apiKey is empty');
  const logger = options.logger;
  return new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    fetch: withQuotaNoRetry(options.fetch ?? globalThis.fetch),
    ...(logger
      ? {
          logLevel: 'info' as const,
          logger: {
            error: (message: string) => logger.error({ component: 'openai-sdk' }, sanitize(message)),
            warn: (message: string) => logger.warn({ component: 'openai-sdk' }, sanitize(message)),
            info: (message: string) => logger.info({ component: 'openai-sdk' }, sanitize(message)),
            debug: (message: string) => logger.debug({ component: 'openai-sdk' }, sanitize(message)),
          },
        }
      : { logLevel: 'off' as const }),
  });
}

/**
 * The SDK retries every 429, but `insufficient_quota` (billing) never heals by waiting: mark that
 * response `x-should-retry: false` so the SDK gives up at once.
 */
function withQuotaNoRetry(inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (err) {
      throw asLocalError(err);
    }
    if (response.status !== 429) return response;
    const text = await response.text();
    const headers = new Headers(response.headers);
    if (quotaCodeIn(text)) headers.set('x-should-retry', 'false');
    return new Response(text, { status: response.status, statusText: response.statusText, headers });
  };
}

/**
 * A fetch from another JS realm (e.g. Node's global fetch inside a Jest/vm context) rejects with a
 * DOMException the SDK does not recognise as an Error, so a timeout would lose its name
 * ('AbortError') and be reported as a plain connection error. Re-create it in this realm.
 */
function asLocalError(err: unknown): unknown {
  if (err instanceof Error || typeof err !== 'object' || err === null) return err;
  const { name, message } = err as { name?: unknown; message?: unknown };
  if (typeof name !== 'string') return err;
  const local = new Error(typeof message === 'string' ? message : name, { cause: err });
  local.name = name;
  return local;
}

function quotaCodeIn(body: string): boolean {
  try {
    const parsed: unknown = JSON.parse(body);
    const error = (parsed as { error?: { code?: unknown; type?: unknown } } | null)?.error;
    return error?.code === 'insufficient_quota' || error?.type === 'insufficient_quota';
  } catch {
    return false;
  }
}

/** The provider-neutral kinds an OpenAI error can be (never `bad_output` / `cancelled`: those are decided above). */
export type OpenAIErrorKind = Exclude<ProviderErrorKind, 'bad_output' | 'cancelled'>;

export interface OpenAIErrorDescription {
  kind: OpenAIErrorKind;
  status?: number;
  /** Safe to log: API keys and bearer tokens are removed, length is bounded. */
  message: string;
}

const MAX_MESSAGE_LENGTH = 300;

/** Removes anything that looks like an API key or a bearer token. */
function sanitize(message: string): string {
  const cleaned = message
    .replace(/\b(sk|rk|pk|sess)-[A-Za-z0-9_*\-.]{4,}/g, '[REDACTED]')
    .replace(/(Bearer\s+)\S+/gi, '$1[REDACTED]')
    .replace(/(api[_-]?key["'=:\s]+)[^\s"',]+/gi, '$1[REDACTED]');
  return cleaned.length > MAX_MESSAGE_LENGTH ? `${cleaned.slice(0, MAX_MESSAGE_LENGTH)}…` : cleaned;
}

/** `AbortSignal.timeout()` aborts with a DOMException named TimeoutError (possibly from another realm). */
function isTimeoutReason(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';
}

function isQuotaError(err: APIError): boolean {
  return err.code === 'insufficient_quota' || err.type === 'insufficient_quota';
}

/** Classifies any error thrown by an OpenAI call into a small, log-safe description. */
export function describeOpenAIError(err: unknown): OpenAIErrorDescription {
  if (err instanceof APIConnectionTimeoutError) {
    return { kind: 'timeout', message: sanitize(err.message || 'Request timed out.') };
  }
  if (err instanceof APIUserAbortError) {
    // Our own AbortSignal.timeout() counts as a timeout; any other abort is a cancellation.
    const timedOut = isTimeoutReason((err as { cause?: unknown }).cause);
    return { kind: timedOut ? 'timeout' : 'unknown', message: timedOut ? 'Request timed out (caller deadline).' : 'Request was aborted.' };
  }
  if (err instanceof APIConnectionError) {
    return { kind: 'connection', message: sanitize(err.message || 'Connection error.') };
  }
  if (err instanceof APIError) {
    const status = err.status;
    const message = sanitize(err.message);
    if (typeof status !== 'number') return { kind: 'unknown', message };
    if (status === 429) return { kind: isQuotaError(err) ? 'quota' : 'rate_limited', status, message };
    if (status === 401 || status === 403) return { kind: 'auth', status, message };
    if (status === 408) return { kind: 'timeout', status, message };
    if (status >= 500) return { kind: 'server_error', status, message };
    if (status >= 400) return { kind: 'bad_request', status, message };
    return { kind: 'unknown', status, message };
  }
  if (isTimeoutReason(err)) return { kind: 'timeout', message: 'Request timed out.' };
  if (err instanceof Error) return { kind: 'unknown', message: sanitize(err.message) };
  return { kind: 'unknown', message: sanitize(String(err)) };
}

/**
 * Whether trying the same request again may succeed: timeouts, connection errors, 408, 409, 429
 * (except `insufficient_quota`) and 5xx. Other 4xx, aborts and non-API errors are final.
 */
export function isRetryableOpenAIError(err: unknown): boolean {
  if (err instanceof APIUserAbortError) return isTimeoutReason((err as { cause?: unknown }).cause);
  if (err instanceof APIConnectionError) return true; // includes APIConnectionTimeoutError
  if (err instanceof APIError) {
    const status = err.status;
    if (typeof status !== 'number') return false;
    if (status === 429) return !isQuotaError(err);
    return status === 408 || status === 409 || status >= 500;
  }
  return isTimeoutReason(err);
}

/**
 * Per-request SDK options with unset fields left out: the SDK rejects an explicit
 * `timeout: undefined` ("timeout must be an integer") instead of falling back to the client's.
 */
export function requestOptions(options: { signal?: AbortSignal; timeoutMs?: number; maxRetries?: number }): {
  signal?: AbortSignal;
  timeout?: number;
  maxRetries?: number;
} {
  const out: { signal?: AbortSignal; timeout?: number; maxRetries?: number } = {};
  if (options.signal) out.signal = options.signal;
  if (options.timeoutMs !== undefined) out.timeout = Math.max(1, Math.round(options.timeoutMs));
  if (options.maxRetries !== undefined) out.maxRetries = Math.max(0, Math.floor(options.maxRetries));
  return out;
}
