import { rms } from '../../src/audio';
import type { CallSession, DialogTurn } from '../../src/domain/call-session';
import { WRAP_UP } from '../../src/openai/emulator/chat-rules';
import { loadCallScript } from '../../src/dialog/call-script';
import { callSessionQuery } from '../../workflows/definitions';
import { startCallWorkflow } from '../support/call-input';
import { eventually, startTestStack, type TestStack } from '../support/test-stack';

// Whole voice calls through OpenAI's Realtime API (issue 10), against the emulator speaking its
// WebSocket protocol: the callee's audio is recognised by the emulator from the audio it received,
// and every operator line is eSpeak NG speech of the words the emulated model decided to say.
const INTERESTED = '+79990000001';
const NOT_INTERESTED = '+79990000005';
const CALL_LATER = '+79990000006';
const INTERRUPTS = '+79990000012';
const PAUSES = '+79990000013';
const HANGS_UP_MID_REPLY = '+79990000014';

const script = loadCallScript();
const userTurns = (session: CallSession) => session.transcript.filter((turn) => turn.speaker === 'user').map((turn) => turn.text);
const assistantTurns = (session: CallSession) => session.transcript.filter((turn) => turn.speaker === 'assistant');
const rowsOf = async (t: TestStack, callId: string) => (await t.rows()).filter((row) => row.call_id === callId);
const words = (text: string) => text.toLowerCase().replace(/ё/g, 'е').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
/**
 * The last line is the model's sum-up and goodbye at the limit (what the emulated model says to the
 * closing instruction), whole or, when the callee talked over it, as far as it was heard.
 */
function expectWrapUp(last: DialogTurn): void {
  expect(last.text).toMatch(/\S/);
  const said = words(last.text);
  expect({ said, aWrapUp: Object.values(WRAP_UP).some((line) => words(line).startsWith(said)) }).toEqual({ said, aWrapUp: true });
  if (!last.interrupted) expect(last.text).toMatch(/всего доброго/i);
}

describe('DIALOG_MODE=cascade with streaming recognition (OPENAI_STT_API=realtime) and realtime speech', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({ env: { TELEPHONY_PROVIDER: 'simulated', OPENAI_STT_API: 'realtime', MAX_CONCURRENT_CALLS: '3' }, limits: { maxConversationSec: 90 } });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  test('the callee is recognised while talking (a pause mid-phrase included, nobody cut off), answered in realtime speech, one row each', async () => {
    const phones = [INTERESTED, PAUSES, NOT_INTERESTED];
    const ids = await Promise.all(phones.map((phone) => t.placeCall(phone)));
    const sessions = await Promise.all(ids.map((id) => t.waitForEnd(id)));
    sessions.forEach((session, i) => {
      expect(session.status).toBe('completed');
      // Heard through the stream, in order, nothing lost or invented.
      expect(userTurns(session)).toEqual(t.simulator().conversationOf(ids[i]!)!.said);
    });
    expect(userTurns(sessions[1]!)).toContain('Ну, даже не знаю пожалуй, расскажите подробнее.');
    expect(sessions.map((s) => s.final_disposition)).toEqual(['interested', 'interested', 'not_interested']);
    for (const id of ids) expect(await rowsOf(t, id)).toHaveLength(1);
    const emulator = t.stack.openai.emulator!;
    // No phrase went to the file endpoint: every one was committed on a transcription session.
    expect(emulator.requests.filter((r) => r.path === '/v1/audio/transcriptions')).toEqual([]);
    const transcriptionSessions = emulator.requests.filter((r) => r.path === '/v1/realtime' && (r.body as { query: Record<string, string> }).query['intent'] === 'transcription');
    expect(transcriptionSessions.length).toBeGreaterThanOrEqual(3);
    const commits = emulator.realtimeEvents.filter((e) => e.type === 'input_audio_buffer.commit').length;
    expect(commits).toBeGreaterThanOrEqual(sessions.reduce((n, s) => n + userTurns(s).length, 0));
    // Speech: one Realtime session per call (plus the one that pre-synthesised the fixed phrases), no /v1/audio/speech.
    expect(emulator.requests.filter((r) => r.path === '/v1/audio/speech')).toEqual([]);
    expect(emulator.realtimeEvents.filter((e) => e.type === 'response.create').length).toBeGreaterThan(0);
    expect(sessions.every((s) => s.turn_metrics!.every((m) => m.read_back_mismatches === undefined))).toBe(true);
  }, 180_000);

  test('a line the voice reads with other words: the mismatch is in the turn metrics and the log, the transcript keeps what was said', async () => {
    const emulator = t.stack.openai.emulator!;
    // The greeting comes from the cache: the next line read aloud is the first piece of the first answer.
    emulator.injectRealtimeFault({ kind: 'misread', replace: ['перезвоним', 'позвоним'] });
    const callId = await t.placeCall(CALL_LATER);
    const session = await t.waitForEnd(callId);
    emulator.clearFaults();
    const mismatched = session.turn_metrics!.flatMap((m) => m.read_back_mismatches ?? []);
    expect(mismatched).toHaveLength(1);
    expect(mismatched[0]!.said).not.toBe(mismatched[0]!.written);
    expect(mismatched[0]!.said).toMatch(/позвоним/);
    expect(assistantTurns(session).map((turn) => turn.text).join(' ')).toContain(mismatched[0]!.said);
    expect(t.logs.some((l) => l.msg === 'the voice read the reply with other words: the transcript keeps what was said' && l.call_id === callId)).toBe(true);
    expect(session.status).toBe('completed');
  }, 120_000);

  test('the time limit: the model sums up and says goodbye, read aloud by the realtime voice; the call ends time_limit', async () => {
    const callId = await startCallWorkflow(t.stack.client, t.stack.config.env.TEMPORAL_TASK_QUEUE, INTERESTED, { maxConversationSec: 8 }, 'voice');
    const session = await t.waitForEnd(callId);
    expect(session.end_reason).toBe('time_limit');
    expectWrapUp(assistantTurns(session).at(-1)!);
    expect(await rowsOf(t, callId)).toHaveLength(1);
  }, 120_000);

  test('the recognition session drops mid-call: that phrase is transcribed as a file (logged), later ones stream again, one row', async () => {
    const emulator = t.stack.openai.emulator!;
    emulator.injectRealtimeFault({ kind: 'drop', on: 'input_audio_buffer.commit' });
    const callId = await t.placeCall(INTERESTED);
    const session = await t.waitForEnd(callId);
    emulator.clearFaults();
    expect(session.status).toBe('completed');
    if (JSON.stringify(userTurns(session)) !== JSON.stringify(t.simulator().conversationOf(callId)!.said)) {
      console.log('transcript differs from what the callee said (for diagnosis):', session.end_reason, JSON.stringify(session.transcript, null, 1), JSON.stringify(t.logs.filter((l) => l.call_id === callId).map((l) => [l.msg, l.err_message ?? l.utterance_id ?? ''])));
    }
    expect(userTurns(session)).toEqual(t.simulator().conversationOf(callId)!.said);
    expect(t.logs.some((l) => l.msg === 'streaming recognition failed: FALLBACK to transcribing the phrase as a file' && l.call_id === callId)).toBe(true);
    expect(emulator.requests.filter((r) => r.path === '/v1/audio/transcriptions').length).toBeGreaterThanOrEqual(1);
    expect(session.final_disposition).toBe('interested');
    expect(await rowsOf(t, callId)).toHaveLength(1);
  }, 120_000);
});

describe('DIALOG_MODE=realtime: a Realtime speech-to-speech model is the operator', () => {
  let t: TestStack;
  beforeAll(async () => {
    // The `fast` profile paces the model's audio (twice real time), so a barge-in comes while it still speaks.
    t = await startTestStack({ env: { TELEPHONY_PROVIDER: 'simulated', DIALOG_MODE: 'realtime', MAX_CONCURRENT_CALLS: '3', OPENAI_EMULATOR_LATENCY: 'fast' }, limits: { maxConversationSec: 90 } });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  test('whole calls: the model hears the callee and answers in audio; the callee\'s words come from input transcription; classified, one row each', async () => {
    const phones = [INTERESTED, NOT_INTERESTED, PAUSES];
    const ids = await Promise.all(phones.map((phone) => t.placeCall(phone)));
    const sessions = await Promise.all(ids.map((id) => t.waitForEnd(id)));
    sessions.forEach((session, i) => {
      expect(session.status).toBe('completed');
      expect(userTurns(session)).toEqual(t.simulator().conversationOf(ids[i]!)!.said);
      // Every answer's words are in the transcript, without service marks.
      for (const turn of assistantTurns(session)) expect(turn.text).toMatch(/\S/);
      for (const turn of assistantTurns(session)) expect(turn.text).not.toMatch(/\[END\]/);
      expect(session.end_reason).toBe('goodbye');
    });
    expect(sessions.map((s) => s.final_disposition)).toEqual(['interested', 'not_interested', 'interested']);
    for (const id of ids) expect(await rowsOf(t, id)).toHaveLength(1);
    const emulator = t.stack.openai.emulator!;
    // One speech-to-speech model did it all: no chat completions, no speech or transcription requests.
    expect(emulator.requests.filter((r) => r.path === '/v1/chat/completions' && !JSON.stringify(r.body).includes('json_schema'))).toEqual([]);
    expect(emulator.requests.filter((r) => r.path === '/v1/audio/speech' || r.path === '/v1/audio/transcriptions')).toEqual([]);
    const answers = emulator.realtimeEvents.filter((e) => e.direction === 'client' && e.type === 'response.create').length;
    expect(answers).toBeGreaterThanOrEqual(sessions.reduce((n, s) => n + userTurns(s).length, 0));
    // Turns still carry their latencies.
    for (const turn of sessions[0]!.turn_metrics!) expect(turn.voice_to_voice_ms).toEqual(expect.any(Number));
  }, 180_000);

  test('barge-in: our VAD cuts the model (response.cancel, the unheard rest truncated), the cut turn is marked, the callee is answered', async () => {
    const callId = await t.placeCall(INTERRUPTS);
    const session = await t.waitForEnd(callId);
    const callee = t.simulator().conversationOf(callId)!;
    expect(callee.line!.clears).toBeGreaterThanOrEqual(1);
    const cut = session.transcript.findIndex((turn) => turn.speaker === 'assistant' && turn.interrupted === true);
    expect(cut).toBeGreaterThan(0);
    expect(session.transcript[cut + 1]).toMatchObject({ speaker: 'user', text: 'Подождите, мне сейчас неудобно, перезвоните позже.' });
    expect(session.transcript[cut + 2]?.speaker).toBe('assistant');
    const sent = t.stack.openai.emulator!.realtimeEvents.filter((e) => e.direction === 'client').map((e) => e.type);
    expect(sent).toContain('response.cancel');
    expect(sent).toContain('conversation.item.truncate');
    expect(session.final_disposition).toBe('call_later');
  }, 120_000);

  test('a hang-up mid-reply: the words already said stay in the transcript, marked cut; no fallback phrase; one row', async () => {
    const callId = await t.placeCall(HANGS_UP_MID_REPLY);
    const session = await t.waitForEnd(callId);
    expect(session.end_reason).toBe('hangup');
    const last = session.transcript.at(-1)!;
    expect(last).toMatchObject({ speaker: 'assistant', interrupted: true });
    expect(last.text).not.toBe(script.fallbackPhrase);
    expect(await rowsOf(t, callId)).toHaveLength(1);
  }, 120_000);

  test('the time limit: the workflow sends the sum-up instruction, the model says goodbye, the call ends time_limit', async () => {
    const callId = await startCallWorkflow(t.stack.client, t.stack.config.env.TEMPORAL_TASK_QUEUE, INTERESTED, { maxConversationSec: 8 }, 'voice');
    const session = await t.waitForEnd(callId);
    expect(session.end_reason).toBe('time_limit');
    expectWrapUp(assistantTurns(session).at(-1)!);
    expect(t.stack.openai.emulator!.realtimeEvents.some((e) => e.type === 'response.create')).toBe(true);
    expect(await rowsOf(t, callId)).toHaveLength(1);
  }, 120_000);

  test('the realtime session drops mid-call: the phrase is recognised as a file, the model gets the dialog again as text, the call goes on, one row', async () => {
    const emulator = t.stack.openai.emulator!;
    const callId = await t.placeCall(INTERESTED);
    const handle = t.stack.client.workflow.getHandle(callId);
    await eventually(async () => (await handle.query(callSessionQuery)).transcript.some((turn) => turn.speaker === 'user'), 60_000);
    emulator.injectRealtimeFault({ kind: 'drop', on: 'input_audio_buffer.commit' });
    const session = await t.waitForEnd(callId);
    emulator.clearFaults();
    expect(session.status).toBe('completed');
    expect(userTurns(session)).toEqual(t.simulator().conversationOf(callId)!.said);
    expect(t.logs.some((l) => l.msg === 'realtime operator session opened again after a drop: the dialog so far is sent to it as text' && l.call_id === callId)).toBe(true);
    expect(session.final_disposition).toBe('interested');
    expect(await rowsOf(t, callId)).toHaveLength(1);
    // The callee heard the operator throughout: speech after the drop too.
    const heard = t.simulator().conversationOf(callId)!.line!.heard;
    expect(heard.filter((frame) => rms(frame) > 300).length).toBeGreaterThan(50);
  }, 120_000);
});
