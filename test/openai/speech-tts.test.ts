/**
 * streamSpeech with the REAL openai SDK over HTTP against the emulator's /v1/audio/speech
 * (espeak-ng stand-in voice, 24 kHz PCM streamed in ~40 ms chunks), and the espeak-ng wrapper itself.
 */
import type OpenAI from 'openai';
import { createOpenAIClient, describeOpenAIError } from '../../src/openai/client';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../src/openai/emulator';
import { streamSpeech, TTS_SAMPLE_RATE } from '../../src/openai/text-to-speech';
import { clearEspeakCache, espeakCacheStats, synthesizeWithEspeak, ESPEAK_SAMPLE_RATE } from '../../src/speech-synthesis/espeak';
import { parseWav } from '../../src/speech-synthesis/wav';

const SHORT = 'Добрый день.';
const MEDIUM = 'Добрый день! Меня зовут Анна, я виртуальный помощник компании.';
const LONG =
  'Добрый день! Меня зовут Анна, я виртуальный помощник компании. Мы предлагаем подключить выгодный тариф для вашего бизнеса. Вам было бы интересно узнать подробнее?';

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const x of samples) sum += x * x;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

function concat(chunks: Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

interface Timed {
  samples: Int16Array;
  chunks: number;
  firstAt: number;
  lastAt: number;
  durationMs: number;
}

async function collect(iterable: AsyncIterable<Int16Array>): Promise<Timed> {
  const started = performance.now();
  const chunks: Int16Array[] = [];
  let firstAt = -1;
  let lastAt = -1;
  for await (const chunk of iterable) {
    const at = performance.now() - started;
    if (firstAt < 0) firstAt = at;
    lastAt = at;
    chunks.push(chunk);
  }
  const samples = concat(chunks);
  return { samples, chunks: chunks.length, firstAt, lastAt, durationMs: (samples.length * 1000) / TTS_SAMPLE_RATE };
}

describe('synthesizeWithEspeak (local stand-in voice)', () => {
  test('Russian speech at 22.05 kHz: loud enough, longer text -> longer audio, cached', async () => {
    clearEspeakCache();
    let started = performance.now();
    const short = await synthesizeWithEspeak(SHORT, { voice: 'ru' });
    const firstMs = performance.now() - started;
    started = performance.now();
    const again = await synthesizeWithEspeak(`  ${SHORT} `, { voice: 'ru' });
    const cachedMs = performance.now() - started;
    const long = await synthesizeWithEspeak(LONG, { voice: 'ru' });
    const slow = await synthesizeWithEspeak(SHORT, { voice: 'ru', rate: 120, pitch: 30 });
    console.log(
      `espeak-ng: "${SHORT}" ${(short.samples.length / ESPEAK_SAMPLE_RATE).toFixed(2)} s in ${firstMs.toFixed(0)} ms, cached ${cachedMs.toFixed(2)} ms; ` +
        `${LONG.length} chars -> ${(long.samples.length / ESPEAK_SAMPLE_RATE).toFixed(2)} s; RMS ${rms(short.samples).toFixed(0)}`,
    );
    expect(short.sampleRate).toBe(22050);
    expect(again).toBe(short);
    expect(cachedMs).toBeLessThan(5);
    expect(rms(short.samples)).toBeGreaterThan(1000);
    expect(long.samples.length / short.samples.length).toBeGreaterThan(4);
    expect(slow.samples.length).toBeGreaterThan(short.samples.length * 1.2);
    expect(espeakCacheStats().entries).toBe(3);
  });

  test('empty text and a bad voice name are rejected; text starting with "-" is spoken, not parsed as an option', async () => {
    await expect(synthesizeWithEspeak('  ', { voice: 'ru' })).rejects.toThrow(/empty/);
    await expect(synthesizeWithEspeak('Да', { voice: 'ru; rm -rf /' })).rejects.toThrow(/bad voice/);
    await expect(synthesizeWithEspeak('Да', { voice: 'zz' })).rejects.toThrow(/espeak-ng exited with code 1: .*voice does not exist/);
    const dash = await synthesizeWithEspeak('--help да', { voice: 'ru' });
    expect(dash.samples.length).toBeGreaterThan(ESPEAK_SAMPLE_RATE / 4);
  });
});

describe('streamSpeech against the emulator', () => {
  let emulator: OpenAIEmulator;
  let client: OpenAI;

  beforeAll(async () => {
    emulator = await startOpenAIEmulator();
    client = createOpenAIClient({ apiKey: 'sk-test-emulator', baseURL: emulator.url, timeoutMs: 15_000, maxRetries: 0 });
  });
  afterAll(() => emulator.close());
  afterEach(() => emulator.clearFaults());

  test('the audio is speech at 24 kHz, and its duration grows with the text', async () => {
    const short = await collect(streamSpeech(client, { model: 'gpt-4o-mini-tts', voice: 'marin', text: SHORT }));
    const long = await collect(streamSpeech(client, { model: 'gpt-4o-mini-tts', voice: 'marin', text: LONG }));
    console.log(
      `TTS: ${SHORT.length} chars -> ${short.durationMs.toFixed(0)} ms in ${short.chunks} chunks; ${LONG.length} chars -> ${long.durationMs.toFixed(0)} ms in ${long.chunks} chunks; RMS ${rms(long.samples).toFixed(0)}`,
    );
    expect(rms(short.samples)).toBeGreaterThan(1000);
    expect(rms(long.samples)).toBeGreaterThan(1000);
    // Roughly 50-120 ms of speech per character for Russian text.
    for (const [text, result] of [
      [SHORT, short],
      [LONG, long],
    ] as const) {
      expect(result.durationMs / text.length).toBeGreaterThan(30);
      expect(result.durationMs / text.length).toBeLessThan(150);
    }
    expect(long.durationMs / short.durationMs).toBeGreaterThan(5);
    // The emulator's espeak audio resampled to 24 kHz matches the cached synthesis in length.
    const espeak = await synthesizeWithEspeak(LONG, { voice: 'ru', pitch: 60 });
    expect(Math.abs(long.samples.length - Math.round((espeak.samples.length * 24000) / 22050))).toBeLessThanOrEqual(1);
  });

  test('streams: the first chunk arrives long before the last (ttsFirstByteMs 200, real-time pacing)', async () => {
    const paced = await startOpenAIEmulator({ latency: { ttsFirstByteMs: 200, ttsPacing: 1 } });
    try {
      const pacedClient = createOpenAIClient({ apiKey: 'sk-test', baseURL: paced.url, timeoutMs: 15_000, maxRetries: 0 });
      await synthesizeWithEspeak(MEDIUM, { voice: 'ru', pitch: 42 }); // warm the cache (cedar = pitch 42): measure streaming, not espeak
      const result = await collect(streamSpeech(pacedClient, { model: 'gpt-4o-mini-tts', voice: 'cedar', text: MEDIUM, instructions: 'Говори дружелюбно.' }));
      console.log(
        `paced TTS: first chunk at ${result.firstAt.toFixed(0)} ms, last at ${result.lastAt.toFixed(0)} ms, audio ${result.durationMs.toFixed(0)} ms, ${result.chunks} chunks`,
      );
      expect(result.firstAt).toBeGreaterThanOrEqual(195);
      expect(result.firstAt).toBeLessThan(1000);
      expect(result.lastAt - result.firstAt).toBeGreaterThan(result.durationMs * 0.8);
      expect(result.lastAt).toBeLessThan(200 + result.durationMs + 1500);
      expect(result.chunks).toBeGreaterThan(20);
    } finally {
      await paced.close();
    }
  });

  test('samples split across network chunks at odd byte boundaries are joined correctly', async () => {
    const expected = Int16Array.from({ length: 501 }, (_, i) => (i % 2 === 0 ? -1 : 1) * (i * 61 - 15000));
    const bytes = Buffer.alloc(expected.length * 2);
    expected.forEach((x, i) => bytes.writeInt16LE(x, i * 2));
    const fake = await startOpenAIEmulator({
      routes: [
        {
          method: 'POST',
          path: '/v1/audio/speech',
          handle: async ({ res }) => {
            res.writeHead(200, { 'content-type': 'application/octet-stream' });
            const sizes = [1, 2, 3, 5, 7, 1, 1, 11, 4];
            for (let offset = 0, i = 0; offset < bytes.length; i += 1) {
              const size = sizes[i % sizes.length]!;
              res.write(bytes.subarray(offset, offset + size));
              offset += size;
              if (i < 12) await new Promise((resolve) => setTimeout(resolve, 5));
            }
            res.end(Buffer.from([0x7f])); // a dangling half sample at the end is dropped
          },
        },
      ],
    });
    try {
      const fakeClient = createOpenAIClient({ apiKey: 'sk-test', baseURL: fake.url, timeoutMs: 5000, maxRetries: 0 });
      const result = await collect(streamSpeech(fakeClient, { model: 'tts-1', voice: 'alloy', text: 'x' }));
      expect(result.chunks).toBeGreaterThan(3);
      expect(Array.from(result.samples)).toEqual(Array.from(expected));
    } finally {
      await fake.close();
    }
  });

  test('request body: pcm, instructions only for models that take them', async () => {
    await collect(streamSpeech(client, { model: 'gpt-4o-mini-tts', voice: 'coral', text: 'Да.', instructions: 'Спокойно.' }));
    expect(emulator.requests.at(-1)!.body).toEqual({ model: 'gpt-4o-mini-tts', voice: 'coral', input: 'Да.', response_format: 'pcm', instructions: 'Спокойно.' });
    await collect(streamSpeech(client, { model: 'tts-1', voice: 'alloy', text: 'Да.', instructions: 'Спокойно.' }));
    expect(emulator.requests.at(-1)!.body).toEqual({ model: 'tts-1', voice: 'alloy', input: 'Да.', response_format: 'pcm' });
    await collect(streamSpeech(client, { model: 'tts-1-hd', voice: 'alloy', text: 'Да.', instructions: 'Спокойно.', speed: 1.5 }));
    expect(emulator.requests.at(-1)!.body).toEqual({ model: 'tts-1-hd', voice: 'alloy', input: 'Да.', response_format: 'pcm', speed: 1.5 });
  });

  test('a 500 fault is a server_error (describeOpenAIError)', async () => {
    emulator.injectFault({ path: '/v1/audio/speech', status: 500 });
    const err = await collect(streamSpeech(client, { model: 'gpt-4o-mini-tts', voice: 'marin', text: SHORT })).catch((e: unknown) => e);
    expect(describeOpenAIError(err)).toMatchObject({ kind: 'server_error', status: 500 });
  });

  test('bad requests are 400 in the OpenAI error shape', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ model: 'tts-1', input: 'Да', voice: 'alloy', response_format: 'mp3' }, 'response_format'],
      [{ model: 'tts-1', input: 'Да', voice: 'robot', response_format: 'pcm' }, 'voice'],
      [{ model: 'tts-1', input: '', voice: 'alloy', response_format: 'pcm' }, 'input'],
      [{ input: 'Да', voice: 'alloy', response_format: 'pcm' }, 'model'],
      [{ model: 'tts-1', input: 'Да', voice: 'alloy', response_format: 'pcm', speed: 9 }, 'speed'],
    ];
    for (const [body, param] of cases) {
      const err = await client.audio.speech.create(body as never).catch((e: unknown) => e);
      expect(describeOpenAIError(err)).toMatchObject({ kind: 'bad_request', status: 400 });
      expect((err as { param?: string }).param).toBe(param);
    }
    await expect(collect(streamSpeech(client, { model: 'tts-1', voice: 'alloy', text: '   ' }))).rejects.toThrow(/empty/);
  });

  test("response_format 'wav' is a streamed 24 kHz WAV", async () => {
    const response = await client.audio.speech.create({ model: 'gpt-4o-mini-tts', voice: 'nova', input: SHORT, response_format: 'wav' });
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(response.headers.get('x-emulator')).toBe('openai-emulator');
    const wav = parseWav(Buffer.from(await response.arrayBuffer()));
    expect(wav.sampleRate).toBe(24000);
    expect(wav.samples.length / 24000).toBeGreaterThan(0.5);
    expect(rms(wav.samples)).toBeGreaterThan(1000);
  });

  test('breaking out of the loop or aborting ends the stream early', async () => {
    const paced = await startOpenAIEmulator({ latency: { ttsPacing: 1 } });
    try {
      const pacedClient = createOpenAIClient({ apiKey: 'sk-test', baseURL: paced.url, timeoutMs: 15_000, maxRetries: 0 });
      let started = performance.now();
      let count = 0;
      for await (const _chunk of streamSpeech(pacedClient, { model: 'gpt-4o-mini-tts', voice: 'marin', text: LONG })) {
        count += 1;
        if (count === 3) break;
      }
      expect(performance.now() - started).toBeLessThan(2000); // the whole reply would take ~10 s

      const controller = new AbortController();
      started = performance.now();
      setTimeout(() => controller.abort(), 300);
      const err = await collect(streamSpeech(pacedClient, { model: 'gpt-4o-mini-tts', voice: 'marin', text: LONG, signal: controller.signal })).catch(
        (e: unknown) => e,
      );
      expect(describeOpenAIError(err).kind).toBe('unknown'); // an abort by the caller, not a failure
      expect(performance.now() - started).toBeLessThan(2000);

      // A caller deadline (AbortSignal.timeout) in the middle of the stream is a timeout.
      const deadline = await collect(
        streamSpeech(pacedClient, { model: 'gpt-4o-mini-tts', voice: 'marin', text: LONG, signal: AbortSignal.timeout(300) }),
      ).catch((e: unknown) => e);
      expect(describeOpenAIError(deadline).kind).toBe('timeout');

      // The server dropping the connection mid-stream is a connection error.
      const dropping = await startOpenAIEmulator({
        routes: [
          {
            method: 'POST',
            path: '/v1/audio/speech',
            handle: async ({ res }) => {
              res.writeHead(200, { 'content-type': 'application/octet-stream' });
              res.write(Buffer.alloc(4800));
              await new Promise((resolve) => setTimeout(resolve, 50));
              res.destroy();
            },
          },
        ],
      });
      try {
        const droppingClient = createOpenAIClient({ apiKey: 'sk-test', baseURL: dropping.url, timeoutMs: 5000, maxRetries: 0 });
        const broken = await collect(streamSpeech(droppingClient, { model: 'tts-1', voice: 'alloy', text: 'Да' })).catch((e: unknown) => e);
        expect(describeOpenAIError(broken).kind).toBe('connection');
      } finally {
        await dropping.close();
      }
    } finally {
      await paced.close();
    }
  });
});
