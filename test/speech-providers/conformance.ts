/**
 * The shared CONFORMANCE SUITE of the speech-provider interfaces (src/speech-providers/): every
 * implementation of SpeechToText, ReplyModel, TextToSpeech, CallClassifier and VoiceOperator runs the
 * same jest tests of the interface contract against the local OpenAI-compatible EMULATOR. Adding a provider
 * means: give the emulator its routes (if it does not speak the OpenAI API), write a factory, and
 * call the describe functions below from a `<provider>-conformance.test.ts`.
 *
 * Faults are injected on every path ('*'), so the suite never names a vendor's endpoint: the next
 * request the implementation makes is the one that fails or stalls.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { DialogTurn } from '../../src/domain/call-session';
import { mulawDecode, mulawEncode } from '../../src/audio/g711';
import { rms } from '../../src/audio/pcm';
import { createResampler } from '../../src/audio/resampler';
import { startOpenAIEmulator, type OpenAIEmulator, type OpenAIEmulatorOptions } from '../../src/openai/emulator';
import { getPhraseRecognizer } from '../../src/openai/emulator/speech/recognizer';
import { toActivityFailure } from '../../src/speech-providers/activity-failure';
import type { CallClassifier } from '../../src/speech-providers/call-classifier';
import {
  PROVIDER_REJECTED,
  PROVIDER_UNAVAILABLE,
  SpeechProviderError,
  type ProviderErrorKind,
  type SpeechStage,
} from '../../src/speech-providers/provider-error';
import type { ReplyModel, ReplyPiece, ReplyRequest } from '../../src/speech-providers/reply-model';
import type { SpeechToText } from '../../src/speech-providers/speech-to-text';
import type { TextToSpeech } from '../../src/speech-providers/text-to-speech';
import type { SpokenPiece, VoiceOperator, VoiceOperatorSession } from '../../src/speech-providers/voice-operator';
import { synthesizeRussian } from '../audio/speech-fixture';

// ---------------------------------------------------------------------------------------------
// The environment an implementation is built in
// ---------------------------------------------------------------------------------------------

/** What a factory gets to build the implementation under test. */
export interface ProviderEnvironment {
  /** The emulator's base URL (OpenAI-compatible, ending in /v1; other providers' routes are mounted on it). */
  baseURL: string;
  /** The implementation's time limit for one provider request (the suite shortens it to test timeouts). */
  timeoutMs: number;
  /** The emulator's self-signed certificate, for WebSocket (wss://) providers. */
  tlsCa: string;
}

export interface ReplyModelEnvironment extends ProviderEnvironment {
  /** The operator's system prompt the implementation must be configured with (the emulator reads its `Продукт:` line). */
  systemPrompt: string;
}

export type ProviderFactory<T, E extends ProviderEnvironment = ProviderEnvironment> = (env: E) => T;

/** How fast (× real time) the conformance emulator streams TTS audio, so streaming can be told from buffering. */
export const CONFORMANCE_TTS_PACING = 8;
/**
 * The emulator options of the suite: chat tokens and TTS audio are paced (slightly), so an abort in
 * the middle of a stream can be observed; everything else answers at once.
 */
export const CONFORMANCE_EMULATOR_OPTIONS: OpenAIEmulatorOptions = {
  latency: { perTokenMs: 3, ttsPacing: CONFORMANCE_TTS_PACING },
  speech: { prewarm: true },
};

/** Starts one emulator for the calling test file (beforeAll) and closes it (afterAll). */
export function useConformanceEmulator(options: OpenAIEmulatorOptions = CONFORMANCE_EMULATOR_OPTIONS): () => OpenAIEmulator {
  let emulator: OpenAIEmulator | undefined;
  beforeAll(async () => {
    emulator = await startOpenAIEmulator(options);
  });
  afterAll(async () => {
    await emulator?.close();
  });
  return () => {
    if (!emulator) throw new Error('the conformance emulator is not running (useConformanceEmulator registers beforeAll)');
    return emulator;
  };
}

/** The time limit the suite gives an implementation unless it tests timeouts. */
const DEFAULT_TIMEOUT_MS = 10_000;
/** The time limit of the timeout tests, and how long the provider stalls then. */
const SHORT_TIMEOUT_MS = 300;
const STALL_MS = 10_000;
/** "Promptly": far below STALL_MS and the rest of a paced stream, with room for a loaded CI machine. */
const PROMPT_MS = 1_500;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

let clock = Date.parse('2025-03-01T10:00:00Z');
function turn(speaker: DialogTurn['speaker'], text: string, interrupted?: boolean): DialogTurn {
  clock += 1000;
  return { speaker, text, timestamp: new Date(clock).toISOString(), ...(interrupted ? { interrupted } : {}) };
}

/** What a run rejected with; fails the test when it resolved. */
async function rejectionOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to be rejected, but it succeeded');
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

function concat(chunks: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

const normalizeSpace = (text: string) => text.replace(/\s+/g, ' ').trim();
/** Lower case, ё -> е, words only. */
const wordsOf = (text: string) =>
  text
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter((w) => w !== '');

function resample(samples: Int16Array, from: number, to: number): Int16Array {
  const resampler = createResampler(from, to);
  return concat([resampler.push(samples), resampler.flush()]);
}

/** Deterministic noise (a linear congruential generator), so no test flakes. */
function noise(length: number, amplitude: number, seed: number): Int16Array {
  let state = seed;
  return Int16Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return Math.round(((state / 0x7fffffff) * 2 - 1) * amplitude);
  });
}

/** Russian speech of `text` (eSpeak NG, not the emulator's own rendering) at `rate`; 8 kHz goes through a mu-law phone leg. */
function spokenAt(text: string, rate: number): Int16Array {
  const audio = synthesizeRussian(text);
  const samples = resample(audio.samples, audio.sampleRate, rate);
  return rate === 8000 ? mulawDecode(mulawEncode(samples)) : samples;
}

/** Makes the next request (any path) stall for STALL_MS; resolves when that request reaches the emulator. */
function stallNextRequest(emulator: OpenAIEmulator): Promise<void> {
  return new Promise((resolve) => {
    emulator.injectFault({
      path: '*',
      delayMs: STALL_MS,
      when: () => {
        resolve();
        return true;
      },
    });
  });
}

interface HttpFault {
  status: number;
  retryAfterSeconds?: number;
  kind: ProviderErrorKind;
  retryable: boolean;
}

/** Provider answers and what they must become. */
const HTTP_FAULTS: readonly HttpFault[] = [
  { status: 500, kind: 'server_error', retryable: true },
  { status: 503, kind: 'server_error', retryable: true },
  { status: 429, retryAfterSeconds: 3, kind: 'rate_limited', retryable: true },
  { status: 400, kind: 'bad_request', retryable: false },
  { status: 401, kind: 'auth', retryable: false },
];

function expectProviderError(
  err: unknown,
  expected: { stage: SpeechStage; provider: string; retryable: boolean; kind?: ProviderErrorKind; status?: number },
): SpeechProviderError {
  expect(err).toBeInstanceOf(SpeechProviderError);
  const error = err as SpeechProviderError;
  expect({ stage: error.stage, provider: error.provider, retryable: error.retryable }).toEqual({
    stage: expected.stage,
    provider: expected.provider,
    retryable: expected.retryable,
  });
  if (expected.kind !== undefined) expect(error.kind).toBe(expected.kind);
  if (expected.status !== undefined) expect(error.status).toBe(expected.status);
  expect(error.message.length).toBeGreaterThan(0);
  return error;
}

/** toActivityFailure of a real provider error: the Temporal failure the workflow's retry policies see. */
function expectActivityFailure(error: SpeechProviderError): void {
  const failure = toActivityFailure(error);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure.type).toBe(error.retryable ? PROVIDER_UNAVAILABLE : PROVIDER_REJECTED);
  expect(failure.nonRetryable).toBe(!error.retryable);
  expect(failure.nextRetryDelay ?? undefined).toBe(error.retryAfterMs);
  expect(failure.details).toEqual([{ stage: error.stage, kind: error.kind, provider: error.provider }]);
}

interface SharedOptions {
  stage: SpeechStage;
  emulator: () => OpenAIEmulator;
  provider: () => string;
  /** One provider request through the interface (resolves with its result). */
  run: (signal?: AbortSignal) => Promise<unknown>;
  /** The same through an instance with the short time limit. */
  runWithShortTimeout: () => Promise<unknown>;
}

/** The failure contract every interface shares: HTTP faults, timeouts, aborts. */
function describeFailureContract(options: SharedOptions): void {
  const { stage, emulator } = options;

  describe('failures are SpeechProviderError', () => {
    test.each(HTTP_FAULTS.map((f) => [f.status, f] as const))(
      'HTTP %i -> SpeechProviderError with the right kind and retryable flag, one request (retries are Temporal\'s), mapped by toActivityFailure',
      async (_status, fault) => {
        const before = emulator().requests.length;
        emulator().injectFault({ path: '*', status: fault.status, times: 3, ...(fault.retryAfterSeconds !== undefined ? { retryAfterSeconds: fault.retryAfterSeconds } : {}) });
        const err = await rejectionOf(() => options.run());
        const error = expectProviderError(err, { stage, provider: options.provider(), retryable: fault.retryable, kind: fault.kind, status: fault.status });
        if (fault.retryAfterSeconds !== undefined) {
          // Retry-After: 3 (seconds) / retry-after-ms: 3000; an HTTP-date form would round down.
          expect(error.retryAfterMs).toBeGreaterThanOrEqual((fault.retryAfterSeconds - 1) * 1000);
          expect(error.retryAfterMs).toBeLessThanOrEqual(fault.retryAfterSeconds * 1000);
        } else {
          expect(error.retryAfterMs).toBeUndefined();
        }
        expect(emulator().requests.length - before).toBe(1);
        expectActivityFailure(error);
      },
    );

    test('the provider recovers: the request after a fault succeeds', async () => {
      emulator().injectFault({ path: '*', status: 500 });
      await rejectionOf(() => options.run());
      await expect(options.run()).resolves.toBeDefined();
    });

    test('a provider stalled past the time limit -> retryable timeout, within the limit', async () => {
      const arrived = stallNextRequest(emulator());
      const started = performance.now();
      const err = await rejectionOf(() => options.runWithShortTimeout());
      const elapsed = performance.now() - started;
      await arrived;
      const error = expectProviderError(err, { stage, provider: options.provider(), retryable: true, kind: 'timeout' });
      expect(elapsed).toBeGreaterThanOrEqual(SHORT_TIMEOUT_MS * 0.9);
      expect(elapsed).toBeLessThan(SHORT_TIMEOUT_MS + PROMPT_MS);
      expectActivityFailure(error);
    });

    test('an abort while the provider is working rejects promptly, as a non-retryable SpeechProviderError', async () => {
      const arrived = stallNextRequest(emulator());
      const controller = new AbortController();
      const pending = rejectionOf(() => options.run(controller.signal));
      await arrived;
      const started = performance.now();
      controller.abort();
      const err = await pending;
      expect(performance.now() - started).toBeLessThan(PROMPT_MS);
      const error = expectProviderError(err, { stage, provider: options.provider(), retryable: false });
      expect(toActivityFailure(error).nonRetryable).toBe(true); // a barge-in or hang-up is never retried
    });

    test('an already aborted signal rejects at once', async () => {
      const started = performance.now();
      const err = await rejectionOf(() => options.run(AbortSignal.abort()));
      expect(performance.now() - started).toBeLessThan(PROMPT_MS);
      expectProviderError(err, { stage, provider: options.provider(), retryable: false });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// SpeechToText
// ---------------------------------------------------------------------------------------------

/** Callee phrases of the emulator's bank, with words that only they contain (so no two are confused). */
const STT_PHRASES: readonly { text: string; words: readonly string[] }[] = [
  { text: 'Я сейчас занят, перезвоните, пожалуйста, позже.', words: ['занят', 'перезвоните', 'позже'] },
  { text: 'Нет, спасибо, нам это не интересно.', words: ['нет', 'нам', 'интересно'] },
  { text: 'Да, интересно, расскажите подробнее.', words: ['да', 'расскажите', 'подробнее'] },
  { text: 'Звучит хорошо, давайте, пусть менеджер мне перезвонит.', words: ['звучит', 'менеджер', 'перезвонит'] },
  { text: 'Лучше завтра после обеда.', words: ['лучше', 'завтра', 'обеда'] },
];
const REQUIRED_STT_RATES = [8000, 16000] as const;

export function describeSpeechToTextConformance(name: string, emulator: () => OpenAIEmulator, factory: ProviderFactory<SpeechToText>): void {
  describe(`SpeechToText conformance: ${name}`, () => {
    let stt: SpeechToText;
    let shortTimeout: SpeechToText;

    beforeAll(() => {
      stt = factory({ baseURL: emulator().url, tlsCa: emulator().tlsCa, timeoutMs: DEFAULT_TIMEOUT_MS });
      shortTimeout = factory({ baseURL: emulator().url, tlsCa: emulator().tlsCa, timeoutMs: SHORT_TIMEOUT_MS });
    });
    afterEach(() => emulator().clearFaults());

    /** Recognises phrase `index` spoken at `rate` and checks the words came from the audio. */
    async function expectRecognised(index: number, rate: number, prompt?: string): Promise<void> {
      const phrase = STT_PHRASES[index % STT_PHRASES.length]!;
      const result = await stt.transcribe({ pcm: spokenAt(phrase.text, rate), sampleRate: rate }, { language: 'ru', ...(prompt ? { prompt } : {}) });
      const words = wordsOf(result.text);
      expect(words).toEqual(expect.arrayContaining([...phrase.words]));
      for (const other of STT_PHRASES) {
        if (other !== phrase) for (const word of other.words.filter((w) => !phrase.words.includes(w) && !wordsOf(phrase.text).includes(w))) expect(words).not.toContain(word);
      }
      expect(result.text).toBe(result.text.trim());
      expect(wordsOf(result.rawText)).toEqual(expect.arrayContaining([...phrase.words]));
    }

    test('declares its capabilities consistently (Russian, 8 and 16 kHz among valid rates)', () => {
      expect(stt.provider).toMatch(/\S/);
      expect(stt.model).toMatch(/\S/);
      expect(typeof stt.capabilities.streaming).toBe('boolean');
      expect(stt.capabilities.languages).toContain('ru');
      expect(stt.capabilities.sampleRates).toEqual(expect.arrayContaining([...REQUIRED_STT_RATES]));
      for (const rate of stt.capabilities.sampleRates) {
        expect(Number.isInteger(rate)).toBe(true);
        expect(rate).toBeGreaterThanOrEqual(8000);
        expect(rate).toBeLessThanOrEqual(96_000);
      }
      expect(new Set(stt.capabilities.sampleRates).size).toBe(stt.capabilities.sampleRates.length);
    });

    test.each(REQUIRED_STT_RATES.map((rate, i) => [rate, i] as const))('recognises a Russian phrase from real speech audio at %i Hz', async (rate, index) => {
      await expectRecognised(index, rate);
    });

    test('recognises speech at every other declared sample rate', async () => {
      const others = stt.capabilities.sampleRates.filter((rate) => !(REQUIRED_STT_RATES as readonly number[]).includes(rate));
      for (const [i, rate] of others.entries()) await expectRecognised(REQUIRED_STT_RATES.length + i, rate);
    });

    test('the text comes from the audio, not from the prompt', async () => {
      const result = await stt.transcribe(
        { pcm: spokenAt('Лучше завтра после обеда.', 8000), sampleRate: 8000 },
        { language: 'ru', prompt: 'Да, интересно, расскажите подробнее.' },
      );
      expect(wordsOf(result.text)).toEqual(expect.arrayContaining(['завтра', 'обеда']));
      expect(wordsOf(result.text)).not.toContain('расскажите');
    });

    test("near-silence, silence and noise give '' text", async () => {
      const cases: [string, Int16Array, number][] = [
        ['digital silence (1 s, 8 kHz)', new Int16Array(8000), 8000],
        ['-60 dBFS hiss (1 s, 8 kHz)', noise(8000, 30, 11), 8000],
        ['loud white noise (1.5 s, 16 kHz)', noise(24_000, 8000, 7), 16_000],
      ];
      for (const [label, pcm, sampleRate] of cases) {
        const result = await stt.transcribe({ pcm, sampleRate }, { language: 'ru' });
        expect({ label, text: result.text }).toEqual({ label, text: '' });
      }
    });

    describeFailureContract({
      stage: 'STT',
      emulator,
      provider: () => stt.provider,
      run: (signal) => stt.transcribe({ pcm: spokenAt('Да.', 8000), sampleRate: 8000 }, { language: 'ru', ...(signal ? { signal } : {}) }),
      runWithShortTimeout: () => shortTimeout.transcribe({ pcm: spokenAt('Да.', 8000), sampleRate: 8000 }, { language: 'ru' }),
    });
  });
}

// ---------------------------------------------------------------------------------------------
// ReplyModel
// ---------------------------------------------------------------------------------------------

/** The product's first clause is what the emulated operator offers (chat-rules.ts `productFrom`). */
const PRODUCT = 'бизнес-интернет «Тест-Связь» для офиса';
const SYSTEM_PROMPT = `Ты вежливый оператор исходящих звонков. Отвечай коротко.\nПродукт: ${PRODUCT}; подключение бесплатно.`;
/** A prompt whose product the emulated model repeats with our "interrupted" annotation in it. */
const ECHOING_SYSTEM_PROMPT = 'Ты оператор.\nПродукт: интернет [перебит абонентом] для офиса; подключение бесплатно.';
const CLOSING_INSTRUCTION = 'Время разговора истекло: кратко подведи итог и попрощайся. Закончи реплику меткой [END].';
const GREETING = `Здравствуйте! Меня зовут Анна, я звоню с коротким предложением: ${PRODUCT}. Вам было бы интересно узнать подробнее?`;

/** A dialog after the operator's greeting in which the callee said `callee` (with the operator's prompts in between). */
const greeted = (...callee: string[]): DialogTurn[] => [
  turn('assistant', GREETING),
  ...callee.flatMap((text, i) => (i === 0 ? [turn('user', text)] : [turn('assistant', 'Понимаю. Вам было бы интересно?'), turn('user', text)])),
];

const joinPieces = (pieces: readonly ReplyPiece[]) => normalizeSpace(pieces.map((p) => p.text).join(' '));

function expectSpeakable(pieces: readonly ReplyPiece[]): void {
  expect(pieces.length).toBeGreaterThan(0);
  for (const piece of pieces) {
    // Text pieces are trimmed and non-empty; an empty piece may only carry the goodbye flag.
    if (piece.text === '') expect(piece.isGoodbye).toBe(true);
    else expect(piece.text).toBe(piece.text.trim());
    expect(piece.text).not.toMatch(/\[\s*END\s*\]|перебит абонентом|\[перебит/i);
  }
  expect(pieces.some((p) => p.text !== '')).toBe(true);
}

export function describeReplyModelConformance(
  name: string,
  emulator: () => OpenAIEmulator,
  factory: ProviderFactory<ReplyModel, ReplyModelEnvironment>,
): void {
  describe(`ReplyModel conformance: ${name}`, () => {
    let model: ReplyModel;
    let shortTimeout: ReplyModel;

    beforeAll(() => {
      model = factory({ baseURL: emulator().url, tlsCa: emulator().tlsCa, timeoutMs: DEFAULT_TIMEOUT_MS, systemPrompt: SYSTEM_PROMPT });
      shortTimeout = factory({ baseURL: emulator().url, tlsCa: emulator().tlsCa, timeoutMs: SHORT_TIMEOUT_MS, systemPrompt: SYSTEM_PROMPT });
    });
    afterEach(() => emulator().clearFaults());

    test('declares its capabilities', () => {
      expect(model.provider).toMatch(/\S/);
      expect(model.model).toMatch(/\S/);
      expect(typeof model.capabilities.streaming).toBe('boolean');
      expect(typeof model.capabilities.structuredOutput).toBe('boolean');
    });

    test.each([
      ['the opening line (empty history)', [] as string[]],
      ['an answer to a question about the price', ['Сколько это стоит?']],
      ['an answer to a "yes"', ['Да, интересно, расскажите подробнее.']],
    ])('streamReply pieces add up to what reply returns: %s', async (_label, callee) => {
      const history = callee.length === 0 ? [] : greeted(...callee);
      const pieces = await drain(model.streamReply({ history }));
      const whole = await model.reply({ history });
      expectSpeakable(pieces);
      expect(whole.text).toBe(whole.text.trim());
      expect(whole.text).not.toMatch(/\[\s*END\s*\]|перебит/i);
      expect(joinPieces(pieces)).toBe(normalizeSpace(whole.text));
      expect(pieces.some((p) => p.isGoodbye)).toBe(false);
      expect(whole.isGoodbye).toBe(false);
      // Every one of these replies has two or more sentences: a streaming model hands them over one by one.
      if (model.capabilities.streaming) expect(pieces.filter((p) => p.text !== '').length).toBeGreaterThanOrEqual(2);
    });

    test('the reply depends on the configured system prompt and on the history', async () => {
      const opening = await model.reply({ history: [] });
      expect(opening.text).toContain('Тест-Связь'); // the product of the system prompt
      const price = await model.reply({ history: greeted('Сколько это стоит?') });
      const yes = await model.reply({ history: greeted('Да, интересно, расскажите подробнее.') });
      expect(new Set([opening.text, price.text, yes.text]).size).toBe(3);
    });

    test('a refusal gets a goodbye: marked isGoodbye, the [END] marker never spoken', async () => {
      const history = greeted('Нет, спасибо, нам это не интересно.');
      const pieces = await drain(model.streamReply({ history }));
      const whole = await model.reply({ history });
      expectSpeakable(pieces);
      expect(pieces.some((p) => p.isGoodbye)).toBe(true);
      expect(pieces.at(-1)!.isGoodbye).toBe(true);
      expect(whole.isGoodbye).toBe(true);
      expect(whole.text).not.toMatch(/END/);
      expect(joinPieces(pieces)).toBe(normalizeSpace(whole.text));
    });

    test('a closing instruction makes the same dialog end with a goodbye', async () => {
      const history = greeted('Сложно сказать.');
      const open = await model.reply({ history });
      expect(open.isGoodbye).toBe(false);
      const request: ReplyRequest = { history, closingInstruction: CLOSING_INSTRUCTION };
      const closing = await model.reply(request);
      const pieces = await drain(model.streamReply(request));
      expect(closing.isGoodbye).toBe(true);
      expect(closing.text).not.toMatch(/END/);
      expect(closing.text).not.toBe(open.text);
      expectSpeakable(pieces);
      expect(pieces.some((p) => p.isGoodbye)).toBe(true);
      expect(joinPieces(pieces)).toBe(normalizeSpace(closing.text));
    });

    test('the "interrupted" annotation is never spoken, even when the model repeats it', async () => {
      const echoing = factory({ baseURL: emulator().url, tlsCa: emulator().tlsCa, timeoutMs: DEFAULT_TIMEOUT_MS, systemPrompt: ECHOING_SYSTEM_PROMPT });
      const history = [turn('assistant', 'Здравствуйте! Я звоню с предложением', true), turn('user', 'Что?')];
      const pieces = await drain(echoing.streamReply({ history: [] }));
      const whole = await echoing.reply({ history: [] });
      const after = await echoing.reply({ history });
      expectSpeakable(pieces);
      for (const text of [whole.text, after.text, joinPieces(pieces)]) {
        expect(text).toMatch(/интернет/); // the product was said...
        expect(text).not.toMatch(/перебит/); // ...without the annotation the model repeated
      }
      expect(joinPieces(pieces)).toBe(normalizeSpace(whole.text));
    });

    test('an abort in the middle of the stream stops it: no piece after the abort', async () => {
      const controller = new AbortController();
      const after: ReplyPiece[] = [];
      let aborted = false;
      let abortedAt = 0;
      const err = await (async () => {
        for await (const piece of model.streamReply({ history: [], signal: controller.signal })) {
          if (aborted) after.push(piece);
          else {
            aborted = true;
            abortedAt = performance.now();
            controller.abort();
          }
        }
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(aborted).toBe(true);
      expect(after).toEqual([]);
      expect(performance.now() - abortedAt).toBeLessThan(PROMPT_MS);
      if (err !== undefined) expectProviderError(err, { stage: 'LLM', provider: model.provider, retryable: false });
    });

    describe('streamReply', () => {
      describeFailureContract({
        stage: 'LLM',
        emulator,
        provider: () => model.provider,
        run: (signal) => drain(model.streamReply({ history: [], ...(signal ? { signal } : {}) })),
        runWithShortTimeout: () => drain(shortTimeout.streamReply({ history: [] })),
      });
    });

    describe('reply', () => {
      describeFailureContract({
        stage: 'LLM',
        emulator,
        provider: () => model.provider,
        run: (signal) => model.reply({ history: [], ...(signal ? { signal } : {}) }),
        runWithShortTimeout: () => shortTimeout.reply({ history: [] }),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// TextToSpeech
// ---------------------------------------------------------------------------------------------

/** A line of the emulator's phrase bank: its audio can be checked by the emulator's recogniser. */
const BANK_LINE = 'Да, интересно, расскажите подробнее.';
const SHORT_LINE = 'Да.';
const LONG_LINE =
  'Добрый день! Меня зовут Анна, я звоню с коротким предложением: бизнес-интернет для вашего офиса. ' +
  'Подключение бесплатное, техническая поддержка работает круглосуточно. Вам было бы интересно узнать подробнее?';

interface Received {
  samples: Int16Array;
  chunks: number;
  firstAt: number;
  lastAt: number;
}

async function receive(iterable: AsyncIterable<Int16Array>): Promise<Received> {
  const started = performance.now();
  const chunks: Int16Array[] = [];
  let firstAt = -1;
  let lastAt = -1;
  for await (const chunk of iterable) {
    expect(chunk).toBeInstanceOf(Int16Array);
    const at = performance.now() - started;
    if (firstAt < 0) firstAt = at;
    lastAt = at;
    chunks.push(chunk);
  }
  return { samples: concat(chunks), chunks: chunks.length, firstAt, lastAt };
}

export function describeTextToSpeechConformance(name: string, emulator: () => OpenAIEmulator, factory: ProviderFactory<TextToSpeech>): void {
  describe(`TextToSpeech conformance: ${name}`, () => {
    let tts: TextToSpeech;
    let shortTimeout: TextToSpeech;
    const seconds = (samples: Int16Array) => samples.length / tts.capabilities.sampleRate;

    beforeAll(() => {
      tts = factory({ baseURL: emulator().url, tlsCa: emulator().tlsCa, timeoutMs: DEFAULT_TIMEOUT_MS });
      shortTimeout = factory({ baseURL: emulator().url, tlsCa: emulator().tlsCa, timeoutMs: SHORT_TIMEOUT_MS });
    });
    afterEach(() => emulator().clearFaults());

    test('declares its capabilities', () => {
      expect(tts.provider).toMatch(/\S/);
      expect(tts.model).toMatch(/\S/);
      expect(tts.voice).toMatch(/\S/);
      expect(typeof tts.capabilities.streaming).toBe('boolean');
      expect(Number.isInteger(tts.capabilities.sampleRate)).toBe(true);
      expect(tts.capabilities.sampleRate).toBeGreaterThanOrEqual(8000);
      expect(tts.capabilities.sampleRate).toBeLessThanOrEqual(48_000);
    });

    test('yields PCM16 speech of the text at capabilities.sampleRate (a recogniser hears the words)', async () => {
      const { samples, chunks } = await receive(tts.synthesize(BANK_LINE));
      expect(chunks).toBeGreaterThan(0);
      // eSpeak-like and human speech: roughly 8-25 characters a second.
      expect(seconds(samples)).toBeGreaterThan(BANK_LINE.length / 25);
      expect(seconds(samples)).toBeLessThan(BANK_LINE.length / 8);
      expect(rms(samples)).toBeGreaterThan(500);
      // Read at the declared rate, the audio is the line (at a wrong rate it would not match).
      const recognizer = await getPhraseRecognizer();
      expect(recognizer.recognize({ sampleRate: tts.capabilities.sampleRate, samples }).text).toBe(BANK_LINE);
    });

    test('a longer text gives proportionally longer audio', async () => {
      const short = await receive(tts.synthesize(SHORT_LINE));
      const long = await receive(tts.synthesize(LONG_LINE));
      expect(seconds(short.samples)).toBeGreaterThan(0.15);
      expect(seconds(long.samples)).toBeGreaterThan(4 * seconds(short.samples));
      expect(seconds(long.samples)).toBeGreaterThan(LONG_LINE.length / 25);
      expect(seconds(long.samples)).toBeLessThan(LONG_LINE.length / 8);
    });

    test('when streaming, the first chunk arrives long before the stream ends', async () => {
      const { samples, chunks, firstAt, lastAt } = await receive(tts.synthesize(LONG_LINE));
      if (!tts.capabilities.streaming) {
        expect(chunks).toBeGreaterThan(0);
        return;
      }
      // The emulator sends the audio at CONFORMANCE_TTS_PACING × real time: a buffering implementation
      // would hand everything over at the end.
      const streamMs = (seconds(samples) * 1000) / CONFORMANCE_TTS_PACING;
      expect(chunks).toBeGreaterThan(2);
      expect(lastAt - firstAt).toBeGreaterThan(streamMs * 0.5);
    });

    test('an abort in the middle of the stream ends the iteration promptly', async () => {
      const full = await receive(tts.synthesize(LONG_LINE));
      const controller = new AbortController();
      const received: Int16Array[] = [];
      let abortedAt = 0;
      const err = await (async () => {
        for await (const chunk of tts.synthesize(LONG_LINE, { signal: controller.signal })) {
          received.push(chunk);
          if (abortedAt === 0) {
            abortedAt = performance.now();
            controller.abort();
          }
        }
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      const endedAfter = performance.now() - abortedAt;
      expect(abortedAt).toBeGreaterThan(0);
      expect(endedAfter).toBeLessThan(Math.min(PROMPT_MS, (seconds(full.samples) * 1000) / CONFORMANCE_TTS_PACING / 2));
      expect(concat(received).length).toBeLessThan(full.samples.length / 2);
      if (err !== undefined) expectProviderError(err, { stage: 'TTS', provider: tts.provider, retryable: false });
    });

    test('breaking out of the loop ends the stream, and the next synthesis works', async () => {
      const started = performance.now();
      let count = 0;
      for await (const _chunk of tts.synthesize(LONG_LINE)) {
        count += 1;
        if (count === 2) break;
      }
      expect(performance.now() - started).toBeLessThan(PROMPT_MS);
      const next = await receive(tts.synthesize(SHORT_LINE));
      expect(next.samples.length).toBeGreaterThan(0);
    });

    test('empty or blank text is rejected without a provider request', async () => {
      for (const text of ['', '   \n\t ']) {
        const before = emulator().requests.length;
        const err = await rejectionOf(() => drain(tts.synthesize(text)));
        expectProviderError(err, { stage: 'TTS', provider: tts.provider, retryable: false });
        expect(emulator().requests.length).toBe(before);
      }
    });

    describeFailureContract({
      stage: 'TTS',
      emulator,
      provider: () => tts.provider,
      run: (signal) => drain(tts.synthesize(SHORT_LINE, signal ? { signal } : {})),
      runWithShortTimeout: () => drain(shortTimeout.synthesize(SHORT_LINE)),
    });
  });
}

// ---------------------------------------------------------------------------------------------
// VoiceOperator
// ---------------------------------------------------------------------------------------------

/** A voice operator is built like a reply model: the emulator reads the operator's product from the system prompt. */
export type VoiceOperatorEnvironment = ReplyModelEnvironment;

/** What a voice-operator factory builds: the operator under test, and what it must say. */
export interface VoiceOperatorUnderTest {
  operator: VoiceOperator;
  /**
   * The whole reply of the model that writes the operator's words (for a cascade, its ReplyModel), built
   * in the same environment: the emulator is deterministic, so `respond` must speak exactly these words.
   */
  replyModel: Pick<ReplyModel, 'reply'>;
  /**
   * How the operator cuts a reply into pieces. streamed: the first speakable piece as soon as the model
   * has it, then one more piece with all the rest (two pieces for a reply of several sentences), the
   * first piece's audio starting while the model is still at work; whole: the finished reply as one piece.
   */
  replySpeech: 'streamed' | 'whole';
}

/** Emulated replies of two sentences or more, by what the callee said after the greeting. */
const MULTI_SENTENCE_DIALOGS: readonly (readonly [string, readonly string[]])[] = [
  ['the opening line (empty history)', []],
  ['an answer to a question about the price', ['Сколько это стоит?']],
  ['an answer to a "yes"', ['Да, интересно, расскажите подробнее.']],
];
const dialogOf = (callee: readonly string[]): DialogTurn[] => (callee.length === 0 ? [] : greeted(...callee));
/** The opening line: its first piece is short and the rest is long, so the model is still at work while the first piece is voiced. */
const OPENING: readonly DialogTurn[] = [];
/** The emulated reply here starts with a long sentence ("Если коротко: <product>."), so an abort in its audio can be seen. */
const LONG_FIRST_PIECE = greeted('Сложно сказать.');
/** Lines of the emulator's phrase bank for speak (its recogniser can check them). */
const SPOKEN_LINES = [BANK_LINE, 'Повторите, пожалуйста.'] as const;

/** A piece with the audio it yielded, read to the end, and its words (a speech-to-speech answer's come with its audio). */
interface HeardPiece {
  piece: SpokenPiece;
  audio: Received;
  words: { text: string; isGoodbye: boolean };
}

/** A piece's words once its audio was played in full (told to the piece, as a line does). */
async function pieceWords(piece: SpokenPiece, audio: Received): Promise<{ text: string; isGoodbye: boolean }> {
  piece.onPlayed?.((audio.samples.length * 1000) / piece.sampleRate, false);
  if (piece.text === '' && piece.wordsWhenSpoken) return piece.wordsWhenSpoken;
  return { text: piece.text, isGoodbye: piece.isGoodbye };
}

/** Plays the answer as a line would: each piece's audio to its end, then the next piece. */
async function listen(pieces: AsyncIterable<SpokenPiece>): Promise<HeardPiece[]> {
  const heard: HeardPiece[] = [];
  for await (const piece of pieces) {
    const audio = await receive(piece.audio);
    heard.push({ piece, audio, words: await pieceWords(piece, audio) });
  }
  return heard;
}

const joinSpoken = (heard: readonly HeardPiece[]) => normalizeSpace(heard.map((h) => h.words.text).join(' '));

/**
 * Every piece is speakable: trimmed text without service marks (an empty text only on a goodbye-only
 * last piece, whose audio is at most silence), and PCM16 at its sample rate as long as its text needs.
 */
function expectSpokenPieces(heard: readonly HeardPiece[]): void {
  expect(heard.length).toBeGreaterThan(0);
  expect(heard.some((h) => h.words.text !== '')).toBe(true);
  for (const [index, { piece, audio, words }] of heard.entries()) {
    expect(typeof words.isGoodbye).toBe('boolean');
    expect(words.text).not.toMatch(/\[\s*END\s*\]|перебит/i);
    expect(Number.isInteger(piece.sampleRate)).toBe(true);
    expect(piece.sampleRate).toBeGreaterThanOrEqual(8000);
    expect(piece.sampleRate).toBeLessThanOrEqual(48_000);
    if (words.text === '') {
      expect({ index, isGoodbye: words.isGoodbye, last: index === heard.length - 1 }).toEqual({ index, isGoodbye: true, last: true });
      if (audio.samples.length > 0) expect(rms(audio.samples)).toBeLessThan(100);
      continue;
    }
    expect(words.text).toBe(words.text.trim());
    // As the TextToSpeech suite: roughly 8-25 characters a second, and audible.
    const seconds = audio.samples.length / piece.sampleRate;
    expect({ text: words.text, seconds, plausible: seconds > words.text.length / 25 && seconds < words.text.length / 8 }).toEqual({
      text: words.text,
      seconds,
      plausible: true,
    });
    expect(rms(audio.samples)).toBeGreaterThan(500);
  }
}

/**
 * A failure as the workflow must see it. The stage names what failed in the operator's terms (STT:
 * hearing the callee, LLM: the answer's words, TTS: their voice), whatever the implementation's shape.
 */
function expectOperatorError(
  err: unknown,
  expected: { stage?: SpeechStage; retryable: boolean; kind?: ProviderErrorKind; status?: number },
): SpeechProviderError {
  expect(err).toBeInstanceOf(SpeechProviderError);
  const error = err as SpeechProviderError;
  expect(error.retryable).toBe(expected.retryable);
  expect(error.provider).toMatch(/\S/);
  if (expected.stage !== undefined) expect(error.stage).toBe(expected.stage);
  if (expected.kind !== undefined) expect(error.kind).toBe(expected.kind);
  if (expected.status !== undefined) expect(error.status).toBe(expected.status);
  expect(error.message.length).toBeGreaterThan(0);
  return error;
}

async function nextPiece(iterator: AsyncIterator<SpokenPiece>): Promise<SpokenPiece> {
  const result = await iterator.next();
  if (result.done) throw new Error('expected a piece, but the answer ended');
  return result.value;
}

/** How a run ended, and when (ms after `since`). */
async function settle<T>(run: () => Promise<T>, since: number): Promise<{ value?: T; error?: unknown; at: number }> {
  try {
    const value = await run();
    return { value, at: performance.now() - since };
  } catch (error) {
    return { error, at: performance.now() - since };
  }
}

/** Ends an answer nobody listens to any more. */
async function dismiss(iterator: AsyncIterator<SpokenPiece>, controller: AbortController): Promise<void> {
  controller.abort();
  await iterator.return?.().catch(() => undefined);
}

/** When an abort comes into the wait for the opening line, as shares of that wait undisturbed (by try). */
const ABORT_INTO_REPLY_SHARES = [0.6, 0.4, 0.25] as const;

export function describeVoiceOperatorConformance(
  name: string,
  emulator: () => OpenAIEmulator,
  factory: ProviderFactory<VoiceOperatorUnderTest, VoiceOperatorEnvironment>,
): void {
  describe(`VoiceOperator conformance: ${name}`, () => {
    let operator: VoiceOperator;
    let replyModel: Pick<ReplyModel, 'reply'>;
    let replySpeech: VoiceOperatorUnderTest['replySpeech'];
    let session: VoiceOperatorSession;
    let calls = 0;
    const open = () => operator.openSession({ callId: `conformance-call-${++calls}` });

    beforeAll(() => {
      ({ operator, replyModel, replySpeech } = factory({ baseURL: emulator().url, tlsCa: emulator().tlsCa, timeoutMs: DEFAULT_TIMEOUT_MS, systemPrompt: SYSTEM_PROMPT }));
      session = open();
    });
    afterAll(async () => {
      await session?.close();
    });
    afterEach(() => emulator().clearFaults());

    test('declares its name and capabilities consistently with its sessions', async () => {
      expect(operator.name).toMatch(/\S/);
      expect(typeof operator.capabilities.speechToSpeech).toBe('boolean');
      expect(typeof operator.capabilities.streamingInput).toBe('boolean');
      expect(['streamed', 'whole']).toContain(replySpeech);
      const fresh = open();
      // A session takes the callee's audio as it arrives exactly when the operator declares it does.
      expect({ listen: fresh.listen !== undefined }).toEqual({ listen: operator.capabilities.streamingInput });
      for (const method of [fresh.transcribe, fresh.respond, fresh.speak, fresh.close]) expect(typeof method).toBe('function');
      await expect(fresh.close()).resolves.toBeUndefined();
    });

    describe('transcribe', () => {
      test.each(REQUIRED_STT_RATES.map((rate, i) => [rate, i + 2] as const))('recognises a Russian phrase from real speech audio at %i Hz', async (rate, index) => {
        const phrase = STT_PHRASES[index % STT_PHRASES.length]!;
        const result = await session.transcribe({ pcm: spokenAt(phrase.text, rate), sampleRate: rate });
        const words = wordsOf(result.text);
        expect(words).toEqual(expect.arrayContaining([...phrase.words]));
        for (const other of STT_PHRASES) {
          if (other !== phrase) for (const word of other.words.filter((w) => !wordsOf(phrase.text).includes(w))) expect(words).not.toContain(word);
        }
        expect(result.text).toBe(result.text.trim());
      });

      test('a session that listens recognises a phrase streamed to it as it was spoken (G.711 frames, then a commit)', async () => {
        const line = operator.openSession({ callId: `conformance-call-${++calls}`, line: { encoding: 'mulaw', sampleRate: 8000 } });
        try {
          if (!line.listen) {
            expect(operator.capabilities.streamingInput).toBe(false);
            return;
          }
          const phrase = STT_PHRASES[1]!;
          const pcm = spokenAt(phrase.text, 8000);
          const frames = mulawEncode(pcm);
          for (let offset = 0; offset < frames.length; offset += 160) line.listen.append(frames.subarray(offset, offset + 160));
          const piece = line.listen.commit();
          const result = await line.transcribe({ pcm, sampleRate: 8000, streamPieces: [piece] });
          expect(wordsOf(result.text)).toEqual(expect.arrayContaining([...phrase.words]));
          expect(result.recognisedBy).toBe('stream');
        } finally {
          await line.close();
        }
      });

      test("silence and noise give ''", async () => {
        const cases: [string, Int16Array, number][] = [
          ['digital silence (1 s, 8 kHz)', new Int16Array(8000), 8000],
          ['loud white noise (1.5 s, 16 kHz)', noise(24_000, 8000, 7), 16_000],
        ];
        for (const [label, pcm, sampleRate] of cases) {
          const result = await session.transcribe({ pcm, sampleRate });
          expect({ label, text: result.text }).toEqual({ label, text: '' });
        }
      });

      test('a provider failure is a SpeechProviderError of the STT stage', async () => {
        emulator().injectFault({ path: '*', status: 500 });
        const err = await rejectionOf(() => session.transcribe({ pcm: spokenAt('Да.', 8000), sampleRate: 8000 }));
        expectActivityFailure(expectOperatorError(err, { stage: 'STT', retryable: true, kind: 'server_error', status: 500 }));
      });
    });

    describe('respond', () => {
      test.each(MULTI_SENTENCE_DIALOGS)("speaks exactly the model's reply, in speakable pieces with their audio: %s", async (_label, callee) => {
        const history = dialogOf(callee);
        const heard = await listen(session.respond({ history }));
        const whole = await replyModel.reply({ history });
        expectSpokenPieces(heard);
        expect(joinSpoken(heard)).toBe(normalizeSpace(whole.text));
        expect(whole.isGoodbye).toBe(false);
        expect(heard.map((h) => h.words.isGoodbye)).toEqual(heard.map(() => false));
        // Every one of these replies has two sentences or more.
        expect(heard.map((h) => h.words.text)).toHaveLength(replySpeech === 'streamed' ? 2 : 1);
      });

      test('streamed: the first piece is voiced while the model is still at work; whole: one piece, once the model is done', async () => {
        const controller = new AbortController();
        const iterator = session.respond({ history: OPENING, signal: controller.signal })[Symbol.asyncIterator]();
        try {
          const first = await nextPiece(iterator);
          const started = performance.now();
          // Both at once, as a line that plays the first piece while it waits for the next.
          const [audio, next] = await Promise.all([receive(first.audio), settle(() => iterator.next(), started)]);
          expect(audio.chunks).toBeGreaterThan(0);
          if (replySpeech === 'streamed') {
            expect(next.value?.done).toBe(false);
            // `receive` started with `started`: the first audio of piece 0 came before piece 1, i.e. before the model had finished.
            expect(audio.firstAt).toBeLessThan(next.at);
            expect((await iterator.next()).done).toBe(true);
          } else {
            expect(next.value?.done).toBe(true);
            expect(normalizeSpace((await pieceWords(first, audio)).text)).toBe(normalizeSpace((await replyModel.reply({ history: OPENING })).text));
          }
        } finally {
          await dismiss(iterator, controller);
        }
      });

      test.each([
        ['a refusal', { history: greeted('Нет, спасибо, нам это не интересно.') }],
        ['a closing instruction', { history: greeted('Сложно сказать.'), closingInstruction: CLOSING_INSTRUCTION }],
      ] as const)('%s gets a goodbye: isGoodbye on the last piece, the [END] marker never spoken', async (_label, request) => {
        const heard = await listen(session.respond(request));
        const whole = await replyModel.reply(request);
        expectSpokenPieces(heard);
        expect(whole.isGoodbye).toBe(true);
        expect(heard.at(-1)!.words.isGoodbye).toBe(true);
        for (const { words } of heard) expect(words.text).not.toMatch(/END/i);
        expect(joinSpoken(heard)).toBe(normalizeSpace(whole.text));
      });

      test("aborting the request after the first piece ends the answer and the piece's audio promptly, with no piece after the abort", async () => {
        let full: Received | undefined;
        for await (const piece of session.respond({ history: LONG_FIRST_PIECE })) {
          full = await receive(piece.audio);
          break;
        }
        expect(full?.samples.length).toBeGreaterThan(0);

        const controller = new AbortController();
        const iterator = session.respond({ history: LONG_FIRST_PIECE, signal: controller.signal })[Symbol.asyncIterator]();
        const first = await nextPiece(iterator);
        const audio = first.audio[Symbol.asyncIterator]();
        const received: Int16Array[] = [];
        const chunk = await audio.next();
        if (!chunk.done) received.push(chunk.value);
        expect(received).toHaveLength(1);

        const abortedAt = performance.now();
        controller.abort();
        const after: SpokenPiece[] = [];
        const [answer, voice] = await Promise.all([
          settle(async () => {
            for (let r = await iterator.next(); !r.done; r = await iterator.next()) after.push(r.value);
          }, abortedAt),
          settle(async () => {
            for (let r = await audio.next(); !r.done; r = await audio.next()) received.push(r.value);
          }, abortedAt),
        ]);
        expect(after.map((p) => p.text)).toEqual([]);
        expect(answer.at).toBeLessThan(PROMPT_MS);
        if (answer.error !== undefined) expectOperatorError(answer.error, { retryable: false });
        expect(voice.at).toBeLessThan(PROMPT_MS);
        if (voice.error !== undefined) expectOperatorError(voice.error, { retryable: false });
        expect(concat(received).length).toBeLessThan(full!.samples.length / 2);
      });

      test(
        'an abort in the middle of the reply, while the next piece is awaited (a line that fetches it ahead), ends the answer promptly with no piece after it',
        async () => {
          /**
           * The opening line, listened to as a line does (streamed: the first piece plays while the rest is
           * awaited; whole: the only piece is awaited), aborted `abortAfterMs` into that wait. Gives how
           * long the wait took without the abort, or undefined once the abort has been checked.
           */
          const attempt = async (abortAfterMs?: number): Promise<number | undefined> => {
            const controller = new AbortController();
            const iterator = session.respond({ history: OPENING, signal: controller.signal })[Symbol.asyncIterator]();
            let playing: Promise<unknown> = Promise.resolve();
            try {
              if (replySpeech === 'streamed') playing = drain((await nextPiece(iterator)).audio).catch(() => undefined);
              const waitStarted = performance.now();
              let settled = false;
              const awaited = settle(() => iterator.next(), waitStarted).finally(() => {
                settled = true;
              });
              if (abortAfterMs === undefined) return (await awaited).at;
              await new Promise((resolve) => setTimeout(resolve, abortAfterMs));
              if (settled) return (await awaited).at; // the model was done before the abort: nothing shown
              const abortedAt = performance.now();
              controller.abort();
              const next = await awaited;
              expect(performance.now() - abortedAt).toBeLessThan(PROMPT_MS);
              if (next.error !== undefined) expectOperatorError(next.error, { retryable: false });
              else expect(next.value?.done === false ? [next.value.value.text] : []).toEqual([]);
              return undefined;
            } finally {
              await dismiss(iterator, controller);
              await playing;
            }
          };
          // The abort comes well into the wait (streamed: the model is writing the rest; whole: most of the
          // reply's time is its words streaming), timed on an undisturbed run here; sooner when that was late.
          let waitMs = await attempt();
          for (const share of ABORT_INTO_REPLY_SHARES) {
            if (waitMs === undefined) return;
            waitMs = await attempt(waitMs! * share);
          }
          expect({ abortCameInTheMiddleOfTheReply: waitMs === undefined }).toEqual({ abortCameInTheMiddleOfTheReply: true });
        },
      );

      test('a provider failure before the first piece rejects the answer with a SpeechProviderError (one request), and the next answer works', async () => {
        const history = greeted('Сколько это стоит?');
        const before = emulator().requests.length;
        const sessionEvents = emulator().realtimeEvents.length;
        // A speech-to-speech session is already open: its next request is the answer's response.create.
        if (operator.capabilities.speechToSpeech) emulator().injectRealtimeFault({ kind: 'error', on: 'response.create' });
        else emulator().injectFault({ path: '*', status: 500 });
        const pieces: SpokenPiece[] = [];
        const err = await rejectionOf(async () => {
          for await (const piece of session.respond({ history })) pieces.push(piece);
        });
        expect(pieces.map((p) => p.text)).toEqual([]);
        if (operator.capabilities.speechToSpeech) {
          expectActivityFailure(expectOperatorError(err, { stage: 'LLM', retryable: true, kind: 'server_error' }));
          // One response.create, not retried (retries are Temporal's).
          expect(emulator().realtimeEvents.slice(sessionEvents).filter((e) => e.direction === 'client' && e.type === 'response.create')).toHaveLength(1);
        } else {
          expectActivityFailure(expectOperatorError(err, { stage: 'LLM', retryable: true, kind: 'server_error', status: 500 }));
          expect(emulator().requests.length - before).toBe(1); // retries are Temporal's
        }
        expect(joinSpoken(await listen(session.respond({ history })))).toBe(normalizeSpace((await replyModel.reply({ history })).text));
      });

      test('a session dropped before the answer: a retryable SpeechProviderError, and the next answer (a new session where there are sessions) knows the dialog', async () => {
        const history = greeted('Сколько это стоит?');
        const fresh = open();
        try {
          if (operator.capabilities.speechToSpeech) emulator().injectRealtimeFault({ kind: 'drop', on: 'response.create' });
          else emulator().injectFault({ path: '*', status: 503 });
          const err = await rejectionOf(() => drain(fresh.respond({ history })));
          expectActivityFailure(expectOperatorError(err, { stage: 'LLM', retryable: true }));
          expect(joinSpoken(await listen(fresh.respond({ history })))).toBe(normalizeSpace((await replyModel.reply({ history })).text));
        } finally {
          await fresh.close();
        }
      });

      test("a failure of the voice surfaces as a SpeechProviderError when the piece's audio is read", async () => {
        // A speech-to-speech answer has no voice request of its own: its failures are the answer's (above).
        if (operator.capabilities.speechToSpeech) return;
        const controller = new AbortController();
        const iterator = session.respond({ history: greeted('Сколько это стоит?'), signal: controller.signal })[Symbol.asyncIterator]();
        try {
          const first = await nextPiece(iterator);
          // The words are on their way: the next request is the first piece's voice (an HTTP request,
          // or a response on the call's open Realtime session: both are made to fail).
          emulator().injectFault({ path: '*', status: 500 });
          emulator().injectRealtimeFault({ kind: 'error', on: 'response.create' });
          const err = await rejectionOf(() => drain(first.audio));
          expectActivityFailure(expectOperatorError(err, { stage: 'TTS', retryable: true, kind: 'server_error' }));
        } finally {
          await dismiss(iterator, controller);
        }
      });
    });

    describe('speak', () => {
      test.each(SPOKEN_LINES)('says %p word for word: a recogniser hears it in the audio', async (line) => {
        const piece = session.speak(line);
        expect(piece.text).toBe(line);
        const audio = await receive(piece.audio);
        expectSpokenPieces([{ piece, audio, words: await pieceWords(piece, audio) }]);
        // What the voice reports it said is the line (the emulator reads exactly).
        expect(normalizeSpace(await piece.spokenText)).toBe(normalizeSpace(line));
        const recognizer = await getPhraseRecognizer();
        expect(recognizer.recognize({ sampleRate: piece.sampleRate, samples: audio.samples }).text).toBe(line);
      });

      test('a failure of the voice is a SpeechProviderError of the TTS stage when the audio is read', async () => {
        // The voice's next request: an HTTP request, or a response on the call's open Realtime session.
        emulator().injectFault({ path: '*', status: 500 });
        emulator().injectRealtimeFault({ kind: 'error', on: 'response.create' });
        const err = await rejectionOf(() => drain(session.speak(SHORT_LINE).audio));
        expectActivityFailure(expectOperatorError(err, { stage: 'TTS', retryable: true, kind: 'server_error' }));
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// CallClassifier
// ---------------------------------------------------------------------------------------------

const OFFER = `Здравствуйте! Меня зовут Анна, я звоню с предложением: ${PRODUCT}. Вам было бы интересно?`;

const TRANSCRIPTS: readonly (readonly [string, 'interested' | 'not_interested' | 'call_later', DialogTurn[]])[] = [
  [
    'agrees to the manager\'s call',
    'interested',
    [
      turn('assistant', OFFER),
      turn('user', 'Да, интересно, расскажите подробнее.'),
      turn('assistant', 'Отлично! Я могу передать ваш номер менеджеру, он перезвонит и расскажет все подробности. Передать?'),
      turn('user', 'Звучит хорошо, давайте, пусть менеджер мне перезвонит.'),
      turn('assistant', 'Отлично, передаю вашу заявку менеджеру. Спасибо, всего доброго!'),
    ],
  ],
  [
    'refuses (the operator\'s own "интересно" does not count)',
    'not_interested',
    [
      turn('assistant', OFFER),
      turn('user', 'Нет, спасибо, нам это не интересно.'),
      turn('assistant', 'Понимаю вас, больше не беспокоим. Вам точно не интересно? Всего доброго!'),
    ],
  ],
  [
    'asks to be called back later',
    'call_later',
    [
      turn('assistant', OFFER),
      turn('user', 'Я сейчас занят, перезвоните, пожалуйста, позже.'),
      turn('assistant', 'Конечно, перезвоним вам позже. Вам удобно завтра? Всего доброго!'),
    ],
  ],
];

export function describeCallClassifierConformance(name: string, emulator: () => OpenAIEmulator, factory: ProviderFactory<CallClassifier>): void {
  describe(`CallClassifier conformance: ${name}`, () => {
    let classifier: CallClassifier;
    let shortTimeout: CallClassifier;

    beforeAll(() => {
      classifier = factory({ baseURL: emulator().url, tlsCa: emulator().tlsCa, timeoutMs: DEFAULT_TIMEOUT_MS });
      shortTimeout = factory({ baseURL: emulator().url, tlsCa: emulator().tlsCa, timeoutMs: SHORT_TIMEOUT_MS });
    });
    afterEach(() => emulator().clearFaults());

    test('declares provider and model', () => {
      expect(classifier.provider).toMatch(/\S/);
      expect(classifier.model).toMatch(/\S/);
    });

    test.each(TRANSCRIPTS)('a callee who %s is %s, with a summary', async (_label, disposition, transcript) => {
      const outcome = await classifier.classify(transcript);
      expect(outcome.final_disposition).toBe(disposition);
      expect(outcome.short_summary.trim().length).toBeGreaterThan(10);
      expect(outcome.short_summary).toBe(outcome.short_summary.trim());
      expect(outcome.short_summary).toMatch(/[а-яё]/i); // Russian
    });

    test('a call in which the callee said nothing is neutral', async () => {
      const outcome = await classifier.classify([turn('assistant', OFFER), turn('user', '   '), turn('assistant', 'Вы меня слышите?')]);
      expect(outcome.final_disposition).toBe('neutral');
      expect(outcome.short_summary.trim()).not.toBe('');
    });

    test('an answer that is not the outcome schema is a SpeechProviderError, not a made-up outcome', async () => {
      emulator().injectFault({
        path: '*',
        status: 200,
        body: {
          id: 'chatcmpl-broken',
          object: 'chat.completion',
          created: 0,
          model: 'emulated-broken',
          choices: [{ index: 0, message: { role: 'assistant', content: '{"final_disposition": "maybe"}', refusal: null }, logprobs: null, finish_reason: 'stop' }],
        },
      });
      const err = await rejectionOf(() => classifier.classify(TRANSCRIPTS[0]![2]));
      expectProviderError(err, { stage: 'classification', provider: classifier.provider, retryable: false });
    });

    describeFailureContract({
      stage: 'classification',
      emulator,
      provider: () => classifier.provider,
      run: (signal) => classifier.classify(TRANSCRIPTS[1]![2], signal ? { signal } : {}),
      runWithShortTimeout: () => shortTimeout.classify(TRANSCRIPTS[1]![2]),
    });
  });
}

// ---------------------------------------------------------------------------------------------
// toActivityFailure (provider-neutral)
// ---------------------------------------------------------------------------------------------

export function describeActivityFailureConformance(): void {
  describe('toActivityFailure: provider failures as Temporal sees them', () => {
    const error = (retryable: boolean, retryAfterMs?: number) =>
      new SpeechProviderError({
        kind: retryable ? 'rate_limited' : 'bad_request',
        stage: 'TTS',
        provider: 'conformance',
        message: 'TTS failed',
        retryable,
        status: retryable ? 429 : 400,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });

    test('retryable -> ProviderUnavailable, retried after the provider\'s Retry-After', () => {
      const failure = toActivityFailure(error(true, 1500));
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure.type).toBe('ProviderUnavailable');
      expect(failure.nonRetryable).toBe(false);
      expect(failure.nextRetryDelay).toBe(1500);
      expect(failure.message).toBe('TTS failed');
      expect(failure.details).toEqual([{ stage: 'TTS', kind: 'rate_limited', provider: 'conformance' }]);
    });

    test('retryable without Retry-After -> the retry policy decides (no nextRetryDelay)', () => {
      const failure = toActivityFailure(error(true));
      expect(failure.type).toBe('ProviderUnavailable');
      expect(failure.nonRetryable).toBe(false);
      expect(failure.nextRetryDelay ?? undefined).toBeUndefined();
    });

    test('an unreasonable Retry-After is capped at a minute', () => {
      expect(toActivityFailure(error(true, 3_600_000)).nextRetryDelay).toBe(60_000);
    });

    test('non-retryable -> ProviderRejected, never retried', () => {
      const failure = toActivityFailure(error(false));
      expect(failure.type).toBe('ProviderRejected');
      expect(failure.nonRetryable).toBe(true);
      expect(failure.details).toEqual([{ stage: 'TTS', kind: 'bad_request', provider: 'conformance' }]);
    });

    test('anything that is not a SpeechProviderError is rejected (a bug is not retried)', () => {
      for (const err of [new TypeError('x is undefined'), 'plain string']) {
        const failure = toActivityFailure(err);
        expect(failure.type).toBe('ProviderRejected');
        expect(failure.nonRetryable).toBe(true);
      }
      expect(toActivityFailure(new TypeError('x is undefined')).message).toBe('x is undefined');
    });
  });
}
