import type { CallSession } from '../../src/domain/call-session';
import { startTestStack, type TestStack } from '../support/test-stack';

// The simpler design `npm run bench` compares the pipeline with is a real setting, so it must work:
// REPLY_SPEECH=whole voices each reply once the model has finished it. A call through it still talks to the end.
// It also keeps /v1/audio/speech in use (OPENAI_TTS_API=speech: OpenAI-compatible servers, and OpenAI until 2027-01-06).
const INTERESTED = '+79990000001';
let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ env: { TELEPHONY_PROVIDER: 'simulated', REPLY_SPEECH: 'whole', OPENAI_TTS_API: 'speech' }, limits: { maxConversationSec: 90 } });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

test('whole-reply speech: each reply is voiced in one piece, and the turn runs on the gateway\'s own task queue', async () => {
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
  const scheduled = (history.events ?? []).flatMap((e) => {
    const attributes = e.activityTaskScheduledEventAttributes;
    return attributes ? [{ type: attributes.activityType?.name, queue: attributes.taskQueue?.name }] : [];
  });
  const generalQueue = t.stack.config.env.TEMPORAL_TASK_QUEUE;
  // Dialing stays on the general worker; every turn runs on the gateway that carries the call.
  expect(scheduled.find((a) => a.type === 'initiateCall')?.queue).toBe(generalQueue);
  const turns = scheduled.filter((a) => a.type === 'hearAndReply');
  expect(turns.length).toBeGreaterThanOrEqual(2);
  for (const turn of turns) expect(turn.queue).toBe(t.stack.gateway!.taskQueue);
  expect(t.stack.gateway!.taskQueue).not.toBe(generalQueue);
}, 150_000);
