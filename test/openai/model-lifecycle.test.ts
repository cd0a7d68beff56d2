/**
 * OpenAI's current generation (issue 10): the defaults are models the installed SDK does not mark
 * deprecated, every request carries the new parameters, and a deprecated model in the configuration
 * is named at startup with its shutdown date, read from the installed SDK itself.
 */
import { Writable } from 'node:stream';
import type OpenAI from 'openai';
import { loadConfig } from '../../src/config/env';
import { createLogger } from '../../src/logging/logger';
import { createOpenAIClient } from '../../src/openai/client';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../src/openai/emulator';
import { deprecatedModelsInUse, parseDeprecationNotes, sdkModelShutdowns } from '../../src/openai/model-lifecycle';
import { modelsInUse, warnAboutDeprecatedModels } from '../../src/openai/openai-setup';
import { classifyCall } from '../../src/openai/call-classifier';
import { generateOperatorReply } from '../../src/openai/operator-reply';
import { streamOperatorSentences } from '../../src/openai/operator-reply-stream';
import { transcribeUtterance } from '../../src/openai/speech-to-text';
import { encodeWav } from '../../src/audio/wav';
import { synthesizeWithEspeak } from '../../src/speech-synthesis/espeak';
import { chatBody, turn } from './helpers';

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  });
  return { logger, lines };
}

describe('the installed SDK names the deprecated models', () => {
  test('its declaration notes are read: the old defaults with their shutdown dates, the current ones absent', () => {
    const shutdowns = sdkModelShutdowns();
    expect(shutdowns.get('gpt-4.1-mini')).toBe('2027-01-14');
    expect(shutdowns.get('gpt-4o-mini')).toBe('2027-01-14');
    expect(shutdowns.get('gpt-4o-mini-tts')).toBe('2027-01-06');
    expect(shutdowns.get('tts-1')).toBe('2027-01-06');
    expect(shutdowns.get('whisper-1')).toBe('2027-02-26');
    expect(shutdowns.get('gpt-4o-mini-transcribe')).toBe('2027-02-26');
    expect(shutdowns.get('gpt-realtime-mini')).toBe('2027-01-20');
    for (const current of ['gpt-6-luna', 'gpt-transcribe', 'gpt-live-transcribe', 'gpt-realtime-2.1-mini']) expect(shutdowns.has(current)).toBe(false);
  });

  test('a note wrapped over several comment lines is parsed whole', () => {
    const notes = parseDeprecationNotes(`/**
 * Deprecated values:
 *
 * - "model-a", "model-b",
 *   "model-c": Announced
 *   shutdown date: 2030-05-01. See https://example.invalid for details.
 * - "model-d": Not a supported model ID.
 */`);
    expect([...notes]).toEqual([
      ['model-a', '2030-05-01'],
      ['model-b', '2030-05-01'],
      ['model-c', '2030-05-01'],
    ]);
  });
});

describe('the startup warning', () => {
  const today = new Date('2026-12-02T12:00:00Z');

  test('the embedded defaults warn about nothing', () => {
    const { logger, lines } = capturedLogger();
    warnAboutDeprecatedModels(loadConfig({}).env, logger, today);
    expect(lines).toEqual([]);
  });

  test('a deprecated model is named with its setting, shutdown date and days left', () => {
    const { logger, lines } = capturedLogger();
    const env = loadConfig({ OPENAI_CHAT_MODEL: 'gpt-4.1-mini', OPENAI_TTS_API: 'speech', OPENAI_TTS_MODEL: 'tts-1', OPENAI_STT_MODEL: 'whisper-1' }).env;
    warnAboutDeprecatedModels(env, logger, today);
    const warned = lines.map((line) => [line['setting'], line['model'], line['shutdown_date'], line['days_left'], line['level']]);
    expect(warned).toEqual([
      ['OPENAI_CHAT_MODEL', 'gpt-4.1-mini', '2027-01-14', 42, 'warn'],
      ['OPENAI_STT_MODEL', 'whisper-1', '2027-02-26', 85, 'warn'],
      ['OPENAI_TTS_MODEL', 'tts-1', '2027-01-06', 34, 'warn'],
    ]);
    expect(String(lines[0]?.['msg'])).toContain('OPENAI_CHAT_MODEL=gpt-4.1-mini is deprecated: OpenAI shuts it down on 2027-01-14');
  });

  test('after its shutdown date the model is an error, and only the models in use are checked', () => {
    const env = loadConfig({ OPENAI_REALTIME_MODEL: 'gpt-realtime-mini' }).env;
    expect(modelsInUse(env)).not.toHaveProperty('OPENAI_REALTIME_MODEL'); // DIALOG_MODE=cascade does not use it
    const realtime = loadConfig({ OPENAI_REALTIME_MODEL: 'gpt-realtime-mini', DIALOG_MODE: 'realtime' }).env;
    const { logger, lines } = capturedLogger();
    warnAboutDeprecatedModels(realtime, logger, new Date('2027-02-01T00:00:00Z'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', setting: 'OPENAI_REALTIME_MODEL', model: 'gpt-realtime-mini', shutdown_date: '2027-01-20' });
    expect(deprecatedModelsInUse({ X: 'gpt-6-luna' })).toEqual([]);
  });
});

describe('requests in the form the current models take (recorded by the emulator)', () => {
  let emulator: OpenAIEmulator;
  let client: OpenAI;
  beforeAll(async () => {
    emulator = await startOpenAIEmulator();
    client = createOpenAIClient({ apiKey: 'test-key', baseURL: emulator.url, timeoutMs: 5000, maxRetries: 0 });
  });
  afterAll(() => emulator.close());
  beforeEach(() => (emulator.requests.length = 0));

  const reply = { model: 'gpt-6-luna', temperature: 0.7, maxOutputTokens: 180, systemPrompt: 'Ты оператор. Продукт: интернет.', maxHistoryTurns: 20, history: [turn('user', 'Алло')] };

  test('the reply, streamed or whole, and the classification send reasoning_effort none with the temperature and a bounded output', async () => {
    await generateOperatorReply(client, reply);
    for await (const _piece of streamOperatorSentences(client, reply));
    await classifyCall(client, { model: 'gpt-6-luna', transcript: [turn('assistant', 'Здравствуйте!'), turn('user', 'Да, интересно, расскажите подробнее.')] });
    const bodies = emulator.requests.map((request) => chatBody(request.body) as unknown as Record<string, unknown>);
    expect(bodies.map((body) => [body['model'], body['reasoning_effort'], body['temperature'], body['max_completion_tokens']])).toEqual([
      ['gpt-6-luna', 'none', 0.7, 180],
      ['gpt-6-luna', 'none', 0.7, 180],
      ['gpt-6-luna', 'none', 0, 300],
    ]);
    expect(bodies[2]?.['response_format']).toMatchObject({ type: 'json_schema' });
  });

  test('with reasoning the temperature is left out (the API refuses it), and `omit` sends the old form', async () => {
    await generateOperatorReply(client, { ...reply, reasoningEffort: 'low' });
    await generateOperatorReply(client, { ...reply, model: 'gpt-4.1-mini', reasoningEffort: 'omit' });
    const [low, omitted] = emulator.requests.map((request) => request.body as Record<string, unknown>);
    expect(low).toMatchObject({ reasoning_effort: 'low' });
    expect(low).not.toHaveProperty('temperature');
    expect(omitted).toMatchObject({ temperature: 0.7 });
    expect(omitted).not.toHaveProperty('reasoning_effort');
  });

  test('gpt-transcribe gets languages ["ru"]; the older models get language "ru"; the emulator refuses the wrong form', async () => {
    const speech = await synthesizeWithEspeak('Да, интересно, расскажите подробнее.', { voice: 'ru' });
    const wav = encodeWav(speech.samples, speech.sampleRate);
    const current = await transcribeUtterance(client, { model: 'gpt-transcribe', wav, language: 'ru' });
    expect(current.text).toBe('Да, интересно, расскажите подробнее.');
    const older = await transcribeUtterance(client, { model: 'whisper-1', wav, language: 'ru' });
    expect(older.text).toBe(current.text);
    const refused = await client.audio.transcriptions
      .create({ model: 'gpt-transcribe', language: 'ru', file: new File([wav], 'a.wav', { type: 'audio/wav' }) })
      .then(
        () => null,
        (err: unknown) => err as { status?: number },
      );
    expect(refused?.status).toBe(400);
  });
});
