import type { ReplyRequest } from './reply-model';
import type { SpeechCall } from './speech-call';
import type { PhraseAudio, PhraseTranscript } from './speech-to-text';

/** One piece of the operator's spoken answer: its words and their audio, in order. */
export interface SpokenPiece {
  /** The words to say ('' for a speech-to-speech answer, whose words come with its audio: `wordsWhenSpoken`). */
  text: string;
  /** The operator said goodbye in this piece: the call ends after the answer. */
  isGoodbye: boolean;
  /** PCM16 mono at `sampleRate`, streamed as it is produced (starts before the piece is complete). */
  audio: AsyncIterable<Int16Array>;
  sampleRate: number;
  /**
   * The words actually spoken, once the audio is complete: a model reading aloud may not say `text`
   * word for word (the transcript keeps what was said). Never rejects; '' when the audio failed.
   */
  spokenText: Promise<string>;
  /**
   * A speech-to-speech answer (no text before the audio): its words and whether they close the
   * call, once the model has finished saying them. Never rejects.
   */
  wordsWhenSpoken?: Promise<{ text: string; isGoodbye: boolean }>;
  /** Told how much of the audio the callee heard, once its playback is over (a cut answer is truncated to it). */
  onPlayed?(playedMs: number, interrupted: boolean): void;
}

export interface VoiceOperatorCapabilities {
  /** One model hears the callee and speaks the answer (a realtime speech-to-speech session). */
  speechToSpeech: boolean;
  /** The session takes the callee's audio while it arrives (`listen`), not only finished phrases. */
  streamingInput: boolean;
}

/**
 * The operator's voice on one call: what the callee said, and the spoken answer. Two shapes fit
 * behind it: the cascade (`CascadeVoiceOperator`: SpeechToText -> ReplyModel -> TextToSpeech), and
 * a realtime speech-to-speech model (one session per call, the callee's audio in, the answer's audio
 * and text out). The media gateway opens a session when a call's media starts there and closes it
 * when the media stops; the workflow and the activities never know which shape runs.
 */
export interface VoiceOperator {
  readonly name: string;
  readonly capabilities: VoiceOperatorCapabilities;
  openSession(call: SpeechCall): VoiceOperatorSession;
}

/** Where the media gateway puts the callee's audio for a session that listens all along. */
export interface CalleeAudioSink {
  append(frame: Uint8Array): void;
  /** Drops what was appended since the last commit (the silence after a phrase). */
  discard(): void;
  /** The audio since the last commit is (part of) a phrase: returns its id. */
  commit(): string;
  /**
   * The callee went on after a pause: the whole phrase (all its frames, from before its start) as
   * one piece, in place of the pieces it was cut into; returns its id.
   */
  recommit(frames: readonly Uint8Array[], replacing: readonly string[]): string;
}

export interface VoiceOperatorSession {
  /**
   * Takes the callee's audio as it arrives on the line, in the line's format (sessions that
   * recognise while the callee talks). The media gateway appends the audio of speech (from just
   * before its start) and commits where its endpointer ends a phrase, or a part of it at a pause;
   * the commits' ids come back in `PhraseAudio.streamPieces`.
   */
  listen?: CalleeAudioSink;
  /** What the callee said in one phrase ('' for noise). Failures throw `SpeechProviderError`. */
  transcribe(phrase: PhraseAudio, options?: { signal?: AbortSignal }): Promise<PhraseTranscript>;
  /**
   * The operator's answer to the dialog so far, in speakable pieces with their audio: the first as
   * early as it can be said, the rest right behind it. Aborting `request.signal` stops words and
   * audio. A failure before the first piece throws `SpeechProviderError`.
   */
  respond(request: ReplyRequest): AsyncIterable<SpokenPiece>;
  /**
   * A line the operator said outside `respond` (a fixed phrase, maybe from a cache): a session that
   * keeps its own conversation (a realtime model) adds it, so its next answer knows it was said.
   */
  remember?(line: string): void;
  /** A given line word for word (greeting, re-prompt, fallback, goodbye). */
  speak(text: string, options?: { signal?: AbortSignal }): SpokenPiece;
  close(): Promise<void>;
}
