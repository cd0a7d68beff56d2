export interface TextToSpeechCapabilities {
  /** Audio arrives while it is synthesised (playback starts at the first chunk). */
  streaming: boolean;
  /** Rate of the PCM16 mono the implementation yields. */
  sampleRate: number;
}

export interface SynthesizeOptions {
  /** Aborts the synthesis and its stream (barge-in, hang-up, deadline). */
  signal?: AbortSignal;
}

/** Text-to-speech of the operator's lines. Failures throw `SpeechProviderError`. */
export interface TextToSpeech {
  readonly provider: string;
  readonly model: string;
  readonly voice: string;
  readonly capabilities: TextToSpeechCapabilities;
  /** PCM16 mono at `capabilities.sampleRate`, chunk by chunk. */
  synthesize(text: string, options?: SynthesizeOptions): AsyncIterable<Int16Array>;
}
