import { spawn } from 'node:child_process';
import { parseWav } from './wav';

/**
 * A LOCAL STAND-IN VOICE: synthesises text with the Debian `espeak-ng` program (formant synthesis,
 * robotic but intelligible Russian). It is used by the OpenAI emulator's /v1/audio/speech and
 * /v1/audio/transcriptions and by the simulated callee's voice, never as the product's voice (real
 * calls use OpenAI TTS). Install it with `bash scripts/ensure-system-deps.sh`.
 */

export const ESPEAK_SAMPLE_RATE = 22050;
/** espeak-ng's own defaults (words per minute, pitch 0-99). */
export const ESPEAK_DEFAULT_RATE = 175;
export const ESPEAK_DEFAULT_PITCH = 50;

export interface EspeakOptions {
  /** espeak-ng voice, e.g. 'ru' (variants such as 'ru+f3' work too). */
  voice: 'ru' | (string & {});
  /** Words per minute, 80-450; espeak-ng's default is 175. */
  rate?: number;
  /** Base pitch 0-99; default 50. */
  pitch?: number;
  /** Kills espeak-ng when aborted. */
  signal?: AbortSignal;
  /** Time limit for one synthesis; default 20 s. */
  timeoutMs?: number;
}

export interface EspeakAudio {
  sampleRate: typeof ESPEAK_SAMPLE_RATE;
  /** Mono 16-bit samples. Shared with the cache: do not modify. */
  samples: Int16Array;
}

export class EspeakError extends Error {
  override name = 'EspeakError';
}

const MAX_TEXT_LENGTH = 10_000;
const CACHE_MAX_ENTRIES = 512;
const CACHE_MAX_SAMPLES = 16_000_000; // ~32 MB of Int16
const DEFAULT_TIMEOUT_MS = 20_000;

/** LRU by insertion order of a Map; pending syntheses are shared, failures are not cached. */
const cache = new Map<string, Promise<EspeakAudio>>();
const sizes = new Map<string, number>();
let cachedSamples = 0;

function cacheKey(text: string, voice: string, rate: number, pitch: number): string {
  return JSON.stringify([text, voice, rate, pitch]);
}

function evict(): void {
  for (const key of cache.keys()) {
    if (cache.size <= CACHE_MAX_ENTRIES && cachedSamples <= CACHE_MAX_SAMPLES) return;
    const size = sizes.get(key);
    if (size === undefined) continue; // still being synthesised
    cache.delete(key);
    sizes.delete(key);
    cachedSamples -= size;
  }
}

/** Empties the in-memory cache (tests). */
export function clearEspeakCache(): void {
  cache.clear();
  sizes.clear();
  cachedSamples = 0;
}

export function espeakCacheStats(): { entries: number; samples: number } {
  return { entries: cache.size, samples: cachedSamples };
}

function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.round(value)));
}

/**
 * Synthesises `text` to 22.05 kHz mono Int16 with espeak-ng. Results are cached in memory by
 * (text, voice, rate, pitch), so repeating a phrase costs nothing.
 */
export function synthesizeWithEspeak(text: string, options: EspeakOptions): Promise<EspeakAudio> {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean === '') return Promise.reject(new EspeakError('synthesizeWithEspeak: text is empty'));
  if (clean.length > MAX_TEXT_LENGTH) return Promise.reject(new EspeakError(`synthesizeWithEspeak: text longer than ${MAX_TEXT_LENGTH}`));
  if (!/^[A-Za-z0-9_+-]{1,40}$/.test(options.voice)) return Promise.reject(new EspeakError(`synthesizeWithEspeak: bad voice '${options.voice}'`));
  const rate = clampInt(options.rate, ESPEAK_DEFAULT_RATE, 80, 450);
  const pitch = clampInt(options.pitch, ESPEAK_DEFAULT_PITCH, 0, 99);
  const key = cacheKey(clean, options.voice, rate, pitch);

  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return withSignal(hit, options.signal);
  }
  const pending = runEspeak(clean, options.voice, rate, pitch, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  cache.set(key, pending);
  pending.then(
    (audio) => {
      if (cache.get(key) !== pending) return;
      sizes.set(key, audio.samples.length);
      cachedSamples += audio.samples.length;
      evict();
    },
    () => {
      if (cache.get(key) === pending) cache.delete(key);
    },
  );
  return withSignal(pending, options.signal);
}

/** The shared synthesis keeps running for the cache; only this caller's wait is abandoned. */
function withSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new EspeakError('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new EspeakError('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new EspeakError(String(err)));
      },
    );
  });
}

function runEspeak(text: string, voice: string, rate: number, pitch: number, timeoutMs: number): Promise<EspeakAudio> {
  return new Promise<EspeakAudio>((resolve, reject) => {
    // Text goes through stdin (-b 1: UTF-8), so a leading '-' or any quoting cannot reach the argv.
    const child = spawn('espeak-ng', ['-v', voice, '-s', String(rate), '-p', String(pitch), '-b', '1', '--stdout'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      fail(
        error.code === 'ENOENT'
          ? new EspeakError('espeak-ng is not installed (needed by the local speech stand-in): run `bash scripts/ensure-system-deps.sh`')
          : new EspeakError(`espeak-ng failed to start: ${error.message}`),
      );
    });
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => undefined); // EPIPE when espeak-ng exits early; reported by 'close'
    child.on('close', (code, signal) => {
      if (settled) return;
      if (code !== 0) {
        const detail = Buffer.concat(err).toString('utf8').trim().slice(0, 300);
        fail(new EspeakError(`espeak-ng exited with ${signal ?? `code ${code}`}${detail ? `: ${detail}` : ''}`));
        return;
      }
      try {
        const wav = parseWav(Buffer.concat(out));
        if (wav.sampleRate !== ESPEAK_SAMPLE_RATE) throw new EspeakError(`espeak-ng produced ${wav.sampleRate} Hz, expected ${ESPEAK_SAMPLE_RATE}`);
        settled = true;
        resolve({ sampleRate: ESPEAK_SAMPLE_RATE, samples: wav.samples });
      } catch (error) {
        fail(error instanceof Error ? error : new EspeakError(String(error)));
      }
    });
    child.stdin.end(text, 'utf8');
  });
}
