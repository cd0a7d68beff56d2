/** Int16 PCM helpers. All PCM in this module is mono, signed 16-bit, little-endian on the wire. */

const FULL_SCALE = 32768;

/** Copies little-endian 16-bit samples out of a Buffer (an odd trailing byte is ignored). */
export function pcm16FromBuffer(buf: Uint8Array): Int16Array {
  const samples = new Int16Array(buf.length >> 1);
  const view = new DataView(buf.buffer, buf.byteOffset, samples.length * 2);
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true);
  return samples;
}

/** Writes samples as little-endian 16-bit into a new Buffer (explicit LE, whatever the host). */
export function pcm16ToBuffer(pcm: Int16Array): Buffer {
  const buf = Buffer.allocUnsafe(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) buf.writeInt16LE(pcm[i] ?? 0, i * 2);
  return buf;
}

/** Root mean square on the int16 scale (0 .. 32768). */
export function rms(pcm: Int16Array): number {
  if (pcm.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) {
    const s = pcm[i] ?? 0;
    sum += s * s;
  }
  return Math.sqrt(sum / pcm.length);
}

/** RMS level in dB relative to full scale (a full-scale square wave is 0 dBFS, a full-scale sine ≈ -3 dBFS); -Infinity for digital silence. */
export function dbfs(pcm: Int16Array): number {
  return 20 * Math.log10(rms(pcm) / FULL_SCALE);
}

export function concatPcm(chunks: readonly Int16Array[]): Int16Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Int16Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

export function msToSamples(ms: number, sampleRate: number): number {
  return Math.round((ms * sampleRate) / 1000);
}

export function samplesToMs(samples: number, sampleRate: number): number {
  return (samples * 1000) / sampleRate;
}

/** Digital silence of the given duration. */
export function silence(ms: number, sampleRate: number): Int16Array {
  return new Int16Array(msToSamples(ms, sampleRate));
}

/** Rounds and saturates a float sample to int16 (resampler / mixer output). */
export function clampToInt16(x: number): number {
  const r = Math.round(x);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}
