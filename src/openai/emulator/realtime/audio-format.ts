import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../../audio/g711';
import { pcm16FromBuffer, pcm16ToBuffer } from '../../../audio/pcm';
import { resampleLinear } from '../speech/resample';

/**
 * The three audio formats of OpenAI's GA Realtime API: raw PCM16 little-endian mono at 24 kHz, and
 * G.711 mu-law / A-law at 8 kHz (one byte per sample), as carried on a phone line.
 */

export const REALTIME_PCM_RATE = 24000;
export const G711_RATE = 8000;

export type RealtimeAudioFormat = { type: 'audio/pcm'; rate: typeof REALTIME_PCM_RATE } | { type: 'audio/pcmu' } | { type: 'audio/pcma' };

export const DEFAULT_AUDIO_FORMAT: RealtimeAudioFormat = { type: 'audio/pcm', rate: REALTIME_PCM_RATE };

export function sampleRateOf(format: RealtimeAudioFormat): number {
  return format.type === 'audio/pcm' ? REALTIME_PCM_RATE : G711_RATE;
}

export function bytesPerSample(format: RealtimeAudioFormat): number {
  return format.type === 'audio/pcm' ? 2 : 1;
}

/** Wire bytes -> 16-bit samples at the format's own rate (an odd trailing PCM byte is dropped). */
export function decodeAudio(bytes: Uint8Array, format: RealtimeAudioFormat): Int16Array {
  switch (format.type) {
    case 'audio/pcm':
      return pcm16FromBuffer(bytes);
    case 'audio/pcmu':
      return mulawDecode(bytes);
    case 'audio/pcma':
      return alawDecode(bytes);
  }
}

/** 16-bit samples at `fromRate` -> wire bytes of the format (resampled to its rate, then encoded). */
export function encodeAudio(samples: Int16Array, fromRate: number, format: RealtimeAudioFormat): Buffer {
  const atRate = resampleLinear(samples, fromRate, sampleRateOf(format));
  switch (format.type) {
    case 'audio/pcm':
      return pcm16ToBuffer(atRate);
    case 'audio/pcmu':
      return mulawEncode(atRate);
    case 'audio/pcma':
      return alawEncode(atRate);
  }
}

/** Milliseconds of audio in `bytes` wire bytes of the format. */
export function audioMs(bytes: number, format: RealtimeAudioFormat): number {
  return (bytes / bytesPerSample(format) / sampleRateOf(format)) * 1000;
}

/** Whole samples in `ms` of audio (at least one), times the bytes per sample. */
export function chunkBytes(ms: number, format: RealtimeAudioFormat): number {
  return Math.max(1, Math.round((ms * sampleRateOf(format)) / 1000)) * bytesPerSample(format);
}
