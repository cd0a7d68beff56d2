import { concatPcm, dbfs } from '../../src/audio/pcm';
import { createResampler } from '../../src/audio/resampler';
import { splitInto, tone } from './signals';

/** Level in dB of `out` relative to `input`, both measured away from the edges (filter warm-up). */
function gainDb(input: Int16Array, out: Int16Array): number {
  const mid = (x: Int16Array) => x.subarray(Math.floor(x.length * 0.2), Math.floor(x.length * 0.8));
  return dbfs(mid(out)) - dbfs(mid(input));
}

function resampleAll(from: number, to: number, pcm: Int16Array): Int16Array {
  const r = createResampler(from, to);
  return concatPcm([r.push(pcm), r.flush()]);
}

/** Keeps every third sample with no filter: what "resampling" without anti-aliasing does. */
function naiveDecimate(pcm: Int16Array, factor: number): Int16Array {
  return pcm.filter((_, i) => i % factor === 0);
}

describe('createResampler', () => {
  it('keeps a 1 kHz tone at its level from 24 kHz to 8 kHz (±1 dB)', () => {
    const input = tone(1000, 24000, 1000);
    expect(Math.abs(gainDb(input, resampleAll(24000, 8000, input)))).toBeLessThan(1);
  });

  it('attenuates a 6 kHz tone (above the 4 kHz Nyquist of 8 kHz) by at least 30 dB; a naive decimator does not', () => {
    const input = tone(6000, 24000, 1000);
    const attenuation = -gainDb(input, resampleAll(24000, 8000, input));
    const naiveAttenuation = -gainDb(input, naiveDecimate(input, 3));
    expect(attenuation).toBeGreaterThanOrEqual(30);
    expect(naiveAttenuation).toBeLessThan(30); // the test would catch a missing anti-aliasing filter
  });

  it('attenuates every tone that would alias (4.5 to 11.5 kHz) by at least 30 dB going 24 kHz -> 8 kHz', () => {
    const report: string[] = [];
    for (const freq of [4500, 5000, 5500, 7000, 9000, 11500]) {
      const input = tone(freq, 24000, 500);
      const attenuation = -gainDb(input, resampleAll(24000, 8000, input));
      report.push(`${freq} Hz: ${Number.isFinite(attenuation) ? `${attenuation.toFixed(0)} dB` : 'below 1 LSB'}`);
      expect(attenuation).toBeGreaterThanOrEqual(30);
    }
    console.log(`24k->8k stopband attenuation: ${report.join(', ')}`);
  });

  it.each([
    [24000, 16000, 1000, 9000],
    [16000, 8000, 1000, 5000],
    [22050, 16000, 1000, 10000],
  ])('%i -> %i: passes %i Hz, rejects %i Hz', (from, to, pass, reject) => {
    const passIn = tone(pass, from, 500);
    const rejectIn = tone(reject, from, 500);
    expect(Math.abs(gainDb(passIn, resampleAll(from, to, passIn)))).toBeLessThan(1);
    expect(-gainDb(rejectIn, resampleAll(from, to, rejectIn))).toBeGreaterThanOrEqual(30);
  });

  it('upsamples 8 kHz to 16 kHz without images: 1 kHz keeps its level, nothing new appears above 4 kHz', () => {
    const input = tone(1000, 8000, 500);
    const out = resampleAll(8000, 16000, input);
    expect(Math.abs(gainDb(input, out))).toBeLessThan(1);
    // The image of 1 kHz would sit at 7 kHz: correlate against it.
    const mid = out.subarray(2000, 6000);
    let re = 0;
    let im = 0;
    for (let i = 0; i < mid.length; i++) {
      re += (mid[i] ?? 0) * Math.cos((2 * Math.PI * 7000 * i) / 16000);
      im += (mid[i] ?? 0) * Math.sin((2 * Math.PI * 7000 * i) / 16000);
    }
    const imageAmplitude = (2 * Math.hypot(re, im)) / mid.length;
    expect(20 * Math.log10(imageAmplitude / (0.5 * 32767))).toBeLessThan(-40);
  });

  it('gives the same output whether fed in one piece or in ragged chunks (state carried across pushes)', () => {
    const input = concatPcm([tone(440, 24000, 300), tone(3000, 24000, 300, 0.3)]);
    const oneShot = resampleAll(24000, 8000, input);
    const r = createResampler(24000, 8000);
    const chunked = concatPcm([...splitInto(input, [480, 7, 1, 333, 960]).map((c) => r.push(c)), r.flush()]);
    expect(chunked.length).toBe(oneShot.length);
    let maxDiff = 0;
    for (let i = 0; i < oneShot.length; i++) maxDiff = Math.max(maxDiff, Math.abs((oneShot[i] ?? 0) - (chunked[i] ?? 0)));
    expect(maxDiff).toBeLessThanOrEqual(1);
  });

  it.each([
    [24000, 8000, 24000, 8000],
    [24000, 8000, 0, 0],
    [24000, 16000, 24001, 16001],
    [8000, 16000, 1234, 2468],
    [16000, 8000, 1235, 618],
  ])('%i -> %i: %i samples in give %i out after flush', (from, to, n, expected) => {
    expect(resampleAll(from, to, new Int16Array(n)).length).toBe(expected);
  });

  it('compensates the filter delay: an impulse stays at the same time position', () => {
    const input = new Int16Array(2400);
    input[1200] = 30000;
    const out = resampleAll(24000, 8000, input);
    const peak = out.indexOf(Math.max(...out));
    expect(Math.abs(peak - 400)).toBeLessThanOrEqual(1);
  });

  it('is reusable after flush and passes same-rate audio through unchanged', () => {
    const r = createResampler(24000, 8000);
    const a = concatPcm([r.push(tone(1000, 24000, 100)), r.flush()]);
    const b = concatPcm([r.push(tone(1000, 24000, 100)), r.flush()]);
    expect(b).toEqual(a);
    const same = createResampler(8000, 8000);
    const x = tone(1000, 8000, 20);
    expect(same.push(x)).toEqual(x);
    expect(() => createResampler(0, 8000)).toThrow(/invalid sample rate/);
  });

  it('benchmark: cost per 20 ms frame (printed, not asserted)', () => {
    const lines: string[] = [];
    for (const [from, to] of [[24000, 8000], [24000, 16000], [8000, 16000], [16000, 8000]] as const) {
      const r = createResampler(from, to);
      const frame = tone(700, from, 20);
      const frames = 2000;
      for (let i = 0; i < 2000; i++) r.push(frame); // warm-up (JIT)
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < frames; i++) r.push(frame);
      const usPerFrame = Number(process.hrtime.bigint() - t0) / 1000 / frames;
      lines.push(`${from}->${to}: ${usPerFrame.toFixed(1)} us per 20 ms frame, latency ${r.latencyMs.toFixed(2)} ms`);
    }
    console.log(`resampler benchmark\n${lines.join('\n')}`);
  });
});
