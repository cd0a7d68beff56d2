import type OpenAI from 'openai';
import { encodeWav } from '../../audio/wav';
import { transcribeUtterance } from '../../openai/speech-to-text';
import type { PhraseAudio, PhraseTranscript, SpeechToText, TranscribeOptions } from '../speech-to-text';
import { fromOpenAIError, OPENAI } from './openai-errors';

export interface OpenAISpeechToTextOptions {
  client: OpenAI;
  /** e.g. gpt-4o-mini-transcribe, whisper-1. */
  model: string;
  /** Spec 6.1: at most 10 s for one phrase. */
  timeoutMs: number;
}

/** `/v1/audio/transcriptions` with the phrase as an in-memory WAV file (any rate; 8 kHz phone audio is fine). */
export class OpenAISpeechToText implements SpeechToText {
  readonly provider = OPENAI;
  readonly model: string;
  readonly capabilities = { streaming: false, sampleRates: [8000, 16000, 24000, 48000], languages: ['ru'] } as const;

  constructor(private readonly options: OpenAISpeechToTextOptions) {
    this.model = options.model;
  }

  async transcribe(audio: PhraseAudio, options: TranscribeOptions): Promise<PhraseTranscript> {
    try {
      return await transcribeUtterance(this.options.client, {
        model: this.model,
        wav: encodeWav(audio.pcm, audio.sampleRate),
        language: options.language,
        timeoutMs: Math.min(this.options.timeoutMs, 10_000),
        maxRetries: 0, // retries are Temporal's (README "Retries")
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.prompt ? { prompt: options.prompt } : {}),
      });
    } catch (err) {
      throw fromOpenAIError('STT', err);
    }
  }
}
