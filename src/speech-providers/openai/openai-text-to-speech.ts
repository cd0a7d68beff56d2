import type OpenAI from 'openai';
import { streamSpeech, TTS_SAMPLE_RATE } from '../../openai/text-to-speech';
import type { SpeechCall } from '../speech-call';
import { statelessSession, type SynthesizeOptions, type TextToSpeech, type TextToSpeechSession } from '../text-to-speech';
import { fromOpenAIError, OPENAI } from './openai-errors';

export interface OpenAITextToSpeechOptions {
  client: OpenAI;
  /** e.g. gpt-4o-mini-tts. */
  model: string;
  voice: string;
  instructions?: string;
  timeoutMs: number;
}

/**
 * `/v1/audio/speech` as raw 24 kHz PCM, streamed as it is synthesised. OpenAI's models of this
 * endpoint shut down on 2027-01-06 (README "OpenAI models"); it stays for OpenAI-compatible servers.
 */
export class OpenAITextToSpeech implements TextToSpeech {
  readonly provider = OPENAI;
  readonly model: string;
  readonly voice: string;
  readonly capabilities = { streaming: true, sampleRate: TTS_SAMPLE_RATE, readsAloud: false } as const;

  constructor(private readonly options: OpenAITextToSpeechOptions) {
    this.model = options.model;
    this.voice = options.voice;
  }

  async *synthesize(text: string, options: SynthesizeOptions = {}): AsyncIterable<Int16Array> {
    try {
      yield* streamSpeech(this.options.client, {
        model: this.model,
        voice: this.voice,
        text,
        timeoutMs: this.options.timeoutMs,
        maxRetries: 0, // retries are Temporal's (README "Retries")
        ...(this.options.instructions ? { instructions: this.options.instructions } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (err) {
      throw fromOpenAIError('TTS', err);
    }
  }

  /** No session on this endpoint: every line is its own request. */
  openSession(_call: SpeechCall): TextToSpeechSession {
    return statelessSession(this);
  }
}
