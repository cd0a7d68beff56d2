import { clampToInt16 } from './pcm';

/**
 * Streaming sample-rate converter: rational polyphase FIR with a Kaiser-windowed sinc low-pass
 * (anti-aliasing when decimating, anti-imaging when interpolating). State (filter history and the
 * output phase) is kept between push() calls, so chunking does not change the output.
 *
 * Own implementation rather than speex-resampler (WASM): that package needs an async global init
 * and never frees its per-instance WASM memory (no destroy), which leaks in a long-running worker
 * that creates resamplers per call.
 */
export interface Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Resamples a chunk; output lags the input by `latencyMs` until flush(). */
  push(pcm: Int16Array): Int16Array;
  /** Emits the tail (zero-padded) so the stream's total output is ceil(inputs * toRate / fromRate); then starts over. */
  flush(): Int16Array;
  readonly latencyMs: number;
}

/** Far below G.711's own quantisation noise (~38 dB SNR), so nothing that aliases can be heard over it. */
const STOPBAND_ATTENUATION_DB = 70;
/** Passband edge as a fraction of the lower Nyquist (3400 Hz for 8 kHz: the telephone band). */
const PASSBAND_FRACTION = 0.85;
/**
 * Decimating, the stopband starts a little above the new Nyquist (4400 Hz for 8 kHz): what is left
 * between 4000 and 4400 Hz folds back to 3600-4000 Hz, above the passband. The wider transition
 * halves the filter (the busiest loop of the gateway when many calls talk at once). Interpolating,
 * it starts at the Nyquist, so no image is left.
 */
const DECIMATION_STOPBAND_FACTOR = 1.1;

interface PolyphaseFilter {
  up: number; // L
  down: number; // M
  taps: number; // coefficients per phase
  delay: number; // filter centre, in prototype-rate samples
  phases: Float32Array[]; // phases[phi][j] multiplies x[i - taps + 1 + j]
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50 && term > 1e-12 * sum; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

const filterCache = new Map<string, PolyphaseFilter>();

function designFilter(fromRate: number, toRate: number): PolyphaseFilter {
  const cacheKey = `${fromRate}:${toRate}`;
  const cached = filterCache.get(cacheKey);
  if (cached) return cached;
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  const protoRate = up * fromRate;
  const nyquist = Math.min(fromRate, toRate) / 2;
  const passEdge = PASSBAND_FRACTION * nyquist;
  const stopEdge = toRate < fromRate ? DECIMATION_STOPBAND_FACTOR * nyquist : nyquist;
  const cutoff = (passEdge + stopEdge) / 2 / protoRate; // cycles per prototype sample
  const transition = (2 * Math.PI * (stopEdge - passEdge)) / protoRate;
  const minLength = Math.ceil((STOPBAND_ATTENUATION_DB - 8) / (2.285 * transition)) + 1; // Kaiser's estimate
  const taps = Math.ceil(minLength / up);
  const length = taps * up;
  const beta = 0.1102 * (STOPBAND_ATTENUATION_DB - 8.7);
  const centre = (length - 1) / 2;
  const i0Beta = besselI0(beta);
  const phases: Float32Array[] = [];
  for (let phi = 0; phi < up; phi++) {
    const phase = new Float64Array(taps);
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const n = k * up + phi;
      const t = n - centre;
      const sinc = t === 0 ? 1 : Math.sin(2 * Math.PI * cutoff * t) / (2 * Math.PI * cutoff * t);
      const r = t / centre;
      const h = sinc * (besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta);
      phase[taps - 1 - k] = h; // reversed: phase[j] pairs with x[i - taps + 1 + j]
      sum += h;
    }
    // Unit DC gain per phase: no gain ripple between output samples when interpolating.
    phases.push(Float32Array.from(phase, (h) => h / sum));
  }
  const filter = { up, down, taps, delay: Math.floor(centre), phases };
  filterCache.set(cacheKey, filter);
  return filter;
}

function passthrough(rate: number): Resampler {
  return { fromRate: rate, toRate: rate, latencyMs: 0, push: (pcm) => pcm.slice(), flush: () => new Int16Array(0) };
}

export function createResampler(fromRate: number, toRate: number): Resampler {
  for (const r of [fromRate, toRate]) {
    if (!Number.isInteger(r) || r <= 0) throw new Error(`invalid sample rate: ${r}`);
  }
  if (fromRate === toRate) return passthrough(fromRate);
  const { up, down, taps, delay, phases } = designFilter(fromRate, toRate);

  let history = new Float32Array(taps - 1); // zeros before the stream starts
  let historyStart = -(taps - 1); // global input index of history[0]
  let received = 0; // inputs pushed so far
  let nextOut = 0; // global index of the next output sample

  const reset = () => {
    history = new Float32Array(taps - 1);
    historyStart = -(taps - 1);
    received = 0;
    nextOut = 0;
  };

  // Produces outputs [nextOut, end) from `history`, which must hold every input they need.
  const produce = (end: number): Int16Array => {
    const out = new Int16Array(Math.max(0, end - nextOut));
    const x = history; // locals keep the hot loop monomorphic
    for (let o = 0; o < out.length; o++, nextOut++) {
      const p = nextOut * down + delay;
      const coeffs = phases[p % up] as Float32Array;
      const base = Math.floor(p / up) - taps + 1 - historyStart;
      let acc = 0;
      for (let j = 0; j < taps; j++) acc += (x[base + j] as number) * (coeffs[j] as number);
      out[o] = clampToInt16(acc);
    }
    // Keep only what the next output still needs.
    const keepFrom = Math.min(Math.floor((nextOut * down + delay) / up) - taps + 1, historyStart + history.length);
    if (keepFrom > historyStart) {
      history = history.slice(keepFrom - historyStart);
      historyStart = keepFrom;
    }
    return out;
  };

  const append = (samples: ArrayLike<number>, count: number) => {
    const grown = new Float32Array(history.length + count);
    grown.set(history);
    for (let i = 0; i < count; i++) grown[history.length + i] = samples[i] ?? 0;
    history = grown;
  };

  return {
    fromRate,
    toRate,
    latencyMs: (delay / up / fromRate) * 1000,
    push(pcm) {
      append(pcm, pcm.length);
      received += pcm.length;
      // Output m is ready once input floor((m*down + delay) / up) has arrived.
      const ready = Math.floor((received * up - 1 - delay) / down) + 1;
      return produce(ready);
    },
    flush() {
      const total = Math.ceil((received * up) / down);
      if (total > nextOut) {
        const lastNeeded = Math.floor(((total - 1) * down + delay) / up);
        const available = historyStart + history.length;
        if (lastNeeded >= available) append([], lastNeeded + 1 - available);
      }
      const tail = produce(total);
      reset();
      return tail;
    },
  };
}
