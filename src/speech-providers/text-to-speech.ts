import type { SpeechCall } from './speech-call';

export interface TextToSpeechCapabilities {
  /** Audio arrives while it is synthesised (playback starts at the first chunk). */
  streaming: boolean;
  /** Rate of the PCM16 mono `synthesize` yields (a session's audio states its own rate). */
  sampleRate: number;
  /**
   * A model reads the text aloud and may not say it word for word (a Realtime model): each speech
   * reports what was actually said (`SpokenAudio.spokenText`).
   */
  readsAloud: boolean;
}

export interface SynthesizeOptions {
  /** Aborts the synthesis and its stream (barge-in, hang-up, deadline). */
  signal?: AbortSignal;
}

/** One line's speech on a call. */
export interface SpokenAudio {
  /** PCM16 mono at `sampleRate`, chunk by chunk. Failures throw `SpeechProviderError` while it is read. */
  audio: AsyncIterable<Int16Array>;
  sampleRate: number;
  /**
   * The words actually spoken, once the audio is complete: what the provider reports it said
   * (`readsAloud`), else the text itself. Never rejects; '' when the speech failed or was cut.
   */
  spokenText: Promise<string>;
}

/** The voice of one call: one provider session from the answer to the hang-up, where the provider has sessions. */
export interface TextToSpeechSession {
  speak(text: string, options?: SynthesizeOptions): SpokenAudio;
  close(): Promise<void>;
}

/** Text-to-speech of the operator's lines. Failures throw `SpeechProviderError`. */
export interface TextToSpeech {
  readonly provider: string;
  readonly model: string;
  readonly voice: string;
  readonly capabilities: TextToSpeechCapabilities;
  /** One line without a call (cached phrases): PCM16 mono at `capabilities.sampleRate`, chunk by chunk. */
  synthesize(text: string, options?: SynthesizeOptions): AsyncIterable<Int16Array>;
  /** The voice of one call, in the line's format where the provider can produce it. */
  openSession(call: SpeechCall): TextToSpeechSession;
}

/** A session for providers without one: each line is a `synthesize`, and says exactly its text. */
export function statelessSession(tts: Pick<TextToSpeech, 'synthesize' | 'capabilities'>): TextToSpeechSession {
  return {
    speak: (text, options = {}) => {
      let settle: (text: string) => void = () => undefined;
      const spokenText = new Promise<string>((resolve) => (settle = resolve));
      async function* audio(): AsyncIterable<Int16Array> {
        let complete = false;
        try {
          yield* tts.synthesize(text, options);
          complete = true;
        } finally {
          settle(complete ? text.trim() : '');
        }
      }
      return { audio: audio(), sampleRate: tts.capabilities.sampleRate, spokenText };
    },
    close: async () => undefined,
  };
}

/** Words compared loosely: case, ё/е and punctuation do not count. */
export function normalizedWords(text: string): string {
  return text
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Whether a read-back said the text's words (case, ё and punctuation aside). */
export function saidAsWritten(text: string, spoken: string): boolean {
  return normalizedWords(text) === normalizedWords(spoken);
}
