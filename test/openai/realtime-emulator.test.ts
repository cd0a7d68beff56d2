/**
 * The local OpenAI emulator's Realtime API (GA protocol over a TLS WebSocket on the REST port),
 * driven by the real SDK client `OpenAIRealtimeWS`. Transcripts come from the audio sent (the
 * phrase-bank matcher), answers from the emulator's chat rules or the text given to read aloud, and
 * the voice is espeak-ng. No fixed sleeps: every step awaits the events it expects.
 */
import { existsSync, readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { RealtimeClientEvent, RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import { WebSocket } from 'ws';
import { mulawDecode, mulawEncode } from '../../src/audio/g711';
import { pcm16FromBuffer, rms } from '../../src/audio/pcm';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../src/openai/emulator';
import { resampleLinear } from '../../src/openai/emulator/speech/resample';
import { lineText, synthesizeSpokenLine } from '../../src/speech-synthesis/spoken-line';
import { PERSONA_LINES } from '../../src/telephony/simulated/callee-behaviours';

type EventOf<T extends RealtimeServerEvent['type']> = Extract<RealtimeServerEvent, { type: T }>;

const LATENCY = { realtimeTranscriptMs: 150, realtimeFirstAudioMs: 120, ttsPacing: 4 };
const SYSTEM_PROMPT = 'Ты оператор колл-центра. Говори по-русски.\nПродукт: облачная бухгалтерия для малого бизнеса';

/** One SDK connection and every server event it received, with awaitable lookups. */
class Session {
  readonly events: RealtimeServerEvent[] = [];
  readonly closed: Promise<number>;
  private readonly waiters: { test: (e: RealtimeServerEvent) => boolean; resolve: (e: RealtimeServerEvent) => void }[] = [];

  constructor(readonly rt: OpenAIRealtimeWS) {
    rt.on('event', (event) => {
      this.events.push(event);
      for (const waiter of [...this.waiters]) {
        if (waiter.test(event)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    });
    rt.on('error', () => undefined); // error events are asserted through 'event'
    this.closed = new Promise((resolve) => rt.socket.once('close', (code) => resolve(code)));
  }

  /** The first event of that type (and predicate) at or after index `from` of the log, now or later. */
  next<T extends RealtimeServerEvent['type']>(type: T, from = 0, predicate: (e: EventOf<T>) => boolean = () => true): Promise<EventOf<T>> {
    const test = (e: RealtimeServerEvent): boolean => e.type === type && predicate(e as EventOf<T>);
    const found = this.events.slice(from).find(test);
    if (found) return Promise.resolve(found as EventOf<T>);
    return new Promise((resolve) => this.waiters.push({ test, resolve: (e) => resolve(e as EventOf<T>) }));
  }

  mark(): number {
    return this.events.length;
  }

  since<T extends RealtimeServerEvent['type']>(type: T, from: number, to = this.events.length): EventOf<T>[] {
    return this.events.slice(from, to).filter((e): e is EventOf<T> => e.type === type);
  }

  send(event: RealtimeClientEvent): void {
    this.rt.send(event);
  }

  /** Sends an event and returns the error event it caused. */
  async expectError(event: RealtimeClientEvent | string): Promise<EventOf<'error'>> {
    const from = this.mark();
    if (typeof event === 'string') this.rt.socket.send(event);
    else this.send(event);
    return this.next('error', from);
  }

  /** A round trip: every event the emulator sent before this returns has arrived. */
  async sync(): Promise<void> {
    const from = this.mark();
    this.send({ type: 'input_audio_buffer.clear' });
    await this.next('input_audio_buffer.cleared', from);
  }

  close(): void {
    this.rt.close();
  }
}

let emulator: OpenAIEmulator;
let client: OpenAI;
const open: Session[] = [];

async function connect(target: { model: string } | { intent: 'transcription' }): Promise<Session> {
  const rt = new OpenAIRealtimeWS({ ...target, options: { ca: emulator.tlsCa } }, client);
  const session = new Session(rt);
  open.push(session);
  await session.next('session.created');
  return session;
}

/** A phrase as the simulated callee says it, carried as 8 kHz G.711 mu-law. */
async function mulawPhrase(line: string): Promise<Buffer> {
  const audio = await synthesizeSpokenLine(line, { voice: 'ru' });
  return mulawEncode(resampleLinear(audio.samples, audio.sampleRate, 8000));
}

/** Appends audio in 20 ms events, as a phone gateway would. */
function appendInFrames(session: Session, audio: Buffer, frameBytes: number): void {
  for (let offset = 0; offset < audio.length; offset += frameBytes) {
    session.send({ type: 'input_audio_buffer.append', audio: audio.subarray(offset, offset + frameBytes).toString('base64') });
  }
}

async function transcriptionSession(): Promise<Session> {
  const session = await connect({ intent: 'transcription' });
  session.send({
    type: 'session.update',
    session: {
      type: 'transcription',
      audio: { input: { format: { type: 'audio/pcmu' }, transcription: { model: 'gpt-transcribe', languages: ['ru'] }, turn_detection: null } },
    },
  });
  await session.next('session.updated');
  return session;
}

/** Collects a response's audio and events until its response.done. */
async function responseOf(session: Session, from: number) {
  const done = await session.next('response.done', from);
  const id = done.response.id;
  const end = session.events.indexOf(done) + 1;
  const deltas = session.since('response.output_audio.delta', from, end).filter((e) => e.response_id === id);
  return {
    done,
    audio: Buffer.concat(deltas.map((e) => Buffer.from(e.delta, 'base64'))),
    deltas,
    transcriptDone: session.since('response.output_audio_transcript.done', from, end).find((e) => e.response_id === id),
    transcriptDeltas: session.since('response.output_audio_transcript.delta', from, end).filter((e) => e.response_id === id),
  };
}

const roleOf = (item: EventOf<'conversation.item.added'>['item']) => ('role' in item ? item.role : undefined);

function readAloud(text: string, metadata?: Record<string, string>): RealtimeClientEvent {
  return {
    type: 'response.create',
    response: {
      conversation: 'none',
      output_modalities: ['audio'],
      instructions: 'Read the user text aloud exactly, word for word.',
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }],
      ...(metadata ? { metadata } : {}),
    },
  };
}

beforeAll(async () => {
  emulator = await startOpenAIEmulator({ latency: LATENCY });
  client = new OpenAI({ apiKey: 'emulator-test-key', baseURL: emulator.url, maxRetries: 0 });
});

afterEach(() => {
  for (const session of open.splice(0)) session.close();
  emulator.clearFaults();
});

afterAll(async () => {
  await emulator.close();
});

describe('OpenAI emulator: Realtime API over wss on the REST port', () => {
  it('serves TLS with its own certificate (PEM in memory and in a file) while REST stays plain HTTP on the same port', async () => {
    expect(emulator.tlsCa).toContain('BEGIN CERTIFICATE');
    expect(readFileSync(emulator.caFile, 'utf8')).toBe(emulator.tlsCa);

    const completion = await client.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Алло' }] });
    expect(completion.model).toBe('emulated-gpt-4.1-mini');
    expect(completion.choices[0]?.message.content).toMatch(/[а-я]/i);
    const speech = await client.audio.speech.create({ model: 'gpt-4o-mini-tts', voice: 'marin', input: 'Да.', response_format: 'pcm' });
    expect((await speech.arrayBuffer()).byteLength).toBeGreaterThan(4800);

    const session = await connect({ model: 'gpt-realtime-2.1-mini' });
    const created = session.events[0] as EventOf<'session.created'>;
    expect(created.session).toMatchObject({ type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 24000 } }, output: { format: { type: 'audio/pcm', rate: 24000 } } } });
    expect(emulator.requests).toContainEqual({ method: 'GET', path: '/v1/realtime', body: { query: { model: 'gpt-realtime-2.1-mini' } } });
  });

  it('transcription session: a persona phrase appended as 20 ms mu-law frames is recognised from the audio, after realtimeTranscriptMs', async () => {
    const line = PERSONA_LINES.call_later[1]!;
    const session = await transcriptionSession();
    expect((session.events[0] as EventOf<'session.created'>).session.type).toBe('transcription');
    appendInFrames(session, await mulawPhrase(line), 160);
    const from = session.mark();
    const committedAt = performance.now();
    session.send({ type: 'input_audio_buffer.commit' });
    const committed = await session.next('input_audio_buffer.committed', from);
    const completed = await session.next('conversation.item.input_audio_transcription.completed', from);
    const elapsed = performance.now() - committedAt;

    expect(completed.item_id).toBe(committed.item_id);
    expect(completed.content_index).toBe(0);
    expect(completed.transcript).toBe(lineText(line));
    const deltas = session.since('conversation.item.input_audio_transcription.delta', from).filter((e) => e.item_id === committed.item_id);
    expect(deltas.length).toBe(lineText(line).split(' ').length);
    expect(deltas.map((e) => e.delta).join('')).toBe(completed.transcript);
    expect(elapsed).toBeGreaterThanOrEqual(LATENCY.realtimeTranscriptMs - 5);
    const added = await session.next('conversation.item.added', from);
    expect(added.item).toMatchObject({ id: committed.item_id, role: 'user', type: 'message' });

    // Silence is not a phrase.
    const silenceFrom = session.mark();
    appendInFrames(session, Buffer.alloc(8000, 0xff), 160); // 1 s of mu-law zero
    session.send({ type: 'input_audio_buffer.commit' });
    const silence = await session.next('conversation.item.input_audio_transcription.completed', silenceFrom);
    expect(silence.transcript).toBe('');

    // Nothing to commit.
    const empty = await session.expectError({ type: 'input_audio_buffer.commit', event_id: 'evt_empty' });
    expect(empty.error).toMatchObject({ type: 'invalid_request_error', code: 'input_audio_buffer_commit_empty', event_id: 'evt_empty' });

    // A transcription session does not answer.
    const noResponse = await session.expectError({ type: 'response.create' });
    expect(noResponse.error.type).toBe('invalid_request_error');

    const sessionId = ((session.events[0] as EventOf<'session.created'>).session as { id?: string }).id;
    const types = emulator.realtimeEvents.filter((e) => e.sessionId === sessionId);
    expect(types).toContainEqual(expect.objectContaining({ direction: 'client', type: 'input_audio_buffer.append' }));
    expect(types).toContainEqual(expect.objectContaining({ direction: 'server', type: 'conversation.item.input_audio_transcription.completed' }));
    expect(Object.keys(types[0]!).sort()).toEqual(['direction', 'sessionId', 'type']);
  });

  it('out-of-band read-aloud in pcmu: 8 kHz speech of plausible length, transcript equal to the text, metadata echoed, conversation untouched', async () => {
    const text = 'Да, конечно.';
    const session = await connect({ model: 'gpt-realtime-2.1-mini' });
    session.send({ type: 'session.update', session: { type: 'realtime', audio: { output: { format: { type: 'audio/pcmu' }, voice: 'marin' } } } });
    await session.next('session.updated');
    const from = session.mark();
    const started = performance.now();
    session.send(readAloud(text, { purpose: 'confirmation' }));
    const firstDelta = await session.next('response.output_audio.delta', from);
    const firstAudioMs = performance.now() - started;
    const { done, audio, transcriptDone, deltas } = await responseOf(session, from);

    expect(firstDelta.content_index).toBe(0);
    expect(firstAudioMs).toBeGreaterThanOrEqual(LATENCY.realtimeFirstAudioMs - 5);
    expect(done.response.status).toBe('completed');
    expect(done.response.metadata).toEqual({ purpose: 'confirmation' });
    expect(done.response.conversation_id).toBeNull();
    expect(transcriptDone?.transcript).toBe(text);
    expect(deltas.every((d) => Buffer.from(d.delta, 'base64').length <= 320)).toBe(true); // 40 ms at 8 kHz, one byte a sample
    const seconds = audio.length / 8000;
    expect(seconds).toBeGreaterThan(0.5);
    expect(seconds).toBeLessThan(3);
    expect(rms(mulawDecode(audio))).toBeGreaterThan(300);
    expect(session.since('conversation.item.added', from)).toHaveLength(0);

    // The audio is real speech: the emulator's own recogniser hears the phrase in it.
    const listener = await transcriptionSession();
    appendInFrames(listener, audio, 160);
    const heardFrom = listener.mark();
    listener.send({ type: 'input_audio_buffer.commit' });
    expect((await listener.next('conversation.item.input_audio_transcription.completed', heardFrom)).transcript).toBe(text);
  });

  it('misread fault: the next read-aloud says another last word, and the transcript reports what was said', async () => {
    const text = 'Вы записаны на приём в понедельник.';
    const session = await connect({ model: 'gpt-realtime-2.1-mini' });
    emulator.injectRealtimeFault({ kind: 'misread' });
    const from = session.mark();
    session.send(readAloud(text));
    const { transcriptDone, audio } = await responseOf(session, from);
    expect(transcriptDone?.transcript).not.toBe(text);
    expect(transcriptDone?.transcript.split(' ').slice(0, -1)).toEqual(text.split(' ').slice(0, -1));
    expect(audio.length).toBeGreaterThan(0);

    emulator.injectRealtimeFault({ kind: 'misread', replace: ['приём', 'приёмку'] });
    const second = session.mark();
    session.send(readAloud(text));
    expect((await responseOf(session, second)).transcriptDone?.transcript).toBe('Вы записаны на приёмку в понедельник.');

    const third = session.mark();
    session.send(readAloud(text));
    expect((await responseOf(session, third)).transcriptDone?.transcript).toBe(text);
  });

  it('in-conversation answer: greets, hears the callee through transcription, answers in Russian with 24 kHz audio; truncate keeps the heard words', async () => {
    const session = await connect({ model: 'gpt-realtime-2.1-mini' });
    session.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions: SYSTEM_PROMPT,
        output_modalities: ['audio'],
        audio: {
          input: { format: { type: 'audio/pcmu' }, transcription: { model: 'gpt-transcribe', languages: ['ru'] }, turn_detection: null },
          output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'cedar' },
        },
      },
    });
    const updated = await session.next('session.updated');
    expect(updated.session).toMatchObject({ instructions: SYSTEM_PROMPT, audio: { output: { voice: 'cedar' } } });

    let from = session.mark();
    session.send({ type: 'response.create' });
    const greeting = await responseOf(session, from);
    expect(greeting.transcriptDone?.transcript).toMatch(/^Здравствуйте!.*облачная бухгалтерия/);
    expect(session.since('conversation.item.added', from).map((e) => roleOf(e.item))).toEqual(['assistant']);

    const line = PERSONA_LINES.interested[1]!; // 'Да, интересно, расскажите подробнее.'
    appendInFrames(session, await mulawPhrase(line), 160);
    from = session.mark();
    session.send({ type: 'input_audio_buffer.commit' });
    session.send({ type: 'response.create' });
    const answer = await responseOf(session, from);
    const heard = await session.next('conversation.item.input_audio_transcription.completed', from);
    expect(heard.transcript).toBe(line);
    expect(answer.done.response.status).toBe('completed');
    expect(answer.transcriptDone?.transcript).toMatch(/^Отлично!.*менеджеру/);
    expect(answer.transcriptDeltas.map((d) => d.delta).join('')).toBe(answer.transcriptDone?.transcript);
    const samples = pcm16FromBuffer(answer.audio);
    const seconds = samples.length / 24000;
    expect(seconds).toBeGreaterThan(2);
    expect(rms(samples)).toBeGreaterThan(300);
    const item = answer.done.response.output?.[0];
    expect(item).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });

    // The callee heard half of it.
    const itemId = answer.transcriptDone!.item_id;
    const half = Math.floor((seconds * 1000) / 2);
    from = session.mark();
    session.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: half });
    expect(await session.next('conversation.item.truncated', from)).toMatchObject({ item_id: itemId, audio_end_ms: half });
    session.send({ type: 'conversation.item.retrieve', item_id: itemId });
    const retrieved = (await session.next('conversation.item.retrieved', from)) as unknown as { item: { content: { transcript: string }[] } };
    const kept = retrieved.item.content[0]!.transcript;
    const full = answer.transcriptDone!.transcript;
    expect(full.startsWith(kept)).toBe(true);
    const words = full.split(' ').length;
    expect(kept.split(' ').length).toBeGreaterThanOrEqual(Math.floor(words / 2) - 1);
    expect(kept.split(' ').length).toBeLessThan(words);

    const unknown = await session.expectError({ type: 'conversation.item.truncate', item_id: 'item_nope', content_index: 0, audio_end_ms: 10 });
    expect(unknown.error.code).toBe('item_not_found');
    const tooLong = await session.expectError({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 600_000 });
    expect(tooLong.error.param).toBe('audio_end_ms');
  });

  it('response.instructions as the last system message make the answer a wrap-up with the goodbye marker; seeded history counts', async () => {
    const session = await connect({ model: 'gpt-realtime-2.1-mini' });
    session.send({ type: 'session.update', session: { type: 'realtime', instructions: SYSTEM_PROMPT, audio: { output: { format: { type: 'audio/pcma' } } } } });
    await session.next('session.updated');
    let from = session.mark();
    session.send({ type: 'conversation.item.create', item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Здравствуйте! Вам интересно?' }] } });
    session.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Я сейчас занят, перезвоните позже.' }] } });
    await session.next('conversation.item.done', from, (e) => roleOf(e.item) === 'user');
    from = session.mark();
    session.send({ type: 'response.create', response: { instructions: 'Время звонка истекло: подведи итог и попрощайся.' } });
    const { transcriptDone, audio } = await responseOf(session, from);
    expect(transcriptDone?.transcript).toMatch(/^Подведу итог: вы просили перезвонить позже.*\[END\]$/);
    expect(audio.length / 8000).toBeGreaterThan(1);
  });

  it('response.cancel mid-stream ends the response at once (cancelled, no more audio); a second response.create while one is active is refused', async () => {
    const session = await connect({ model: 'gpt-realtime-2.1-mini' });
    const text = 'Это длинное сообщение. Его читают медленно, чтобы его можно было прервать на середине. Спасибо за терпение и всего доброго.';
    const from = session.mark();
    session.send(readAloud(text));
    session.send({ type: 'response.create', event_id: 'evt_second' });
    const busy = await session.next('error', from);
    expect(busy.error).toMatchObject({ code: 'conversation_already_has_active_response', event_id: 'evt_second' });

    const first = await session.next('response.output_audio.delta', from);
    session.send({ type: 'response.cancel', response_id: first.response_id });
    const done = await session.next('response.done', from);
    expect(done.response.status).toBe('cancelled');
    expect(done.response.status_details).toMatchObject({ type: 'cancelled', reason: 'client_cancelled' });
    const doneAt = session.events.indexOf(done);
    await session.sync();
    expect(session.since('response.output_audio.delta', doneAt)).toHaveLength(0);
    expect(session.since('response.output_audio_transcript.done', from)).toHaveLength(0);
    const sent = session.since('response.output_audio.delta', from).reduce((sum, e) => sum + Buffer.from(e.delta, 'base64').length, 0);
    expect(sent / 2 / 24000).toBeLessThan(4); // far less than the whole text (about 8 s)

    const notActive = await session.expectError({ type: 'response.cancel' });
    expect(notActive.error.code).toBe('response_cancel_not_active');
  });

  it('invalid events get an error event and the connection lives on', async () => {
    const session = await connect({ model: 'gpt-realtime-2.1-mini' });
    expect((await session.expectError('not json')).error.code).toBe('invalid_json');
    expect((await session.expectError(JSON.stringify({ type: 'transcription_session.update', event_id: 'e1' }))).error).toMatchObject({
      code: 'invalid_value',
      param: 'type',
      event_id: 'e1',
    });
    const beta = await session.expectError(JSON.stringify({ type: 'session.update', session: { type: 'realtime', input_audio_format: 'g711_ulaw' } }));
    expect(beta.error).toMatchObject({ code: 'unknown_parameter', param: 'session.input_audio_format' });
    const vad = await session.expectError({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad' } } } } });
    expect(vad.error.message).toContain('turn_detection null');
    const both = await session.expectError({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { transcription: { model: 'gpt-transcribe', language: 'ru', languages: ['ru'] } } } },
    });
    expect(both.error.param).toBe('session.audio.input.transcription.languages');
    const badAudio = await session.expectError(JSON.stringify({ type: 'input_audio_buffer.append', audio: '***' }));
    expect(badAudio.error.param).toBe('audio');

    const from = session.mark();
    session.send({ type: 'session.update', session: { type: 'realtime', instructions: 'ok' } });
    expect((await session.next('session.updated', from)).session).toMatchObject({ instructions: 'ok' });
  });

  it('faults: error answers an event with a server_error, drop terminates the socket, refuse answers the upgrade with a status', async () => {
    const session = await connect({ model: 'gpt-realtime-2.1-mini' });
    emulator.injectRealtimeFault({ kind: 'error', on: 'session.update', code: 'emulated_overload' });
    const failed = await session.expectError({ type: 'session.update', session: { type: 'realtime' } });
    expect(failed.error).toMatchObject({ type: 'server_error', code: 'emulated_overload' });

    emulator.injectRealtimeFault({ kind: 'drop', on: 'input_audio_buffer.commit' });
    appendInFrames(session, Buffer.alloc(1600, 0xff), 160);
    session.send({ type: 'input_audio_buffer.commit' });
    expect(await session.closed).toBe(1006);
    expect(session.since('input_audio_buffer.committed', 0)).toHaveLength(0);

    emulator.injectRealtimeFault({ kind: 'refuse', status: 503 });
    const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime-2.1-mini', options: { ca: emulator.tlsCa } }, client);
    const status = await new Promise<number | undefined>((resolve) => {
      rt.socket.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode);
        res.resume();
      });
      rt.on('error', () => undefined);
    });
    expect(status).toBe(503);
    rt.socket.terminate();
  });

  it('refuses an upgrade without an API key (401) or without exactly one of model / intent (400), saying it is the emulator', async () => {
    const url = `wss://127.0.0.1:${emulator.port}/v1/realtime`;
    const refusal = (target: string, headers: Record<string, string>) =>
      new Promise<{ status: number | undefined; emulator: unknown; body: { error: { code: string | null } } }>((resolve, reject) => {
        const ws = new WebSocket(target, { ca: emulator.tlsCa, headers });
        ws.once('open', () => reject(new Error('upgrade accepted')));
        ws.once('unexpected-response', (_req, res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            resolve({ status: res.statusCode, emulator: res.headers['x-emulator'], body: JSON.parse(text) as { error: { code: string | null } } });
            ws.terminate();
          });
        });
        ws.on('error', () => undefined);
      });
    const noKey = await refusal(`${url}?model=gpt-realtime-2.1-mini`, {});
    expect(noKey).toMatchObject({ status: 401, emulator: 'openai-emulator', body: { error: { code: 'missing_api_key' } } });
    const neither = await refusal(url, { authorization: 'Bearer k' });
    expect(neither.status).toBe(400);
    const both = await refusal(`${url}?model=m&intent=transcription`, { authorization: 'Bearer k' });
    expect(both.status).toBe(400);
  });

  it('close() ends open sessions and removes the CA file', async () => {
    const own = await startOpenAIEmulator();
    const rt = new OpenAIRealtimeWS({ intent: 'transcription', options: { ca: own.tlsCa } }, new OpenAI({ apiKey: 'k', baseURL: own.url }));
    const session = new Session(rt);
    await session.next('session.created');
    await own.close();
    expect(await session.closed).toBe(1006);
    expect(existsSync(own.caFile)).toBe(false);
  });
});
