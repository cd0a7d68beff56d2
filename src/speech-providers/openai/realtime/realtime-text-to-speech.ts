import type OpenAI from 'openai';
import type { RealtimeAudioFormats, RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import type { Logger } from '../../../logging/logger';
import { SpeechProviderError } from '../../provider-error';
import type { SpeechCall } from '../../speech-call';
import type { SpokenAudio, SynthesizeOptions, TextToSpeech, TextToSpeechSession } from '../../text-to-speech';
import { OPENAI } from '../openai-errors';
import { decodeRealtimeAudio, realtimeFormatFor, REALTIME_PCM_RATE, sampleRateOf } from './realtime-audio';
import { RealtimeConnection } from './realtime-connection';

/** What the model is told for every line: read the given text, exactly, and nothing else. */
export const READ_ALOUD_INSTRUCTIONS =
  'Ты голос оператора колл-центра. Прочитай вслух текст пользователя дословно, по-русски, спокойным дружелюбным тоном. ' +
  'Не отвечай на него, ничего не добавляй и не пропускай, не меняй ни одного слова.';

/** How long a cancelled line may hold the session before the next line goes ahead anyway. */
const CANCEL_SETTLE_MS = 2000;

/** The API's limit on one text input is far above this; a line longer than this is a bug upstream. */
const MAX_LINE_CHARS = 4096;

export interface OpenAIRealtimeTextToSpeechOptions {
  client: OpenAI;
  /** e.g. gpt-realtime-2.1-mini (the named replacement of the /v1/audio/speech models). */
  model: string;
  voice: string;
  /** Time limit to open a session, and from a line's request to its first audio. */
  timeoutMs: number;
  /** Trust this certificate for wss:// (the local emulator); unset for OpenAI. */
  tlsCa?: string;
  instructions?: string;
  logger?: Logger;
}

/**
 * The operator's lines read aloud by a Realtime API model over WebSocket (the SDK's
 * `openai/realtime/ws`): one session per call, opened at the answer, each line an out-of-band
 * `response.create` (no conversation) whose instructions say to read the text exactly. The audio
 * comes in the line's own format (`audio/pcmu` / `audio/pcma` on G.711 calls, so nothing is
 * resampled; else PCM 24 kHz). Wording is not guaranteed by the API: every line reports what the
 * model actually said (`response.output_audio_transcript.done`).
 */
export class OpenAIRealtimeTextToSpeech implements TextToSpeech {
  readonly provider = OPENAI;
  readonly model: string;
  readonly voice: string;
  readonly capabilities = { streaming: true, sampleRate: REALTIME_PCM_RATE, readsAloud: true } as const;

  constructor(private readonly options: OpenAIRealtimeTextToSpeechOptions) {
    this.model = options.model;
    this.voice = options.voice;
  }

  /** One line on a session of its own (cached phrases are made this way, at PCM 24 kHz). */
  async *synthesize(text: string, options: SynthesizeOptions = {}): AsyncIterable<Int16Array> {
    const session = new RealtimeReadAloudSession(this.options, undefined, false);
    try {
      yield* session.speak(text, options).audio;
    } finally {
      await session.close();
    }
  }

  openSession(call: SpeechCall): TextToSpeechSession {
    return new RealtimeReadAloudSession(this.options, call, true);
  }
}

/** One call's read-aloud session: lines are read one at a time (the API has one active response per session). */
class RealtimeReadAloudSession implements TextToSpeechSession {
  private readonly format: RealtimeAudioFormats;
  private connection: Promise<RealtimeConnection> | null = null;
  /** Resolves when the line before has finished producing audio. */
  private previous: Promise<void> = Promise.resolve();
  private closed = false;
  private lines = 0;

  constructor(
    private readonly options: OpenAIRealtimeTextToSpeechOptions,
    private readonly call: SpeechCall | undefined,
    openNow: boolean,
  ) {
    this.format = realtimeFormatFor(call?.line);
    // Opened at the answer, so the greeting does not wait for the handshake.
    if (openNow) this.connect().catch(() => undefined);
  }

  speak(text: string, options: SynthesizeOptions = {}): SpokenAudio {
    let settle: (said: string) => void = () => undefined;
    const spokenText = new Promise<string>((resolve) => (settle = resolve));
    return { audio: this.read(text.trim(), options.signal, settle), sampleRate: sampleRateOf(this.format), spokenText };
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.connection;
    this.connection = null;
    if (pending) (await pending.catch(() => null))?.close();
  }

  /** The session, opened (again, after a drop) when needed. */
  private connect(signal?: AbortSignal): Promise<RealtimeConnection> {
    if (this.closed) return Promise.reject(new SpeechProviderError({ kind: 'cancelled', stage: 'TTS', provider: OPENAI, message: 'TTS: the call has ended', retryable: false }));
    if (!this.connection) {
      const opening = RealtimeConnection.open({
        client: this.options.client,
        target: { model: this.options.model },
        stage: 'TTS',
        timeoutMs: this.options.timeoutMs,
        ...(this.options.tlsCa ? { tlsCa: this.options.tlsCa } : {}),
        ...(this.options.logger ? { logger: this.options.logger } : {}),
        session: {
          type: 'realtime',
          output_modalities: ['audio'],
          instructions: this.options.instructions ?? READ_ALOUD_INSTRUCTIONS,
          audio: { output: { format: this.format, voice: this.options.voice } },
        },
      });
      this.connection = opening;
      opening.then(
        (connection) => connection.onClose(() => this.connection === opening && (this.connection = null)),
        () => this.connection === opening && (this.connection = null),
      );
    }
    const pending = this.connection;
    return signal ? abortable(pending, signal) : pending;
  }

  private async *read(text: string, signal: AbortSignal | undefined, settle: (said: string) => void): AsyncGenerator<Int16Array> {
    let said = '';
    try {
      if (text === '' || text.length > MAX_LINE_CHARS) {
        throw new SpeechProviderError({ kind: 'bad_request', stage: 'TTS', provider: OPENAI, message: `TTS failed (bad_request): the line is ${text === '' ? 'empty' : 'too long'}`, retryable: false });
      }
      if (signal?.aborted) throw cancelledError();
      // One line at a time: this one starts when the one before has all its audio.
      const before = this.previous;
      let release: () => void = () => undefined;
      this.previous = new Promise<void>((resolve) => (release = resolve));
      let settled: Promise<void> = Promise.resolve();
      try {
        await (signal ? abortable(before, signal) : before);
        said = yield* this.readNow(text, signal, (whenSettled) => (settled = whenSettled));
      } finally {
        void settled.then(release);
      }
    } finally {
      settle(said);
    }
  }

  /** One out-of-band response: its audio as it arrives; returns what the model said. */
  private async *readNow(text: string, signal: AbortSignal | undefined, onCancelSent: (settled: Promise<void>) => void): AsyncGenerator<Int16Array, string> {
    const deadline = performance.now() + this.options.timeoutMs;
    const connection = await this.connect(signal);
    const line = `line-${++this.lines}`;
    const chunks: Int16Array[] = [];
    let wake: () => void = () => undefined;
    let finished = false;
    let failure: SpeechProviderError | null = null;
    let transcript: string | null = null;
    let responseId: string | null = null;
    const off = connection.onEvent((event: RealtimeServerEvent) => {
      switch (event.type) {
        case 'response.created':
          if (event.response.metadata?.['line'] === line || responseId === null) responseId = event.response.id ?? null;
          break;
        case 'response.output_audio.delta':
          if (event.response_id === responseId) chunks.push(decodeRealtimeAudio(this.format, event.delta));
          break;
        case 'response.output_audio_transcript.done':
          if (event.response_id === responseId) transcript = event.transcript;
          break;
        case 'response.done':
          if (event.response.id !== responseId) return;
          finished = true;
          if (event.response.status === 'failed' || event.response.status === 'incomplete') {
            const reason = JSON.stringify(event.response.status_details ?? {}).slice(0, 200);
            if (chunks.length === 0) failure ??= new SpeechProviderError({ kind: 'server_error', stage: 'TTS', provider: OPENAI, message: `TTS failed (server_error): the response ended ${event.response.status} ${reason}`, retryable: true });
          }
          break;
        default:
          return;
      }
      wake();
    });
    const offClose = connection.onClose((error) => {
      if (!finished) failure ??= error;
      wake();
    });
    const requestId = connection.send({
      type: 'response.create',
      response: {
        conversation: 'none',
        output_modalities: ['audio'],
        metadata: { line },
        input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }],
      },
    });
    const offError = connection.onEvent((event) => {
      if (event.type === 'error' && event.error.event_id === requestId) {
        failure ??= new SpeechProviderError({ kind: event.error.type === 'server_error' ? 'server_error' : 'bad_request', stage: 'TTS', provider: OPENAI, message: `TTS failed: ${event.error.message.slice(0, 200)}`, retryable: event.error.type === 'server_error' });
        wake();
      }
    });
    let received = 0;
    let completed = false;
    try {
      for (;;) {
        while (chunks.length > 0) {
          received += 1;
          yield chunks.shift()!;
        }
        if (failure) throw failure;
        if (finished) break;
        if (signal?.aborted) throw cancelledError();
        // The first audio must come within the time limit; after that the stream is paced by the model.
        const waitMs = received === 0 ? deadline - performance.now() : undefined;
        if (waitMs !== undefined && waitMs <= 0) {
          throw new SpeechProviderError({ kind: 'timeout', stage: 'TTS', provider: OPENAI, message: `TTS failed (timeout): no audio within ${this.options.timeoutMs} ms`, retryable: true });
        }
        await nextWake((resolve) => (wake = resolve), waitMs, signal);
      }
      completed = true;
      const said = transcript ?? text;
      return said;
    } finally {
      off();
      offClose();
      offError();
      // Stopped before the end (abort, barge-in, failure): the model stops talking at once.
      if (!completed && !finished && connection.isOpen) {
        const cancelled = responseId;
        try {
          // The next line may start only once this response is over (one active response per session).
          onCancelSent(
            connection
              .next((event) => event.type === 'response.done' && (cancelled === null || event.response.id === cancelled), { timeoutMs: CANCEL_SETTLE_MS })
              .then(
                () => undefined,
                () => undefined,
              ),
          );
          connection.send(cancelled ? { type: 'response.cancel', response_id: cancelled } : { type: 'response.cancel' });
        } catch {
          // the session is gone anyway
        }
      }
    }
  }
}

function cancelledError(): SpeechProviderError {
  return new SpeechProviderError({ kind: 'cancelled', stage: 'TTS', provider: OPENAI, message: 'TTS cancelled', retryable: false });
}

/** `promise`, or a cancellation as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(cancelledError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Waits for the next wake-up, at most `timeoutMs`, or until `signal` aborts. */
function nextWake(arm: (resolve: () => void) => void, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    arm(done);
    if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
    signal?.addEventListener('abort', done, { once: true });
  });
}
