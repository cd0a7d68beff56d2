import type { MediaFormat } from '../audio/media-format';

/** The audio format of a call's line (G.711 at 8 kHz, or linear PCM). */
export type LineAudioFormat = MediaFormat;

/** The call a provider session serves (one session per call, opened when its media starts). */
export interface SpeechCall {
  callId: string;
  /** The line's format: a provider that can produce or take it natively skips resampling. */
  line?: LineAudioFormat;
}
