import OpenAI, { APIConnectionError, APIConnectionTimeoutError, InternalServerError } from 'openai';
import {
  createOpenAIClient,
  describeOpenAIError,
  isRetryableOpenAIError,
  requestOptions,
} from '../../src/openai/client';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../src/openai/emulator';
import { generateOperatorReply } from '../../src/openai/operator-reply';

const CHAT = '/v1/chat/completions';

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('OpenAI client: retries, timeouts and errors against the emulator', () => {
  let emulator: OpenAIEmulator;
  const request = { model: 'gpt-4.1-mini', temperature: 0.7, maxOutputTokens: 150, systemPrompt: 'Ты оператор.', history: [], maxHistoryTurns: 10 };
  const client = (maxRetries: number, timeoutMs = 2000) =>
    createOpenAIClient({ apiKey: 'sk-test-secret-key-1234567890', baseURL: emulator.url, timeoutMs, maxRetries });

  beforeAll(async () => {
    emulator = await startOpenAIEmulator();
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    emulator.requests.length = 0;
    emulator.clearFaults();
  });

  it('retries a 429 after retry-after and then succeeds', async () => {
    emulator.injectFault({ path: CHAT, status: 429, retryAfterSeconds: 0 });
    const reply = await generateOperatorReply(client(2), request);
    expect(reply.text).toMatch(/^Здравствуйте!/);
    expect(emulator.requests.map((r) => r.path)).toEqual([CHAT, CHAT]);
  });

  it('honours a non-zero retry-after before retrying', async () => {
    emulator.injectFault({ path: CHAT, status: 429, retryAfterSeconds: 0.3 });
    const started = Date.now();
    await generateOperatorReply(client(1), request);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(emulator.requests).toHaveLength(2);
  });

  it('retries a 500 and then succeeds', async () => {
    emulator.injectFault({ path: CHAT, status: 500, retryAfterSeconds: 0 });
    const reply = await generateOperatorReply(client(1), request);
    expect(reply.text).toMatch(/^Здравствуйте!/);
    expect(emulator.requests).toHaveLength(2);
  });

  it('gives up on a persistent 500 after maxRetries + 1 attempts and describes it as server_error', async () => {
    emulator.injectFault({ path: CHAT, status: 500, retryAfterSeconds: 0, times: 10 });
    const err = await captureError(generateOperatorReply(client(2), request));
    expect(err).toBeInstanceOf(InternalServerError);
    expect(emulator.requests).toHaveLength(3);
    expect(describeOpenAIError(err)).toEqual({
      kind: 'server_error',
      status: 500,
      message: '500 The server had an error while processing your request (emulated fault).',
    });
    expect(isRetryableOpenAIError(err)).toBe(true);
  });

  it('per-request maxRetries overrides the client setting', async () => {
    emulator.injectFault({ path: CHAT, status: 503, retryAfterSeconds: 0, times: 10 });
    const err = await captureError(generateOperatorReply(client(3), { ...request, maxRetries: 0 }));
    expect(describeOpenAIError(err)).toMatchObject({ kind: 'server_error', status: 503 });
    expect(emulator.requests).toHaveLength(1);
  });

  it('reports a slow response as a timeout', async () => {
    emulator.injectFault({ path: CHAT, delayMs: 1500 });
    const started = Date.now();
    const err = await captureError(generateOperatorReply(client(0, 300), request));
    expect(Date.now() - started).toBeLessThan(1200);
    expect(err).toBeInstanceOf(APIConnectionTimeoutError);
    expect(describeOpenAIError(err).kind).toBe('timeout');
    expect(isRetryableOpenAIError(err)).toBe(true);
    expect(emulator.requests).toHaveLength(1);
  });

  it('a per-request timeout retried once succeeds when the second answer is fast', async () => {
    emulator.injectFault({ path: CHAT, delayMs: 1500 });
    const reply = await generateOperatorReply(client(0, 5000), { ...request, timeoutMs: 300, maxRetries: 1 });
    expect(reply.text).toMatch(/^Здравствуйте!/);
    expect(emulator.requests).toHaveLength(2);
  });

  it('gets 401 (auth) without an API key and does not retry it', async () => {
    const sdk = client(2);
    const err = await captureError(
      sdk.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Алло' }] }, { headers: { Authorization: null } }),
    );
    expect(describeOpenAIError(err)).toMatchObject({ kind: 'auth', status: 401 });
    expect(isRetryableOpenAIError(err)).toBe(false);
    expect(emulator.requests).toHaveLength(1);

    const raw = await fetch(`${emulator.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Алло' }] }),
    });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('x-emulator')).toBe('openai-emulator');
    const body = (await raw.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(body.error.type).toBe('invalid_request_error');
  });

  it('does not retry insufficient_quota (a 429 that waiting cannot fix)', async () => {
    emulator.injectFault({ path: CHAT, status: 429, code: 'insufficient_quota', retryAfterSeconds: 0, times: 5 });
    const err = await captureError(generateOperatorReply(client(3), request));
    expect(emulator.requests).toHaveLength(1);
    expect(describeOpenAIError(err)).toMatchObject({ kind: 'quota', status: 429 });
    expect(isRetryableOpenAIError(err)).toBe(false);
  });

  it('describes a 429 rate limit and a 400 bad request', async () => {
    emulator.injectFault({ path: CHAT, status: 429, retryAfterSeconds: 0 });
    const limited = await captureError(generateOperatorReply(client(0), request));
    expect(describeOpenAIError(limited)).toMatchObject({ kind: 'rate_limited', status: 429 });
    expect(isRetryableOpenAIError(limited)).toBe(true);

    const bad = await captureError(client(2).chat.completions.create({ model: '', messages: [] }));
    expect(describeOpenAIError(bad)).toMatchObject({ kind: 'bad_request', status: 400 });
    expect(isRetryableOpenAIError(bad)).toBe(false);
    expect(emulator.requests).toHaveLength(2);
  });

  it('describes a refused connection as connection', async () => {
    const closed = await startOpenAIEmulator();
    const url = closed.url;
    await closed.close();
    const sdk = createOpenAIClient({ apiKey: 'k', baseURL: url, timeoutMs: 1000, maxRetries: 0 });
    const err = await captureError(sdk.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }));
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(describeOpenAIError(err).kind).toBe('connection');
    expect(isRetryableOpenAIError(err)).toBe(true);
  });

  it('a caller abort is not retryable; an AbortSignal.timeout() deadline counts as a timeout', async () => {
    emulator.injectFault({ path: CHAT, delayMs: 1000, times: 2 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const aborted = await captureError(generateOperatorReply(client(2), { ...request, signal: controller.signal }));
    expect(describeOpenAIError(aborted).kind).toBe('unknown');
    expect(isRetryableOpenAIError(aborted)).toBe(false);

    const deadline = await captureError(generateOperatorReply(client(2), { ...request, signal: AbortSignal.timeout(100) }));
    expect(describeOpenAIError(deadline).kind).toBe('timeout');
  });

  it('never puts a key into the description', () => {
    const err = new OpenAI.AuthenticationError(
      401,
      { message: 'Incorrect API key provided: sk-proj-abcdefghijklmnop. Bearer abc.def' },
      undefined,
      new Headers(),
    );
    const described = describeOpenAIError(err);
    expect(described.kind).toBe('auth');
    expect(described.message).not.toContain('abcdefghijklmnop');
    expect(described.message).not.toContain('abc.def');
    expect(described.message).toContain('[REDACTED]');
    expect(describeOpenAIError(new Error('boom'))).toEqual({ kind: 'unknown', message: 'boom' });
    expect(isRetryableOpenAIError(new Error('boom'))).toBe(false);
  });

  it('requestOptions leaves unset fields out (the SDK rejects timeout: undefined)', () => {
    expect(requestOptions({})).toEqual({});
    expect(requestOptions({ timeoutMs: 250.4, maxRetries: 1 })).toEqual({ timeout: 250, maxRetries: 1 });
  });
});
