import { startTestStack, TEST_API_KEY, type TestStack } from '../support/test-stack';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
}, 90_000);
afterAll(async () => {
  await t?.stop();
});

const auth = { 'x-api-key': TEST_API_KEY };
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('POST /call', () => {
  test('accepts +7 and 8 numbers, answers with a uuid v4 and status created, stores +7', async () => {
    const response = await t.request('POST', '/call', { body: { phone: '89990000002' }, headers: auth });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ call_id: expect.stringMatching(UUID_V4), status: 'created' });
    const session = await t.waitForEnd(response.body.call_id);
    expect(session.phone).toBe('+79990000002');
  });

  test.each([
    ['letters', { phone: '+7abc' }],
    ['too short', { phone: '+7999000000' }],
    ['too long', { phone: '+799900000011' }],
    ['another country', { phone: '+19990000001' }],
    ['a number, not a string', { phone: 79990000001 }],
    ['spaces inside', { phone: '+7 999 000 00 01' }],
  ])('400 invalid_phone for %s', async (_name, body) => {
    const response = await t.request('POST', '/call', { body, headers: auth });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_phone');
    expect(response.body.error.message).toContain('phone');
  });

  test.each([
    ['missing phone', { rawBody: '{}', headers: { 'content-type': 'application/json' } }],
    ['malformed JSON', { rawBody: '{"phone": "+7999', headers: { 'content-type': 'application/json' } }],
    ['an array', { rawBody: '["+79990000001"]', headers: { 'content-type': 'application/json' } }],
    ['empty body', { rawBody: '', headers: { 'content-type': 'application/json' } }],
    ['wrong content type', { rawBody: 'phone=+79990000001', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
  ])('400 invalid_body for %s', async (_name, options) => {
    const response = await t.request('POST', '/call', { rawBody: options.rawBody, headers: { ...auth, ...options.headers } });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: { code: 'invalid_body', message: expect.any(String) } });
  });

  test('413 for an oversized body', async () => {
    const response = await t.request('POST', '/call', {
      rawBody: JSON.stringify({ phone: '+79990000001', padding: 'x'.repeat(100_000) }),
      headers: { ...auth, 'content-type': 'application/json' },
    });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });

  test.each([
    ['no key', {}],
    ['a wrong key', { 'x-api-key': 'wrong-key-0123456789' }],
    ['a prefix of the key', { 'x-api-key': TEST_API_KEY.slice(0, 10) }],
  ])('401 unauthorized with %s, and nothing is started', async (_name, headers) => {
    const before = await countCallWorkflows();
    const response = await t.request('POST', '/call', { body: { phone: '+79990000001' }, headers });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('unauthorized');
    expect(await countCallWorkflows()).toBe(before);
  });

  test('Idempotency-Key: a retry returns the same call id and dials nothing new', async () => {
    const headers = { ...auth, 'idempotency-key': `crm-order-${Date.now()}` };
    const first = await t.request('POST', '/call', { body: { phone: '+79990000002' }, headers });
    const second = await t.request('POST', '/call', { body: { phone: '+79990000002' }, headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.call_id).toBe(first.body.call_id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    await t.waitForEnd(first.body.call_id);
    // After the call ended the same key still does not dial again.
    const third = await t.request('POST', '/call', { body: { phone: '+79990000002' }, headers });
    expect(third.body.call_id).toBe(first.body.call_id);
    const placed = t.logs.filter((l) => l.msg === 'simulated call placed (no real dialing)' && l.call_id === first.body.call_id);
    expect(placed).toHaveLength(1);
    // The same key with another number is a client error, not a silent replay.
    const other = await t.request('POST', '/call', { body: { phone: '+79990000003' }, headers });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
  });

  test('a garbage Idempotency-Key is refused', async () => {
    const response = await t.request('POST', '/call', { body: { phone: '+79990000002' }, headers: { ...auth, 'idempotency-key': 'x'.repeat(300) } });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_idempotency_key');
  });
});

describe('GET /calls/{call_id}', () => {
  test('returns the CallSession while the call runs and after it ended', async () => {
    const callId = await t.placeCall('+79990000001');
    const running = await t.request('GET', `/calls/${callId}`, { headers: auth });
    expect(running.status).toBe(200);
    expect(running.body).toMatchObject({ id: callId, phone: '+79990000001', transcript: expect.any(Array) });
    expect(['created', 'dialing', 'in_progress']).toContain(running.body.status);
    await t.waitForEnd(callId);
    const ended = await t.request('GET', `/calls/${callId}`, { headers: auth });
    expect(ended.body).toMatchObject({ id: callId, status: 'completed', final_disposition: 'interested' });
    expect(ended.body.transcript.length).toBeGreaterThan(2);
  });

  test('404 not_found for an unknown or malformed id', async () => {
    for (const id of ['2f1e0c55-1b0a-4c3e-9a57-5d0c2b9a1e11', 'not-a-uuid']) {
      const response = await t.request('GET', `/calls/${id}`, { headers: auth });
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    }
  });

  test('401 without the API key', async () => {
    const response = await t.request('GET', '/calls/2f1e0c55-1b0a-4c3e-9a57-5d0c2b9a1e11');
    expect(response.status).toBe(401);
  });
});

describe('service endpoints', () => {
  test('healthz and readyz', async () => {
    expect((await t.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect(await t.request('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ready', temporal: 'reachable' } });
  });

  test('openapi.json documents the routes with the schemas the routes validate with', async () => {
    const { status, body } = await t.request('GET', '/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/call', '/calls/{call_id}', '/telephony/events']));
    expect(body.components.schemas.CreateCallRequest.properties.phone.pattern).toBe('^(\\+7|8)\\d{10}$');
    expect(body.components.schemas.TelephonyEvent.properties.event.enum).toEqual(['ringing', 'answered', 'hangup', 'busy', 'no_answer', 'error']);
    expect(body.components.schemas.CallSession.properties.status.enum).toContain('in_progress');
  });

  test('unknown routes and methods answer JSON errors', async () => {
    const missing = await t.request('GET', '/nope');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const wrongMethod = await t.request('DELETE', '/call');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.error.code).toBe('method_not_allowed');
  });
});

async function countCallWorkflows(): Promise<number> {
  let count = 0;
  for await (const _ of t.stack.client.workflow.list({ query: `WorkflowType = 'CallWorkflow' AND TaskQueue = '${t.stack.config.env.TEMPORAL_TASK_QUEUE}'` })) count++;
  return count;
}
