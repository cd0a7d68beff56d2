import type OpenAI from 'openai';
import type { RealtimeAudioFormats } from 'openai/resources/realtime/realtime';
import type { Logger } from '../../../logging/logger';
import { SpeechProviderError } from '../../provider-error';
import type { SpeechCall } from '../../speech-call';
import type { SpokenAudio, SynthesizeOptions, TextToSpeech, TextToSpeechSession } from '../../text-to-speech';
import { OPENAI } from '../openai-errors';
import { realtimeFormatFor, REALTIME_PCM_RATE, sampleRateOf } from './realtime-audio';
import { RealtimeConnection } from './realtime-connection';
import { RealtimeSessionHolder } from './realtime-session-holder';
import { abortable, cancelledError, ResponseQueue, streamResponse, type ResponseOutcome } from './realtime-response';

/** What the model is told for every line: read the given text, exactly, and nothing else. */
export const READ_ALOUD_INSTRUCTIONS =
  'Ты голос оператора колл-центра. Прочитай вслух текст пользователя дословно, по-русски, спокойным дружелюбным тоном. ' +
  'Не отвечай на него, ничего не добавляй и не пропускай, не меняй ни одного слова.';

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
  private readonly holder: RealtimeSessionHolder;
  private readonly responses = new ResponseQueue();

  constructor(
    private readonly options: OpenAIRealtimeTextToSpeechOptions,
    call: SpeechCall | undefined,
    openNow: boolean,
  ) {
    this.format = realtimeFormatFor(call?.line);
    this.holder = new RealtimeSessionHolder('TTS', (signal) =>
      RealtimeConnection.open({
        client: options.client,
        target: { model: options.model },
        stage: 'TTS',
        timeoutMs: options.timeoutMs,
        signal,
        ...(options.tlsCa ? { tlsCa: options.tlsCa } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        session: {
          type: 'realtime',
          output_modalities: ['audio'],
          instructions: options.instructions ?? READ_ALOUD_INSTRUCTIONS,
          audio: { output: { format: this.format, voice: options.voice } },
        },
      }),
    );
    // Opened at the answer, so the greeting does not wait for the handshake.
    if (openNow) this.holder.connect().catch(() => undefined);
  }

  speak(text: string, options: SynthesizeOptions = {}): SpokenAudio {
    let settle: (said: string) => void = () => undefined;
    const spokenText = new Promise<string>((resolve) => (settle = resolve));
    return { audio: this.read(text.trim(), options.signal, settle), sampleRate: sampleRateOf(this.format), spokenText };
  }

  async close(): Promise<void> {
    this.holder.close();
    await Promise.resolve();
  }

  private async *read(text: string, signal: AbortSignal | undefined, settle: (said: string) => void): AsyncGenerator<Int16Array> {
    let said = '';
    try {
      if (text === '' || text.length > MAX_LINE_CHARS) {
        throw new SpeechProviderError({ kind: 'bad_request', stage: 'TTS', provider: OPENAI, message: `TTS failed (bad_request): the line is ${text === '' ? 'empty' : 'too long'}`, retryable: false });
      }
      if (signal?.aborted) throw cancelledError('TTS');
      const outcome = yield* this.responses.run('TTS', signal, (onOver) => this.readOnce(text, signal, onOver));
      said = outcome.transcript ?? text;
    } finally {
      settle(said);
    }
  }

  /** One out-of-band response reading `text`: the line is read, it does not enter a conversation. */
  private async *readOnce(text: string, signal: AbortSignal | undefined, onOver: (settled: Promise<void>) => void): AsyncGenerator<Int16Array, ResponseOutcome> {
    const connection = await (signal ? abortable(this.holder.connect(), signal, 'TTS') : this.holder.connect());
    return yield* streamResponse(connection, {
      stage: 'TTS',
      format: this.format,
      timeoutMs: this.options.timeoutMs,
      signal,
      onOver,
      response: { conversation: 'none', output_modalities: ['audio'], input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }] },
    });
  }
}
