import { alaw as refAlaw, mulaw as refMulaw } from 'alawmulaw';
import {
  alawDecode,
  alawDecodeSample,
  alawEncode,
  alawEncodeSample,
  mulawDecode,
  mulawDecodeSample,
  mulawEncode,
  mulawEncodeSample,
} from '../../src/audio/g711';
import { dbfs } from '../../src/audio/pcm';
import { tone } from './signals';

const ALL_SAMPLES = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);

describe('G.711', () => {
  it('decodes the code values of the ITU tables (16-bit scale)', () => {
    expect(mulawDecodeSample(0xff)).toBe(0);
    expect(mulawDecodeSample(0x7f)).toBe(0); // "negative zero"
    expect(mulawDecodeSample(0xfe)).toBe(8);
    expect(mulawDecodeSample(0x80)).toBe(32124);
    expect(mulawDecodeSample(0x00)).toBe(-32124);
    expect(alawDecodeSample(0xd5)).toBe(8);
    expect(alawDecodeSample(0x55)).toBe(-8);
    expect(alawDecodeSample(0xaa)).toBe(32256);
    expect(alawDecodeSample(0x2a)).toBe(-32256);
  });

  it('encodes silence and full scale to the reference codes', () => {
    expect(mulawEncodeSample(0)).toBe(0xff);
    expect(alawEncodeSample(0)).toBe(0xd5);
    expect(mulawEncodeSample(32767)).toBe(0x80);
    expect(mulawEncodeSample(-32768)).toBe(0x00);
    expect(alawEncodeSample(32767)).toBe(0xaa);
    expect(alawEncodeSample(-32768)).toBe(0x2a);
  });

  it('decodes all 256 codes exactly like an independent implementation (alawmulaw)', () => {
    expect(mulawDecode(ALL_CODES)).toEqual(refMulaw.decode(ALL_CODES));
    expect(alawDecode(ALL_CODES)).toEqual(refAlaw.decode(ALL_CODES));
  });

  it.each([
    ['mu-law', mulawEncode, mulawDecode, refMulaw],
    ['A-law', alawEncode, alawDecode, refAlaw],
  ] as const)('%s encoding agrees with alawmulaw except on exact negative decision levels (G.191 rounds by one\'s complement there)', (_, encode, decode, ref) => {
    const ours = encode(ALL_SAMPLES);
    const theirs = ref.encode(ALL_SAMPLES);
    const differing: number[] = [];
    for (let i = 0; i < ALL_SAMPLES.length; i++) if (ours[i] !== theirs[i]) differing.push(i);
    expect(differing.length).toBeLessThanOrEqual(127);
    for (const i of differing) {
      const x = ALL_SAMPLES[i] as number;
      expect(x).toBeLessThan(0);
      // Both choices are the two levels either side of x: decoded values bracket it.
      const a = decode(Uint8Array.of(ours[i] as number))[0] as number;
      const b = decode(Uint8Array.of(theirs[i] as number))[0] as number;
      expect(Math.min(a, b)).toBeLessThanOrEqual(x);
      expect(Math.max(a, b)).toBeGreaterThanOrEqual(x);
    }
  });

  it('round-trips every 16-bit sample within half a quantisation step', () => {
    const mu = mulawDecode(mulawEncode(ALL_SAMPLES));
    const a = alawDecode(alawEncode(ALL_SAMPLES));
    for (let i = 0; i < ALL_SAMPLES.length; i++) {
      const x = ALL_SAMPLES[i] as number;
      const mag = Math.abs(x);
      // Step sizes double per segment; beyond the top decision level the codecs clip.
      const muBound = mag <= 32124 ? (mag + 132) / 32 + 1 : mag - 32124 + 1;
      const aBound = mag <= 32256 ? Math.max(16, mag / 32) : mag - 32256 + 1;
      if (Math.abs((mu[i] as number) - x) > muBound) throw new Error(`mu-law error at ${x}: ${mu[i]}`);
      if (Math.abs((a[i] as number) - x) > aBound) throw new Error(`A-law error at ${x}: ${a[i]}`);
    }
  });

  it('keeps a speech-level tone at ~38 dB signal-to-quantisation-noise', () => {
    const x = tone(1000, 8000, 200, 0.3);
    for (const [encode, decode] of [[mulawEncode, mulawDecode], [alawEncode, alawDecode]] as const) {
      const y = decode(encode(x));
      const noise = Int16Array.from(x, (v, i) => v - (y[i] as number));
      expect(dbfs(x) - dbfs(noise)).toBeGreaterThan(35);
    }
  });

  it('encodes one byte per sample (160 bytes per 20 ms at 8 kHz)', () => {
    expect(mulawEncode(new Int16Array(160))).toHaveLength(160);
    expect([...alawEncode(new Int16Array(3))]).toEqual([0xd5, 0xd5, 0xd5]);
  });
});
