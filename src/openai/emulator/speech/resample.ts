/**
 * EMULATOR-ONLY resampling: linear interpolation, with a windowed-sinc low-pass in front when
 * downsampling so that e.g. 22.05 kHz espeak audio taken to 8 kHz does not fold its 4-11 kHz
 * energy into the phone band. Good enough for fixtures and acoustic matching; the production audio
 * path uses a proper streaming resampler elsewhere.
 */
// Globals read once: inside a vm context (Jest) every global lookup in a hot loop is slow.
const { floor, min, max, round } = Math;

export function resampleLinear(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (!(fromRate > 0) || !(toRate > 0)) throw new RangeError(`bad sample rates ${fromRate} -> ${toRate}`);
  if (fromRate === toRate || samples.length === 0) return samples.slice();
  const source = toRate < fromRate ? lowPass(samples, (0.45 * toRate) / fromRate) : toFloat(samples);
  const outLength = Math.max(1, Math.round((samples.length * toRate) / fromRate));
  const out = new Int16Array(outLength);
  const step = fromRate / toRate;
  const last = source.length - 1;
  for (let i = 0; i < outLength; i += 1) {
    const position = i * step;
    const index = floor(position);
    const fraction = position - index;
    const a = source[min(index, last)]!;
    const b = source[min(index + 1, last)]!;
    out[i] = clamp16(a + (b - a) * fraction);
  }
  return out;
}

function toFloat(samples: Int16Array): Float32Array {
  return Float32Array.from(samples);
}

function clamp16(value: number): number {
  return max(-32768, min(32767, round(value)));
}

const kernels = new Map<number, Float32Array>();

/** Hamming-windowed sinc low-pass; `cutoff` is a fraction of the input rate (0..0.5). */
function lowPassKernel(cutoff: number): Float32Array {
  const key = Math.round(cutoff * 1e6);
  const cached = kernels.get(key);
  if (cached) return cached;
  const taps = 63;
  const half = (taps - 1) / 2;
  const kernel = new Float32Array(taps);
  let sum = 0;
  for (let n = 0; n < taps; n += 1) {
    const x = n - half;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const window = 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (taps - 1));
    kernel[n] = sinc * window;
    sum += sinc * window;
  }
  for (let n = 0; n < taps; n += 1) kernel[n] = kernel[n]! / sum;
  kernels.set(key, kernel);
  return kernel;
}

function lowPass(samples: Int16Array, cutoff: number): Float32Array {
  const kernel = lowPassKernel(cutoff);
  const half = (kernel.length - 1) / 2;
  const out = new Float32Array(samples.length);
  const n = samples.length;
  for (let i = 0; i < n; i += 1) {
    let acc = 0;
    const start = i - half;
    const kFrom = max(0, -start);
    const kTo = min(kernel.length, n - start);
    for (let k = kFrom; k < kTo; k += 1) acc += kernel[k]! * samples[start + k]!;
    out[i] = acc;
  }
  return out;
}
