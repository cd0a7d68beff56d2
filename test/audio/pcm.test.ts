import { clampToInt16, concatPcm, dbfs, msToSamples, pcm16FromBuffer, pcm16ToBuffer, rms, silence } from '../../src/audio/pcm';
import { tone } from './signals';

describe('pcm helpers', () => {
  it('reads and writes little-endian int16, also from an unaligned Buffer view', () => {
    const bytes = Buffer.from([0xff, 0x01, 0x80, 0x01, 0x00, 0xff, 0x7f, 0x99]);
    const unaligned = bytes.subarray(1); // odd byte offset; the trailing odd byte is ignored
    expect([...pcm16FromBuffer(unaligned)]).toEqual([-32767, 1, 32767]);
    expect([...pcm16ToBuffer(Int16Array.of(-32767, 1, 32767))]).toEqual([0x01, 0x80, 0x01, 0x00, 0xff, 0x7f]);
  });

  it('measures RMS and dBFS', () => {
    expect(rms(Int16Array.of(1000, -1000, 1000, -1000))).toBe(1000);
    expect(dbfs(Int16Array.of(-32768, -32768))).toBeCloseTo(0, 6);
    expect(dbfs(tone(1000, 8000, 1000, 1))).toBeCloseTo(-3.01, 1);
    expect(dbfs(silence(20, 8000))).toBe(-Infinity);
    expect(rms(new Int16Array(0))).toBe(0);
  });

  it('concatenates, makes silence, converts durations and saturates', () => {
    expect([...concatPcm([Int16Array.of(1, 2), new Int16Array(0), Int16Array.of(3)])]).toEqual([1, 2, 3]);
    expect(silence(20, 8000)).toHaveLength(160);
    expect(msToSamples(20, 16000)).toBe(320);
    expect([clampToInt16(40000), clampToInt16(-40000), clampToInt16(1.6)]).toEqual([32767, -32768, 2]);
  });
});
