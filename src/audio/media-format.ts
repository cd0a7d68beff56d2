import { z } from 'zod';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from './g711';
import { pcm16FromBuffer, pcm16ToBuffer } from './pcm';

/** Audio on the call leg: G.711 (8 kHz only) or 16-bit little-endian linear PCM, mono. */
export const MediaFormatSchema = z
  .object({
    encoding: z.enum(['mulaw', 'alaw', 'pcm16']),
    sampleRate: z.union([z.literal(8000), z.literal(16000)]),
  })
  .refine((f) => f.encoding === 'pcm16' || f.sampleRate === 8000, { message: 'G.711 is 8000 Hz only' });

export type MediaFormat = z.infer<typeof MediaFormatSchema>;
export type MediaEncoding = MediaFormat['encoding'];

// Names seen across providers (Twilio, Voximplant, Asterisk, SDP, OpenAI realtime, Google STT...), compared
// after lower-casing and dropping everything but letters and digits.
const ENCODING_ALIASES: Record<string, MediaEncoding> = {
  mulaw: 'mulaw', ulaw: 'mulaw', pcmu: 'mulaw', g711ulaw: 'mulaw', g711u: 'mulaw', g711mulaw: 'mulaw', xmulaw: 'mulaw', audioxmulaw: 'mulaw', audiobasic: 'mulaw', audiopcmu: 'mulaw',
  alaw: 'alaw', pcma: 'alaw', g711alaw: 'alaw', g711a: 'alaw', xalaw: 'alaw', audioxalaw: 'alaw', audiopcma: 'alaw',
  pcm16: 'pcm16', pcm: 'pcm16', l16: 'pcm16', audiol16: 'pcm16', linear16: 'pcm16', lpcm: 'pcm16', s16le: 'pcm16', pcms16le: 'pcm16', slin: 'pcm16', slin16: 'pcm16', audiopcm: 'pcm16',
};

/** Rates implied by the name itself (Asterisk's slin / slin16); otherwise the caller's rate or 8000. */
const IMPLIED_RATE: Record<string, 8000 | 16000> = { slin: 8000, slin16: 16000 };

/**
 * Tolerant parser of a provider's encoding name (`PCMU`, `audio/x-mulaw;rate=8000`, `g711_alaw`, `audio/L16;rate=16000`,
 * `linear16`...) plus an optional sample rate into a MediaFormat. A `rate=` parameter in the name wins over
 * `sampleRate`. Throws on unknown names and unsupported rates.
 */
export function parseMediaFormat(encodingName: string, sampleRate?: number): MediaFormat {
  const [base = '', ...params] = encodingName.trim().split(';');
  const key = base.toLowerCase().replace(/[^a-z0-9]/g, '');
  const encoding = ENCODING_ALIASES[key];
  if (!encoding) throw new Error(`unknown audio encoding: ${JSON.stringify(encodingName)}`);
  const rateParam = params.map((p) => /^\s*rate\s*=\s*(\d+)\s*$/i.exec(p)?.[1]).find((r) => r !== undefined);
  const rate = rateParam !== undefined ? Number(rateParam) : (IMPLIED_RATE[key] ?? sampleRate ?? 8000);
  const parsed = MediaFormatSchema.safeParse({ encoding, sampleRate: rate });
  if (!parsed.success) throw new Error(`unsupported media format ${JSON.stringify(encodingName)} at ${rate} Hz`);
  return parsed.data;
}

export function bytesPerSample(format: MediaFormat): number {
  return format.encoding === 'pcm16' ? 2 : 1;
}

export function frameSamples(format: MediaFormat, ms = 20): number {
  return Math.round((format.sampleRate * ms) / 1000);
}

/** Payload size of one frame: 160 bytes for 20 ms of G.711, 640 for 20 ms of 16 kHz PCM16. */
export function frameBytes(format: MediaFormat, ms = 20): number {
  return frameSamples(format, ms) * bytesPerSample(format);
}

export function decodeFrame(format: MediaFormat, payload: Uint8Array): Int16Array {
  switch (format.encoding) {
    case 'mulaw':
      return mulawDecode(payload);
    case 'alaw':
      return alawDecode(payload);
    case 'pcm16':
      return pcm16FromBuffer(payload);
  }
}

export function encodeFrame(format: MediaFormat, pcm: Int16Array): Buffer {
  switch (format.encoding) {
    case 'mulaw':
      return mulawEncode(pcm);
    case 'alaw':
      return alawEncode(pcm);
    case 'pcm16':
      return pcm16ToBuffer(pcm);
  }
}
