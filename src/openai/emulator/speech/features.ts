/**
 * EMULATOR-ONLY acoustic features for phrase matching: MFCC-like cepstra of 8 kHz audio
 * (25 ms frames, 10 ms hop, pre-emphasis, Hamming window, 256-point FFT, 24 mel bands 100-3800 Hz,
 * a spectral floor 50 dB under the loudest band, 13 cepstra incl. a down-weighted c0), leading and
 * trailing silence trimmed, per-utterance cepstral mean removed (which cancels a fixed channel
 * colouring and the overall level).
 */

// Globals read once: inside a vm context (Jest) every global lookup in a hot loop is slow.
const { sqrt, log, max } = Math;

export const FEATURE_RATE = 8000;
const FRAME = 200;
const HOP = 80;
const FFT_SIZE = 256;
const MEL_BANDS = 24;
const CEPSTRA = 13;
const MEL_LOW_HZ = 100;
const MEL_HIGH_HZ = 3800;
/** Frames quieter than this (int16 RMS, about -50 dBFS) are never speech. */
const ABSOLUTE_FLOOR_RMS = 100;
/** Frames more than this many dB below the loudest frame are trimmed at the edges. */
const RELATIVE_FLOOR_DB = 35;
/** Band energies more than this many dB below the loudest band of the utterance are raised to that floor. */
const SPECTRAL_FLOOR_DB = 50;
/** c0 (log energy) carries level, not phonetics: it is down-weighted. */
const C0_WEIGHT = 0.5;

export interface FeatureSequence {
  /** frames x CEPSTRA, row-major. */
  data: Float32Array;
  frames: number;
  dims: number;
  /** Frames that were above the speech floors (before trimming, anywhere in the audio). */
  voicedFrames: number;
  /** Loudest frame, int16 RMS. */
  peakRms: number;
}

// ---- FFT (iterative radix-2, real input via a complex transform) ----
const bitReverse = new Uint16Array(FFT_SIZE);
const cosTable = new Float64Array(FFT_SIZE / 2);
const sinTable = new Float64Array(FFT_SIZE / 2);
(() => {
  const bits = Math.log2(FFT_SIZE);
  for (let i = 0; i < FFT_SIZE; i += 1) {
    let r = 0;
    for (let b = 0; b < bits; b += 1) r |= ((i >> b) & 1) << (bits - 1 - b);
    bitReverse[i] = r;
  }
  for (let i = 0; i < FFT_SIZE / 2; i += 1) {
    cosTable[i] = Math.cos((2 * Math.PI * i) / FFT_SIZE);
    sinTable[i] = -Math.sin((2 * Math.PI * i) / FFT_SIZE);
  }
})();

/** In-place FFT of (re, im), both FFT_SIZE long. */
function fft(re: Float64Array, im: Float64Array): void {
  for (let i = 0; i < FFT_SIZE; i += 1) {
    const j = bitReverse[i]!;
    if (j > i) {
      const tr = re[i]!;
      re[i] = re[j]!;
      re[j] = tr;
      const ti = im[i]!;
      im[i] = im[j]!;
      im[j] = ti;
    }
  }
  for (let size = 2; size <= FFT_SIZE; size *= 2) {
    const half = size / 2;
    const step = FFT_SIZE / size;
    for (let start = 0; start < FFT_SIZE; start += size) {
      for (let k = 0; k < half; k += 1) {
        const wr = cosTable[k * step]!;
        const wi = sinTable[k * step]!;
        const a = start + k;
        const b = a + half;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

// ---- mel filterbank, window, DCT ----
const hzToMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number) => 700 * (10 ** (mel / 2595) - 1);

const BINS = FFT_SIZE / 2 + 1;
const melFilters: Float64Array[] = (() => {
  const low = hzToMel(MEL_LOW_HZ);
  const high = hzToMel(MEL_HIGH_HZ);
  const edges = Array.from({ length: MEL_BANDS + 2 }, (_, i) => (melToHz(low + ((high - low) * i) / (MEL_BANDS + 1)) * FFT_SIZE) / FEATURE_RATE);
  return Array.from({ length: MEL_BANDS }, (_, band) => {
    const filter = new Float64Array(BINS);
    const left = edges[band]!;
    const centre = edges[band + 1]!;
    const right = edges[band + 2]!;
    for (let bin = 0; bin < BINS; bin += 1) {
      if (bin > left && bin <= centre) filter[bin] = (bin - left) / (centre - left);
      else if (bin > centre && bin < right) filter[bin] = (right - bin) / (right - centre);
    }
    return filter;
  });
})();

const hamming = Float64Array.from({ length: FRAME }, (_, n) => 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (FRAME - 1)));

const dct: Float64Array[] = Array.from({ length: CEPSTRA }, (_, k) =>
  Float64Array.from({ length: MEL_BANDS }, (__, n) => Math.cos((Math.PI * k * (n + 0.5)) / MEL_BANDS) * Math.sqrt((k === 0 ? 1 : 2) / MEL_BANDS)),
);

/** Cepstral features of 8 kHz mono audio (see the module comment). */
export function extractFeatures(samples: Int16Array): FeatureSequence {
  const frameCount = samples.length >= FRAME ? Math.floor((samples.length - FRAME) / HOP) + 1 : 0;
  const rms = new Float64Array(frameCount);
  let peakRms = 0;
  for (let f = 0; f < frameCount; f += 1) {
    let sum = 0;
    let mean = 0;
    const offset = f * HOP;
    for (let n = 0; n < FRAME; n += 1) mean += samples[offset + n]!;
    mean /= FRAME;
    for (let n = 0; n < FRAME; n += 1) {
      const v = samples[offset + n]! - mean;
      sum += v * v;
    }
    rms[f] = sqrt(sum / FRAME);
    if (rms[f]! > peakRms) peakRms = rms[f]!;
  }
  const floor = max(ABSOLUTE_FLOOR_RMS, peakRms * 10 ** (-RELATIVE_FLOOR_DB / 20));
  let first = 0;
  let last = frameCount - 1;
  let voicedFrames = 0;
  for (let f = 0; f < frameCount; f += 1) if (rms[f]! >= floor) voicedFrames += 1;
  while (first <= last && rms[first]! < floor) first += 1;
  while (last >= first && rms[last]! < floor) last -= 1;
  first = max(0, first - 2);
  last = Math.min(frameCount - 1, last + 2);
  const frames = voicedFrames === 0 ? 0 : last - first + 1;

  const data = new Float32Array(frames * CEPSTRA);
  const melEnergies = new Float64Array(frames * MEL_BANDS);
  const re = new Float64Array(FFT_SIZE);
  const im = new Float64Array(FFT_SIZE);
  let peakEnergy = 0;
  for (let f = 0; f < frames; f += 1) {
    const offset = (first + f) * HOP;
    re.fill(0);
    im.fill(0);
    let previous = offset > 0 ? samples[offset - 1]! : 0;
    for (let n = 0; n < FRAME; n += 1) {
      const current = samples[offset + n]!;
      re[n] = (current - 0.97 * previous) * hamming[n]!; // pre-emphasis
      previous = current;
    }
    fft(re, im);
    for (let band = 0; band < MEL_BANDS; band += 1) {
      const filter = melFilters[band]!;
      let energy = 0;
      for (let bin = 0; bin < BINS; bin += 1) {
        const weight = filter[bin]!;
        if (weight !== 0) energy += weight * (re[bin]! * re[bin]! + im[bin]! * im[bin]!);
      }
      melEnergies[f * MEL_BANDS + band] = energy;
      if (energy > peakEnergy) peakEnergy = energy;
    }
  }
  // Spectral floor relative to the loudest band: pauses and weak bands read the same whether they
  // hold digital silence (espeak-ng) or a low background hiss / quantisation noise (a phone line).
  const spectralFloor = max(1e3, peakEnergy * 10 ** (-SPECTRAL_FLOOR_DB / 10));
  const mel = new Float64Array(MEL_BANDS);
  for (let f = 0; f < frames; f += 1) {
    for (let band = 0; band < MEL_BANDS; band += 1) mel[band] = log(max(melEnergies[f * MEL_BANDS + band]!, spectralFloor));
    for (let k = 0; k < CEPSTRA; k += 1) {
      const basis = dct[k]!;
      let c = 0;
      for (let band = 0; band < MEL_BANDS; band += 1) c += basis[band]! * mel[band]!;
      data[f * CEPSTRA + k] = k === 0 ? c * C0_WEIGHT : c;
    }
  }
  // Cepstral mean normalisation.
  if (frames > 0) {
    for (let k = 0; k < CEPSTRA; k += 1) {
      let mean = 0;
      for (let f = 0; f < frames; f += 1) mean += data[f * CEPSTRA + k]!;
      mean /= frames;
      for (let f = 0; f < frames; f += 1) data[f * CEPSTRA + k] = data[f * CEPSTRA + k]! - mean;
    }
  }
  return { data, frames, dims: CEPSTRA, voicedFrames, peakRms };
}
