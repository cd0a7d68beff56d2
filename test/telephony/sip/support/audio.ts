/** Tone generation and tone detection for the media tests. */

export function sineWave(freqHz: number, sampleRate: number, ms: number, amplitude = 0.4): Int16Array {
  const n = Math.round((sampleRate * ms) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * freqHz * i) / sampleRate));
  return out;
}

/** Goertzel power of one frequency over the whole block. */
function goertzelPower(samples: Int16Array, sampleRate: number, freqHz: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freqHz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = (samples[i] ?? 0) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

export interface ToneAnalysis {
  /** Strongest frequency between 100 and 3800 Hz, 10 Hz steps. */
  dominantHz: number;
  /** Share of the block's energy at that frequency: ~1 for a clean sine, small for noise or garbage. */
  purity: number;
  rms: number;
}

export function analyseTone(samples: Int16Array, sampleRate: number): ToneAnalysis {
  let energy = 0;
  for (let i = 0; i < samples.length; i++) energy += (samples[i] ?? 0) ** 2;
  let best = { hz: 0, power: 0 };
  for (let hz = 100; hz <= 3800; hz += 10) {
    const power = goertzelPower(samples, sampleRate, hz);
    if (power > best.power) best = { hz, power };
  }
  const purity = energy === 0 ? 0 : (2 * best.power) / (samples.length * energy);
  return { dominantHz: best.hz, purity, rms: Math.sqrt(energy / Math.max(1, samples.length)) };
}

/** Number of 20 ms windows whose RMS is above `threshold` (how long something was audible). */
export function loudWindows(samples: Int16Array, sampleRate: number, threshold: number): number {
  const size = Math.round(sampleRate / 50);
  let count = 0;
  for (let start = 0; start + size <= samples.length; start += size) {
    let sum = 0;
    for (let i = start; i < start + size; i++) sum += (samples[i] ?? 0) ** 2;
    if (Math.sqrt(sum / size) > threshold) count++;
  }
  return count;
}
