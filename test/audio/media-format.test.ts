import { decodeFrame, encodeFrame, frameBytes, MediaFormatSchema, parseMediaFormat } from '../../src/audio/media-format';
import { tone } from './signals';

describe('media format', () => {
  it.each([
    ['PCMU', undefined, { encoding: 'mulaw', sampleRate: 8000 }],
    ['ULAW', 8000, { encoding: 'mulaw', sampleRate: 8000 }],
    ['audio/x-mulaw', undefined, { encoding: 'mulaw', sampleRate: 8000 }],
    ['audio/x-mulaw;rate=8000', undefined, { encoding: 'mulaw', sampleRate: 8000 }],
    ['g711_ulaw', undefined, { encoding: 'mulaw', sampleRate: 8000 }],
    ['PCMA', undefined, { encoding: 'alaw', sampleRate: 8000 }],
    ['ALAW', undefined, { encoding: 'alaw', sampleRate: 8000 }],
    ['g711_alaw', undefined, { encoding: 'alaw', sampleRate: 8000 }],
    ['PCM16', 16000, { encoding: 'pcm16', sampleRate: 16000 }],
    ['pcm16', 8000, { encoding: 'pcm16', sampleRate: 8000 }],
    ['audio/l16; rate=16000', undefined, { encoding: 'pcm16', sampleRate: 16000 }],
    ['audio/L16;rate=8000', 16000, { encoding: 'pcm16', sampleRate: 8000 }],
    ['LINEAR16', 16000, { encoding: 'pcm16', sampleRate: 16000 }],
    ['slin16', undefined, { encoding: 'pcm16', sampleRate: 16000 }],
    [' s16le ', 16000, { encoding: 'pcm16', sampleRate: 16000 }],
  ] as const)('parses %j (rate %j)', (name, rate, expected) => {
    expect(parseMediaFormat(name, rate)).toEqual(expected);
  });

  it('rejects unknown encodings, unsupported rates and G.711 at 16 kHz', () => {
    expect(() => parseMediaFormat('opus', 48000)).toThrow(/unknown audio encoding/);
    expect(() => parseMediaFormat('PCM16', 24000)).toThrow(/unsupported media format/);
    expect(() => parseMediaFormat('PCMU', 16000)).toThrow(/unsupported media format/);
    expect(MediaFormatSchema.safeParse({ encoding: 'alaw', sampleRate: 16000 }).success).toBe(false);
    expect(MediaFormatSchema.safeParse({ encoding: 'pcm16', sampleRate: 16000 }).success).toBe(true);
  });

  it('sizes frames', () => {
    expect(frameBytes({ encoding: 'mulaw', sampleRate: 8000 })).toBe(160);
    expect(frameBytes({ encoding: 'pcm16', sampleRate: 16000 })).toBe(640);
    expect(frameBytes({ encoding: 'pcm16', sampleRate: 8000 }, 30)).toBe(480);
  });

  it.each([
    [{ encoding: 'mulaw', sampleRate: 8000 }, 160, 400],
    [{ encoding: 'alaw', sampleRate: 8000 }, 160, 400],
    [{ encoding: 'pcm16', sampleRate: 16000 }, 640, 0],
  ] as const)('encodes and decodes a frame of %j', (format, bytes, maxError) => {
    const pcm = tone(440, format.sampleRate, 20, 0.4);
    const payload = encodeFrame(format, pcm);
    expect(payload).toHaveLength(bytes);
    const back = decodeFrame(format, payload);
    expect(back).toHaveLength(pcm.length);
    let worst = 0;
    for (let i = 0; i < pcm.length; i++) worst = Math.max(worst, Math.abs((back[i] as number) - (pcm[i] as number)));
    expect(worst).toBeLessThanOrEqual(maxError);
  });
});
