/**
 * transcribeUtterance with the REAL openai SDK over HTTP against the local emulator, whose
 * /v1/audio/transcriptions recognises the uploaded audio by acoustic matching (see
 * speech-recognition.test.ts). The text therefore comes from the WAV alone.
 */
import type OpenAI from 'openai';
import { toFile } from 'openai';
import { createOpenAIClient, describeOpenAIError } from '../../src/openai/client';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../src/openai/emulator';
import { resampleLinear } from '../../src/openai/emulator/speech/resample';
import { multipartBoundary, parseMultipart } from '../../src/openai/emulator/speech/multipart';
import { isMeaningfulTranscript, KNOWN_HALLUCINATIONS, transcribeUtterance } from '../../src/openai/speech-to-text';
import { synthesizeWithEspeak } from '../../src/speech-synthesis/espeak';
import { mulawDecodeSample } from '../../src/audio/g711';
import { encodeWav } from '../../src/audio/wav';

function muLawEncode(value: number): number {
  let sample = value;
  const sign = sample < 0 ? 0x80 : 0;
  if (sign) sample = -sample;
  sample = Math.min(sample, 32635) + 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (sample & mask) === 0 && exponent > 0; mask >>= 1) exponent -= 1;
  return ~(sign | (exponent << 4) | ((sample >> (exponent + 3)) & 0x0f)) & 0xff;
}

/** espeak-ng audio of `text` as an 8 kHz WAV that went through a mu-law phone leg. */
async function phoneWav(text: string, rate = 8000): Promise<Buffer> {
  const audio = await synthesizeWithEspeak(text, { voice: 'ru' });
  const at8k = resampleLinear(audio.samples, audio.sampleRate, 8000);
  const decoded = Int16Array.from(at8k, (x) => mulawDecodeSample(muLawEncode(x)));
  return encodeWav(rate === 8000 ? decoded : resampleLinear(decoded, 8000, rate), rate);
}

describe('transcribeUtterance against the emulator', () => {
  let emulator: OpenAIEmulator;
  let client: OpenAI;

  beforeAll(async () => {
    emulator = await startOpenAIEmulator();
    client = createOpenAIClient({ apiKey: 'sk-test-emulator', baseURL: emulator.url, timeoutMs: 15_000, maxRetries: 0 });
  });
  afterAll(() => emulator.close());
  afterEach(() => emulator.clearFaults());

  test.each([
    ['gpt-4o-mini-transcribe', 'Алло, да, слушаю вас.', 8000],
    ['whisper-1', 'Я сейчас занят, перезвоните, пожалуйста, позже.', 8000],
    ['gpt-4o-transcribe', 'Нет, спасибо, нам это не интересно.', 16000],
    ['whisper-1', 'Да.', 16000],
  ])('%s recognises "%s" from a %i Hz WAV', async (model, phrase, rate) => {
    const first = emulator.requests.length === 0;
    const started = performance.now();
    const result = await transcribeUtterance(client, { model, wav: await phoneWav(phrase, rate), language: 'ru', prompt: 'Оператор спросил про интерес.' });
    console.log(`${model} "${phrase}" @${rate} Hz -> "${result.text}" in ${(performance.now() - started).toFixed(0)} ms${first ? ' (includes building the phrase bank)' : ''}`);
    expect(result).toEqual({ text: phrase, rawText: phrase });
    expect(emulator.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v1/audio/transcriptions', body: { contentType: expect.stringMatching(/^multipart\/form-data/) } });
  });

  test('silence and noise give empty text', async () => {
    const silence = encodeWav(new Int16Array(8000), 8000);
    expect(await transcribeUtterance(client, { model: 'gpt-4o-mini-transcribe', wav: silence, language: 'ru' })).toEqual({ text: '', rawText: '' });
    let state = 1;
    const hiss = Int16Array.from({ length: 12000 }, () => {
      state = (state * 48271) % 0x7fffffff;
      return Math.round(((state / 0x7fffffff) * 2 - 1) * 6000);
    });
    expect((await transcribeUtterance(client, { model: 'whisper-1', wav: encodeWav(hiss, 8000), language: 'ru' })).text).toBe('');
  });

  test('the transcript comes from the audio: the prompt and the file name do not leak into it', async () => {
    const wav = await phoneWav('Сложно сказать.');
    const result = await transcribeUtterance(client, { model: 'whisper-1', wav, language: 'ru', prompt: 'Да, интересно, расскажите подробнее.' });
    expect(result.text).toBe('Сложно сказать.');
  });

  test('the SDK sends file, model, language and prompt as multipart fields the emulator parses', async () => {
    const wav = await phoneWav('Да.');
    const form = new FormData();
    form.append('model', 'gpt-4o-mini-transcribe');
    form.append('language', 'ru');
    form.append('prompt', 'строка "в кавычках"; и ещё');
    form.append('file', new Blob([wav], { type: 'audio/wav' }), 'utterance.wav');
    const request = new Request('http://x/', { method: 'POST', body: form });
    const boundary = multipartBoundary(request.headers.get('content-type') ?? '');
    expect(boundary).toBeDefined();
    const parts = parseMultipart(Buffer.from(await request.arrayBuffer()), boundary!);
    expect(parts.map((p) => p.name)).toEqual(['model', 'language', 'prompt', 'file']);
    expect(parts[2]!.data.toString('utf8')).toBe('строка "в кавычках"; и ещё');
    expect(parts[3]).toMatchObject({ filename: 'utterance.wav', contentType: 'audio/wav' });
    expect(Buffer.compare(parts[3]!.data, wav)).toBe(0);
  });

  test('response_format text and verbose_json (whisper-1) work through the SDK', async () => {
    const file = await toFile(await phoneWav('Не знаю.'), 'a.wav', { type: 'audio/wav' });
    const text = await client.audio.transcriptions.create({ file, model: 'whisper-1', language: 'ru', response_format: 'text' });
    expect(text).toBe('Не знаю.');
    const verbose = await client.audio.transcriptions.create({
      file: await toFile(await phoneWav('Не знаю.'), 'a.wav', { type: 'audio/wav' }),
      model: 'whisper-1',
      response_format: 'verbose_json',
    });
    expect(verbose.text).toBe('Не знаю.');
    expect(verbose.duration).toBeGreaterThan(0.3);
  });

  test('a non-WAV file and a missing model are 400 bad_request', async () => {
    const notWav = Buffer.from('ID3 this is not audio at all');
    const err = await transcribeUtterance(client, { model: 'whisper-1', wav: notWav, language: 'ru' }).catch((e: unknown) => e);
    expect(describeOpenAIError(err)).toMatchObject({ kind: 'bad_request', status: 400 });

    const form = new FormData();
    form.append('file', new Blob([await phoneWav('Да.')], { type: 'audio/wav' }), 'a.wav');
    const response = await fetch(`${emulator.url}/audio/transcriptions`, { method: 'POST', headers: { authorization: 'Bearer sk-test' }, body: form });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error).toMatchObject({ type: 'invalid_request_error', param: 'model' });
  });

  test('a 500 fault is a server_error; a retry gets through', async () => {
    const wav = await phoneWav('Хорошо.');
    emulator.injectFault({ path: '/v1/audio/transcriptions', status: 500 });
    const err = await transcribeUtterance(client, { model: 'whisper-1', wav, language: 'ru' }).catch((e: unknown) => e);
    expect(describeOpenAIError(err)).toMatchObject({ kind: 'server_error', status: 500 });

    emulator.injectFault({ path: '/v1/audio/transcriptions', status: 503 });
    const retried = await transcribeUtterance(client, { model: 'whisper-1', wav, language: 'ru', maxRetries: 1 });
    expect(retried.text).toBe('Хорошо.');
  });

  test('timeoutMs bounds a slow transcription (emulator sttMs latency)', async () => {
    const slow = await startOpenAIEmulator({ latency: { sttMs: 400 } });
    try {
      const slowClient = createOpenAIClient({ apiKey: 'sk-test', baseURL: slow.url, timeoutMs: 15_000, maxRetries: 0 });
      const wav = await phoneWav('Что?');
      const started = performance.now();
      expect((await transcribeUtterance(slowClient, { model: 'whisper-1', wav, language: 'ru' })).text).toBe('Что?');
      expect(performance.now() - started).toBeGreaterThanOrEqual(390);
      const err = await transcribeUtterance(slowClient, { model: 'whisper-1', wav, language: 'ru', timeoutMs: 100 }).catch((e: unknown) => e);
      expect(describeOpenAIError(err).kind).toBe('timeout');
    } finally {
      await slow.close();
    }
  });

  test('a hallucinated transcript from the model comes back as empty text (rawText kept)', async () => {
    const fake = await startOpenAIEmulator({
      routes: [{ method: 'POST', path: '/v1/audio/transcriptions', handle: ({ sendJson }) => sendJson(200, { text: ' Продолжение следует... ' }) }],
    });
    try {
      const fakeClient = createOpenAIClient({ apiKey: 'sk-test', baseURL: fake.url, timeoutMs: 5000, maxRetries: 0 });
      const result = await transcribeUtterance(fakeClient, { model: 'gpt-4o-mini-transcribe', wav: await phoneWav('Да.'), language: 'ru' });
      expect(result).toEqual({ text: '', rawText: 'Продолжение следует...' });
    } finally {
      await fake.close();
    }
  });
});

describe('isMeaningfulTranscript', () => {
  test.each([
    '',
    '   ',
    '...',
    '…',
    ' - ',
    '?!',
    'Продолжение следует...',
    'ПРОДОЛЖЕНИЕ СЛЕДУЕТ',
    'Субтитры сделал DimaTorzok',
    'Субтитры создавал DimaTorzok',
    'Редактор субтитров А.Синецкая Корректор А.Егорова',
    'Редактор субтитров',
    'Спасибо за просмотр!',
    '[музыка]',
    '(смех)',
    '*Музыка*',
    '♪ ♪',
    'Подписывайтесь на канал!',
  ])('%j is not meaningful', (text) => {
    expect(isMeaningfulTranscript(text)).toBe(false);
  });

  test.each(['Да.', 'Нет', 'Алло?', 'Спасибо.', 'Продолжайте, я слушаю.', 'Следующий вопрос?', 'Ммм, не знаю', '5', 'Спасибо, до свидания.'])(
    '%j is meaningful',
    (text) => {
      expect(isMeaningfulTranscript(text)).toBe(true);
    },
  );

  test('the list of whole-transcript hallucinations is normalised text', () => {
    for (const phrase of KNOWN_HALLUCINATIONS) expect(phrase).toMatch(/^[а-я ]+$/);
  });
});
