import { rms } from '../../src/audio';
import type { CallSession } from '../../src/domain/call-session';
import { loadCallScript } from '../../src/dialog/call-script';
import { callSessionQuery } from '../../workflows/definitions';
import { startCallWorkflow } from '../support/call-input';
import { eventually, sleep, startTestStack, TEST_WEBHOOK_SECRET, type TestStack } from '../support/test-stack';

// The whole voice path for real: the simulated callee speaks synthesised Russian (eSpeak NG) over the
// media WebSocket in mu-law 8 kHz, the gateway's Silero VAD cuts phrases, STT (the OpenAI emulator,
// which recognises the AUDIO against its phrase bank) transcribes them, replies are synthesised and
// paced back onto the line, and the callee's ear decides when to answer.
const INTERESTED = '+79990000001';
const NOT_INTERESTED = '+79990000005';
const CALL_LATER = '+79990000006';
const SILENT = '+79990000007';
const INTERRUPTS = '+79990000012';
const PAUSES = '+79990000013';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ env: { TELEPHONY_PROVIDER: 'simulated' }, limits: { maxConversationSec: 90 } });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const userTurns = (session: CallSession) => session.transcript.filter((turn) => turn.speaker === 'user').map((turn) => turn.text);
const script = loadCallScript();

test('a full conversation: the callee is heard through audio, answered in speech, classified, one row', async () => {
  const callId = await t.placeCall(INTERESTED);
  const session = await t.waitForEnd(callId);
  const callee = t.simulator().conversationOf(callId)!;

  expect(session.status).toBe('completed');
  expect(userTurns(session)).toEqual(callee.said); // audio -> VAD -> STT, in order, nothing lost or invented
  expect(callee.said.length).toBeGreaterThanOrEqual(3);
  expect(session.final_disposition).toBe('interested');
  expect(session.end_reason).toBe('goodbye');
  // The callee heard the operator as sound: seconds of audio, mostly speech.
  const heard = callee.line!.heard;
  expect(heard.reduce((ms, frame) => ms + frame.length / 8, 0)).toBeGreaterThan(3000);
  expect(heard.filter((frame) => rms(frame) > 300).length).toBeGreaterThan(heard.length / 4);
  expect((await t.rows()).filter((row) => row.call_id === callId)).toHaveLength(1);

  // Every answered turn carries its latencies; voice-to-voice includes the endpointing silence,
  // so it can never be shorter than STT + LLM alone.
  expect(session.greeting_ms).toEqual(expect.any(Number));
  expect(session.turn_metrics).toHaveLength(callee.said.length);
  for (const turn of session.turn_metrics!) {
    expect(Date.parse(turn.speech_ended_at!)).toBeGreaterThan(Date.parse(session.started_at!));
    expect(turn).toMatchObject({ stt_ms: expect.any(Number), llm_ms: expect.any(Number), tts_first_byte_ms: expect.any(Number), voice_to_voice_ms: expect.any(Number) });
    expect(turn.voice_to_voice_ms!).toBeGreaterThanOrEqual(turn.stt_ms! + turn.llm_ms!);
  }
}, 120_000);

test('latencies and call counts are exposed as Prometheus metrics on the gateway and the API', async () => {
  const gatewayMetrics = await (await fetch(`${t.stack.gateway!.gateway.url.replace(/^ws/, 'http')}/metrics`)).text();
  const count = (text: string, name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  expect(count(gatewayMetrics, 'voice_to_voice_seconds_count')).toBeGreaterThan(0);
  expect(gatewayMetrics).toMatch(/turn_stage_seconds_count\{stage="endpointing"\} [1-9]/);
  expect(gatewayMetrics).toMatch(/turn_stage_seconds_count\{stage="stt"\} [1-9]/);
  expect(gatewayMetrics).toMatch(/turn_stage_seconds_count\{stage="llm"\} [1-9]/);
  expect(gatewayMetrics).toMatch(/media_active_calls \d/);
  const apiMetrics = await (await fetch(`${t.stack.api.url}/metrics`)).text();
  expect(count(apiMetrics, 'calls_started_total')).toBeGreaterThan(0);
  expect(apiMetrics).toMatch(/telephony_events_total\{event="answered"\} [1-9]/);
  expect(apiMetrics).toMatch(/calls_ended_total\{status="completed",disposition="interested"\} [1-9]/);
});

test('barge-in: callee speech during playback stops it, the cut turn is marked, and the callee is answered', async () => {
  const callId = await t.placeCall(INTERRUPTS);
  const session = await t.waitForEnd(callId);
  const callee = t.simulator().conversationOf(callId)!;

  expect(callee.line!.clears).toBeGreaterThanOrEqual(1); // the gateway told the provider to drop queued audio
  const cut = session.transcript.findIndex((turn) => turn.speaker === 'assistant' && turn.interrupted === true);
  expect(cut).toBeGreaterThan(0);
  expect(session.transcript[cut + 1]).toMatchObject({ speaker: 'user', text: 'Подождите, мне сейчас неудобно, перезвоните позже.' });
  expect(session.transcript[cut + 2]?.speaker).toBe('assistant'); // the interruption was answered
  expect(session.final_disposition).toBe('call_later');
}, 120_000);

test('a pause mid-phrase: the reply prepared at the pause is dropped, the whole phrase is one turn, the operator never talks over it', async () => {
  const callId = await t.placeCall(PAUSES);
  const session = await t.waitForEnd(callId);
  const callee = t.simulator().conversationOf(callId)!;

  expect(session.status).toBe('completed');
  expect(userTurns(session)).toEqual(callee.said);
  expect(userTurns(session)).toContain('Ну, даже не знаю пожалуй, расскажите подробнее.');
  // The early reply to «Ну, даже не знаю» was prepared and then withdrawn, never played.
  expect(t.logs.some((l) => l.msg === 'callee went on talking: provisional phrase withdrawn' && l.call_id === callId)).toBe(true);
  expect(session.transcript.filter((turn) => turn.interrupted)).toEqual([]);
  expect(callee.line!.clears).toBe(0); // nothing had to be cut: the operator waited
  expect(session.final_disposition).toBe('interested');
}, 120_000);

test('silence: the operator re-prompts, then says goodbye and hangs up', async () => {
  const callId = await startCallWorkflow(t.stack.client, t.stack.config.env.TEMPORAL_TASK_QUEUE, SILENT, { maxConversationSec: 60 }, 'voice', {
    silenceRepromptSec: 2,
    maxReprompts: 1,
  });
  const session = await t.waitForEnd(callId);
  expect(session.end_reason).toBe('silence');
  expect(session.transcript.map((turn) => turn.text)).toEqual([script.greeting, script.repromptPhrase, script.silenceGoodbye]);
  expect(t.logs.some((l) => l.msg === 'call hung up' && l.call_id === callId && l.reason === 'silence')).toBe(true);
}, 120_000);

test('a hang-up in the middle of a turn stops the turn at once', async () => {
  const callId = await t.placeCall(NOT_INTERESTED);
  const handle = t.stack.client.workflow.getHandle(callId);
  // Hold the next model reply for 20 s, then hang up while the operator is "thinking".
  t.stack.openai.emulator!.injectFault({ path: '/v1/chat/completions', delayMs: 20_000, times: 1 });
  await eventually(async () => (await handle.query(callSessionQuery)).transcript.some((turn) => turn.speaker === 'user'), 60_000);
  const hungUpAt = Date.now();
  const response = await fetch(`${t.stack.api.url}/telephony/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-secret': TEST_WEBHOOK_SECRET },
    body: JSON.stringify({ call_id: callId, event: 'hangup', timestamp: new Date().toISOString(), reason: 'callee hung up' }),
  });
  expect(response.status).toBe(200);
  const session = await t.waitForEnd(callId);
  t.stack.openai.emulator!.clearFaults();
  expect(Date.now() - hungUpAt).toBeLessThan(10_000); // long before the held reply would have come
  expect(session.end_reason).toBe('hangup');
  expect(session.status).toBe('completed');
  expect((await t.rows()).filter((row) => row.call_id === callId)).toHaveLength(1);
}, 120_000);

test('the callee hangs up while the operator speaks: the words already said stay in the transcript, marked cut', async () => {
  const callId = await t.placeCall(INTERESTED);
  const handle = t.stack.client.workflow.getHandle(callId);
  await eventually(async () => userTurns(await handle.query(callSessionQuery)).length >= 2, 60_000);
  const line = () => t.simulator().conversationOf(callId)!.line!;
  const heardBefore = line().heard.length;
  // Half a second of the operator's answer has reached the callee's ear: now the line goes away.
  await eventually(() => line().heard.slice(heardBefore).filter((frame) => rms(frame) > 300).length >= 25, 20_000);
  // The provider's hang-up event comes a moment before the media stream closes (the other order is
  // covered too: then the turn simply ends first).
  const event = await fetch(`${t.stack.api.url}/telephony/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-secret': TEST_WEBHOOK_SECRET },
    body: JSON.stringify({ call_id: callId, event: 'hangup', timestamp: new Date().toISOString(), reason: 'callee hung up' }),
  });
  expect(event.status).toBe(200);
  await sleep(300);
  await t.simulator().hangUp(callId, 'callee hung up mid-reply');
  const session = await t.waitForEnd(callId);

  expect(session.end_reason).toBe('hangup');
  expect(userTurns(session)).toHaveLength(2);
  const last = session.transcript.at(-1)!;
  expect(last).toMatchObject({ speaker: 'assistant', interrupted: true });
  expect(last.text).not.toBe(script.fallbackPhrase);
  expect((await t.rows()).filter((row) => row.call_id === callId)).toHaveLength(1);
}, 120_000);

test('a provider hang-up mid-reply cancels the turn on the gateway: no reply frame reaches the callee after it, the history shows the turn cancelled, no fallback phrase', async () => {
  const callId = await t.placeCall(INTERESTED);
  const handle = t.stack.client.workflow.getHandle(callId);
  await eventually(async () => userTurns(await handle.query(callSessionQuery)).length >= 2, 60_000);
  const line = () => t.simulator().conversationOf(callId)!.line!;
  const heardBefore = line().heard.length;
  const voiced = (frames: Int16Array[]) => frames.filter((frame) => rms(frame) > 300).length;
  await eventually(() => voiced(line().heard.slice(heardBefore)) >= 25, 20_000);
  // Only the provider's event: the media stream stays open, so only the cancelled turn can stop the playback.
  const event = await fetch(`${t.stack.api.url}/telephony/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-secret': TEST_WEBHOOK_SECRET },
    body: JSON.stringify({ call_id: callId, event: 'hangup', timestamp: new Date().toISOString(), reason: 'callee hung up' }),
  });
  expect(event.status).toBe(200);
  const session = await t.waitForEnd(callId);
  const heardAtEnd = line().heard.length;
  expect(line().closed).toBe(false);
  await sleep(1500);
  expect(voiced(line().heard.slice(heardAtEnd))).toBe(0);

  const events = (await handle.fetchHistory()).events ?? [];
  const turnIds = events.flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name === 'hearAndReply' ? [String(e.eventId)] : []));
  const cancelRequested = events.filter((e) => turnIds.includes(String(e.activityTaskCancelRequestedEventAttributes?.scheduledEventId)));
  const cancelled = events.filter((e) => turnIds.includes(String(e.activityTaskCanceledEventAttributes?.scheduledEventId)));
  expect(cancelRequested).toHaveLength(1);
  expect(cancelled).toHaveLength(1);

  expect(session.end_reason).toBe('hangup');
  const last = session.transcript.at(-1)!;
  expect(last).toMatchObject({ speaker: 'assistant', interrupted: true });
  expect(session.transcript.map((turn) => turn.text)).not.toContain(script.fallbackPhrase);
  expect((await t.rows()).filter((row) => row.call_id === callId)).toHaveLength(1);
  await t.simulator().hangUp(callId, 'test over');
}, 120_000);

test('a provider failure mid-turn is answered with the pre-synthesised fallback phrase; the line never goes silent', async () => {
  // Every attempt of the next speech-to-text request fails.
  t.stack.openai.emulator!.injectFault({ path: '/v1/audio/transcriptions', status: 500, times: 4 });
  const callId = await t.placeCall(CALL_LATER);
  const session = await t.waitForEnd(callId);
  t.stack.openai.emulator!.clearFaults();
  const assistant = session.transcript.filter((turn) => turn.speaker === 'assistant').map((turn) => turn.text);
  expect(assistant).toContain(script.fallbackPhrase);
  expect(t.logs.some((l) => l.msg === 'speech provider request failed' && l.provider === 'openai' && l.stage === 'STT' && l.call_id === callId)).toBe(true);
  expect(session.status).toBe('completed');
  expect((await t.rows()).filter((row) => row.call_id === callId)).toHaveLength(1);
}, 120_000);

test('three concurrent calls: each call hears and answers only its own callee', async () => {
  const phones = [INTERESTED, NOT_INTERESTED, CALL_LATER];
  const ids = await Promise.all(phones.map((phone) => t.placeCall(phone)));
  const sessions = await Promise.all(ids.map((id) => t.waitForEnd(id)));
  sessions.forEach((session, i) => {
    expect(userTurns(session)).toEqual(t.simulator().conversationOf(ids[i]!)!.said);
  });
  expect(sessions.map((s) => s.final_disposition)).toEqual(['interested', 'not_interested', 'call_later']);
}, 180_000);
