import type { RealtimeAudioFormats } from 'openai/resources/realtime/realtime';
import { alawDecode, mulawDecode } from '../../../audio/g711';
import { pcm16FromBuffer } from '../../../audio/pcm';
import type { LineAudioFormat } from '../../speech-call';

/** The Realtime API's PCM rate (its only one). */
export const REALTIME_PCM_RATE = 24_000;

/**
 * The Realtime format for a call's line: G.711 lines get `audio/pcmu` / `audio/pcma` both ways, so
 * nothing is resampled on either side; any other line (or none) gets PCM at 24 kHz.
 */
export function realtimeFormatFor(line: LineAudioFormat | undefined): RealtimeAudioFormats {
  if (line?.encoding === 'mulaw') return { type: 'audio/pcmu' };
  if (line?.encoding === 'alaw') return { type: 'audio/pcma' };
  return { type: 'audio/pcm', rate: REALTIME_PCM_RATE };
}

/** Samples per second of a Realtime format's decoded audio. */
export function sampleRateOf(format: RealtimeAudioFormats): number {
  return format.type === 'audio/pcm' ? REALTIME_PCM_RATE : 8000;
}

/** One base64 audio delta as PCM16 mono at `sampleRateOf(format)`. */
export function decodeRealtimeAudio(format: RealtimeAudioFormats, base64: string): Int16Array {
  const bytes = Buffer.from(base64, 'base64');
  if (format.type === 'audio/pcmu') return mulawDecode(bytes);
  if (format.type === 'audio/pcma') return alawDecode(bytes);
  return pcm16FromBuffer(bytes);
}
