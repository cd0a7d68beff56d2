import { randomUUID } from 'node:crypto';
import { callSessionQuery } from '../../workflows/definitions';
import { eventually, startTestStack, TEST_WEBHOOK_SECRET, type TestStack } from '../support/test-stack';

const RINGS_FOREVER = '+79990000003'; // the simulator only reports `ringing`: the test plays the provider

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ limits: { ringTimeoutSec: 60 } });
}, 90_000);
afterAll(async () => {
  await t?.stop();
});

const secret = { 'x-webhook-secret': TEST_WEBHOOK_SECRET };
const event = (callId: string, name: string, extra: Record<string, unknown> = {}) => ({
  call_id: callId,
  event: name,
  timestamp: new Date().toISOString(),
  reason: null,
  ...extra,
});
const post = (body: unknown, headers: Record<string, string> = secret) => t.request('POST', '/telephony/events', { body, headers });
const status = async (callId: string) => (await t.stack.client.workflow.getHandle(callId).query(callSessionQuery)).status;

test('401 without the webhook secret, and the call does not change', async () => {
  const callId = await t.placeCall(RINGS_FOREVER);
  await eventually(async () => (await status(callId)) === 'dialing');
  for (const headers of [{}, { 'x-webhook-secret': 'wrong-secret-0123456789' }] as Record<string, string>[]) {
    const response = await post(event(callId, 'busy'), headers);
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('unauthorized');
  }
  expect(await status(callId)).toBe('dialing');
  await post(event(callId, 'busy'));
  expect((await t.waitForEnd(callId)).status).toBe('no_answer');
});

test('400 for an unknown event or an invalid body; 404 for an unknown call', async () => {
  const unknown = await post(event(randomUUID(), 'exploded'));
  expect(unknown.status).toBe(400);
  expect(unknown.body.error.code).toBe('unknown_event');

  for (const body of [{ event: 'ringing' }, event('not-a-uuid', 'ringing'), event(randomUUID(), 'ringing', { timestamp: 'yesterday' })]) {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_body');
    expect(response.body.error.details).toEqual(expect.any(Array));
  }
  const missing = await post(event(randomUUID(), 'answered'));
  expect(missing.status).toBe(404);
  expect(missing.body.error.code).toBe('not_found');
});

test('duplicates and out-of-order events never move a call backwards', async () => {
  const callId = await t.placeCall(RINGS_FOREVER);
  await eventually(async () => (await status(callId)) === 'dialing');

  expect((await post(event(callId, 'answered', { event_id: 'prov-1' }))).status).toBe(200);
  await eventually(async () => (await status(callId)) === 'in_progress');
  const startedAt = (await t.stack.client.workflow.getHandle(callId).query(callSessionQuery)).started_at;

  await post(event(callId, 'ringing')); // late ringing
  await post(event(callId, 'answered', { event_id: 'prov-1' })); // redelivered
  await post(event(callId, 'answered', { event_id: 'prov-2' })); // answered twice
  const session = await t.stack.client.workflow.getHandle(callId).query(callSessionQuery);
  expect(session.status).toBe('in_progress');
  expect(session.started_at).toBe(startedAt);

  expect((await post(event(callId, 'hangup'))).body.accepted).toBe(true);
  const ended = await t.waitForEnd(callId);
  expect(ended).toMatchObject({ status: 'completed', end_reason: 'hangup' });

  // A second hangup (and anything else) after the end is accepted and ignored.
  const again = await post(event(callId, 'hangup'));
  expect(again).toMatchObject({ status: 200, body: { accepted: false } });
  expect(await post(event(callId, 'busy'))).toMatchObject({ status: 200, body: { accepted: false } });
  const rows = (await t.rows()).filter((row) => row.call_id === callId);
  expect(rows).toHaveLength(1);
  expect(rows[0]!.status).toBe('completed');
});

test('busy after the callee answered is a hang-up, not a no_answer', async () => {
  const callId = await t.placeCall(RINGS_FOREVER);
  await eventually(async () => (await status(callId)) === 'dialing');
  await post(event(callId, 'answered'));
  await eventually(async () => (await status(callId)) === 'in_progress');
  await post(event(callId, 'busy'));
  expect((await t.waitForEnd(callId)).status).toBe('completed');
});

test('an error before answer fails the call with the provider reason', async () => {
  const callId = await t.placeCall(RINGS_FOREVER);
  await eventually(async () => (await status(callId)) === 'dialing');
  await post(event(callId, 'error', { reason: 'SIP 404 Not Found' }));
  const session = await t.waitForEnd(callId);
  expect(session.status).toBe('failed');
  expect(session.end_reason).toContain('SIP 404 Not Found');
});
