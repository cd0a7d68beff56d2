import type { SpeechCall } from './speech-call';

/** One phrase of the callee, as PCM16 mono in memory (never a file between processes). */
export interface PhraseAudio {
  pcm: Int16Array;
  sampleRate: number;
  /** The pieces of a call's recognition stream that carried this phrase (`SpeechToTextStream.commit`), in order. */
  streamPieces?: readonly string[];
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
  /** How it was recognised: while the callee talked, as a finished phrase, or as a phrase after the stream failed. */
  recognisedBy?: 'stream' | 'phrase' | 'phrase_after_stream_failure';
}

/**
 * Recognition of one call while the callee talks: their audio goes in as it arrives, and our
 * endpointer says where a phrase (or a part of it, before a pause) ends.
 */
export interface SpeechToTextStream {
  /** A frame of the callee's audio in the line's format (given at `openStream`). */
  append(frame: Uint8Array): void;
  /** Drops what was appended since the last commit (silence after a phrase). */
  discard(): void;
  /** What was appended since the last commit is (part of) a phrase: returns the piece's id. */
  commit(): string;
  /** Drops what was appended since the last commit, then the whole phrase (`frames`) as one piece in place of `replacing`; returns its id. */
  recommit(frames: readonly Uint8Array[], replacing: readonly string[]): string;
  /** The text of the given pieces, joined in order. Failures (the session dropped, no answer in time) throw `SpeechProviderError`. */
  transcript(pieces: readonly string[], options: { signal?: AbortSignal; timeoutMs?: number }): Promise<PhraseTranscript>;
  close(): Promise<void>;
}

/** Speech-to-text of the callee's phrases. Failures throw `SpeechProviderError`. */
export interface SpeechToText {
  readonly provider: string;
  readonly model: string;
  readonly capabilities: SpeechToTextCapabilities;
  transcribe(audio: PhraseAudio, options: TranscribeOptions): Promise<PhraseTranscript>;
  /** Streaming recognition of one call (`capabilities.streaming`). */
  openStream?(call: SpeechCall): SpeechToTextStream;
}
