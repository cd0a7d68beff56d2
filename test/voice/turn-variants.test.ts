import type { CallSession } from '../../src/domain/call-session';
import { startTestStack, type TestStack } from '../support/test-stack';

// The simpler designs `npm run bench` compares the pipeline with are real settings, so they must work:
// REPLY_SPEECH=whole voices each reply once the model has finished it, VOICE_TURN_ACTIVITY=local
// runs the voice turn as a local activity. A call through both still talks to the end.
const INTERESTED = '+79990000001';
let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ env: { TELEPHONY_PROVIDER: 'simulated', REPLY_SPEECH: 'whole', VOICE_TURN_ACTIVITY: 'local' }, limits: { maxConversationSec: 90 } });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

test('whole-reply speech and a local-activity turn: each reply is voiced in one piece, the turn never goes through the task queue', async () => {
  const callId = await t.placeCall(INTERESTED);
  const session: CallSession = await t.waitForEnd(callId);
  expect(session.status).toBe('completed');
  expect(session.final_disposition).toBe('interested');
  const replies = session.transcript.filter((turn) => turn.speaker === 'assistant').map((turn) => turn.text);
  // Replies of several sentences exist, so a sentence-by-sentence pipeline would have voiced parts of them.
  expect(replies.some((text) => (text.match(/[.!?](\s|$)/g) ?? []).length >= 2)).toBe(true);
  const spoken = t.stack.openai.emulator!.requests.filter((r) => r.path === '/v1/audio/speech').map((r) => (r.body as { input: string }).input);
  for (const reply of replies) expect(spoken).toContain(reply);
  // Nothing was voiced as the first part of a reply alone.
  for (const input of spoken) expect(replies.some((reply) => reply !== input && reply.startsWith(input))).toBe(false);
  expect(session.turn_metrics!.length).toBeGreaterThanOrEqual(2);
  for (const turn of session.turn_metrics!) expect(turn.voice_to_voice_ms).toBeGreaterThan(turn.stt_ms! + turn.llm_ms!);

  const history = await t.stack.client.workflow.getHandle(callId).fetchHistory();
  const scheduled = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
  expect(scheduled).toContain('initiateCall');
  expect(scheduled).not.toContain('hearAndReply');
  expect((history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length).toBeGreaterThanOrEqual(2);
}, 150_000);
