/** One phrase of the callee, as PCM16 mono in memory (never a file between processes). */
export interface PhraseAudio {
  pcm: Int16Array;
  sampleRate: number;
}

export interface SpeechToTextCapabilities {
  /** Recognises audio while it arrives (a realtime session) rather than one finished phrase. */
  streaming: boolean;
  /** Input rates taken as they are; others are resampled by the caller. */
  sampleRates: readonly number[];
  languages: readonly string[];
}

export interface TranscribeOptions {
  language: 'ru';
  /** Aborts the request (barge-in, hang-up, deadline). */
  signal?: AbortSignal;
  /** Context for the model, e.g. product names. */
  prompt?: string;
}

export interface PhraseTranscript {
  /** What the callee said; '' when it was noise or a known hallucination. */
  text: string;
  /** The provider's text before filtering (for logs). */
  rawText: string;
}

/** Speech-to-text of the callee's phrases. Failures throw `SpeechProviderError`. */
export interface SpeechToText {
  readonly provider: string;
  readonly model: string;
  readonly capabilities: SpeechToTextCapabilities;
  transcribe(audio: PhraseAudio, options: TranscribeOptions): Promise<PhraseTranscript>;
}
