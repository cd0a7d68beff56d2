/** Synthetic test signals. */

export function tone(freqHz: number, sampleRate: number, ms: number, amplitude = 0.5): Int16Array {
  const n = Math.round((sampleRate * ms) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * freqHz * i) / sampleRate));
  return out;
}

/** Deterministic pseudo-random generator (mulberry32), so noise tests are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform white noise with the given peak amplitude (int16 units). */
export function whiteNoise(sampleRate: number, ms: number, peak: number, seed = 1): Int16Array {
  const rand = seededRandom(seed);
  const out = new Int16Array(Math.round((sampleRate * ms) / 1000));
  for (let i = 0; i < out.length; i++) out[i] = Math.round((rand() * 2 - 1) * peak);
  return out;
}

export function splitInto(pcm: Int16Array, sizes: readonly number[]): Int16Array[] {
  const chunks: Int16Array[] = [];
  for (let offset = 0, k = 0; offset < pcm.length; k++) {
    const size = sizes[k % sizes.length] ?? 1;
    chunks.push(pcm.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}
