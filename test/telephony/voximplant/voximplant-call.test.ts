/**
 * Voximplant end to end: the real adapter (StartScenarios with a service-account JWT), OUR VoxEngine
 * scenario file run by a local Voximplant emulator (test/fakes/fake-voximplant.ts), its event posts
 * to /telephony/events/voximplant, the media gateway speaking Voximplant's media-over-WebSocket
 * format, the real VAD/STT/LLM/TTS path (OpenAI emulator) and Temporal.
 */
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import type { CallSession } from '../../../src/domain/call-session';
import { PERSONA_LINES } from '../../../src/telephony/simulated/callee-behaviours';
import { lineText } from '../../../src/speech-synthesis';
import { startFakeVoximplant, type FakePstnCallee, type FakeVoximplant } from '../../fakes/fake-voximplant';
import { eventually, startTestStack, TEST_WEBHOOK_SECRET, type TestStack } from '../../support/test-stack';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ACCOUNT = { account_id: 4242, key_id: 'c0ffee00-1111-2222-3333-444455556666', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
const RULE_ID = 777;

const CALLEES: Record<string, FakePstnCallee> = {
  '+79991110001': { kind: 'answers', lines: PERSONA_LINES.interested },
  '+79991110002': { kind: 'fails', code: 486, reason: 'Busy Here' },
  '+79991110003': { kind: 'rings' },
  '+79991110004': { kind: 'fails', code: 404, reason: 'Not Found' },
  '+79991110005': { kind: 'answers', lines: PERSONA_LINES.interrupts, interruptSecondPhrase: true },
  '+79991110006': { kind: 'answers', lines: ['Алло, кто это?'], hangUpAfterLastLine: true },
  '+79991110007': { kind: 'fails', code: 603, reason: 'Decline' },
};

let fake: FakeVoximplant;
let t: TestStack;
beforeAll(async () => {
  let apiUrl = '';
  fake = await startFakeVoximplant({
    accountId: ACCOUNT.account_id,
    keyId: ACCOUNT.key_id,
    publicKey,
    ruleId: RULE_ID,
    scenarioPath: path.join(__dirname, '../../../src/telephony/voximplant/scenario/voice-caller-outbound.voxengine.js'),
    backendUrl: () => apiUrl,
    webhookSecret: TEST_WEBHOOK_SECRET,
    callee: (phone) => CALLEES[phone] ?? { kind: 'rings' },
  });
  t = await startTestStack({
    env: {
      TELEPHONY_PROVIDER: 'voximplant',
      TELEPHONY_CONFIG: JSON.stringify({ rule_id: RULE_ID, caller_id: '+74951234567', api_url: fake.apiUrl }),
      TELEPHONY_API_KEY: JSON.stringify(ACCOUNT),
    },
    limits: { maxConversationSec: 90, ringTimeoutSec: 5 },
  });
  apiUrl = t.stack.api.url;
}, 120_000);
afterAll(async () => {
  await t?.stop();
  await fake?.close();
});

const userTurns = (session: CallSession) => session.transcript.filter((turn) => turn.speaker === 'user').map((turn) => turn.text);

test('a whole call: StartScenarios with a valid JWT, the scenario dials, audio both ways, our hang-up through the session URL, one row', async () => {
  const callId = await t.placeCall('+79991110001');
  const session = await t.waitForEnd(callId);
  const vox = fake.sessionFor(callId)!;

  expect(fake.startRequests.find((r) => r.customData?.includes(callId))).toMatchObject({ ok: true, ruleId: String(RULE_ID) });
  expect(JSON.parse(vox.customData)).toEqual({ call_id: callId }); // nothing else travels in custom data
  expect(vox.phone).toBe('+79991110001');
  expect(vox.callerId).toBe('+74951234567');
  expect(vox.mediaFormat).toEqual({ encoding: 'ULAW', sampleRate: 8000 });
  expect(JSON.parse(vox.customParameters!)).toEqual({ call_id: callId });

  expect(session.status).toBe('completed');
  expect(userTurns(session)).toEqual(vox.said.map(lineText)); // heard through Voximplant's media stream
  expect(session.final_disposition).toBe('interested');
  expect(vox.heardMs()).toBeGreaterThan(3000); // the callee heard the operator
  // The operator said goodbye, the backend hung up through the media session URL, the scenario ended.
  expect(vox.httpCommands.map((c) => JSON.parse(c).command)).toContain('hangup');
  expect(vox.events).toEqual(['Ringing', 'Connected', 'Disconnected']);
  await eventually(() => vox.terminated, 5000); // the scenario ends its session a moment after the last event
  expect((await t.rows()).filter((row) => row.call_id === callId)).toHaveLength(1);
  // The service account key is a secret: never logged.
  expect(t.rawLogs.join('\n')).not.toContain(ACCOUNT.private_key.split('\n')[1]!);
}, 120_000);

test('busy, declined, failed and unanswered calls end with the right status and one row each', async () => {
  const [busy, declined, failed, unanswered] = await Promise.all(['+79991110002', '+79991110007', '+79991110004', '+79991110003'].map((p) => t.placeCall(p)));
  const sessions = await Promise.all([busy, declined, failed, unanswered].map((id) => t.waitForEnd(id!)));
  expect(sessions.map((s) => s.status)).toEqual(['no_answer', 'no_answer', 'failed', 'no_answer']);
  expect(sessions[0]!.short_summary).toContain('Не дозвонились: статус no_answer');
  expect(sessions[2]!.end_reason).toContain('voximplant 404 Not Found');
  expect(fake.sessionFor(busy!)!.events).toEqual(['Ringing', 'Failed:486']);
  expect(fake.sessionFor(declined!)!.events).toEqual(['Ringing', 'Failed:603']);
  // Nobody picked up: a ring timeout hung up the call (the scenario's or the workflow's, whichever came first).
  expect(fake.sessionFor(unanswered!)!.hangups).toBeGreaterThanOrEqual(1);
  // The workflow's timer gives `ring_timeout`; the scenario's RingTimeout event arrives as `no_answer`.
  expect(['ring_timeout', 'no_answer']).toContain(sessions[3]!.end_reason);
  const rows = await t.rows();
  for (const id of [busy, declined, failed, unanswered]) expect(rows.filter((row) => row.call_id === id)).toHaveLength(1);
  expect(t.logs.some((l) => l.msg === 'telephony event' && l.provider === 'voximplant' && l.event === 'busy')).toBe(true);
}, 120_000);

test('barge-in: the gateway asks the scenario to clear its media buffer, the cut turn is marked', async () => {
  const callId = await t.placeCall('+79991110005');
  const session = await t.waitForEnd(callId);
  expect(fake.sessionFor(callId)!.clears).toBeGreaterThanOrEqual(1); // customEvent "clear" -> clearMediaBuffer()
  const cut = session.transcript.findIndex((turn) => turn.speaker === 'assistant' && turn.interrupted === true);
  expect(cut).toBeGreaterThan(0);
  expect(session.transcript[cut + 1]).toMatchObject({ speaker: 'user', text: PERSONA_LINES.interrupts[1] });
  expect(session.final_disposition).toBe('call_later');
}, 120_000);

test('the callee hangs up: the call ends at once as completed, one row', async () => {
  const callId = await t.placeCall('+79991110006');
  const session = await t.waitForEnd(callId);
  expect(session.status).toBe('completed');
  expect(session.end_reason).toBe('hangup');
  expect(fake.sessionFor(callId)!.events).toEqual(['Ringing', 'Connected', 'Disconnected']);
  expect((await t.rows()).filter((row) => row.call_id === callId)).toHaveLength(1);
}, 120_000);

test('the scenario session endpoint refuses a wrong secret and unknown calls', async () => {
  const callId = '00000000-0000-4000-8000-000000000000';
  const noSecret = await t.request('GET', `/telephony/voximplant/calls/${callId}/session`);
  expect(noSecret.status).toBe(401);
  const unknown = await t.request('GET', `/telephony/voximplant/calls/${callId}/session`, { headers: { 'x-webhook-secret': TEST_WEBHOOK_SECRET } });
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.code).toBe('not_found');
  const badEvent = await t.request('POST', '/telephony/events/voximplant', { body: { call_id: callId, event: 'Exploded' }, headers: { 'x-webhook-secret': TEST_WEBHOOK_SECRET } });
  expect(badEvent.status).toBe(400);
  expect(badEvent.body.error.code).toBe('unknown_event');
});
