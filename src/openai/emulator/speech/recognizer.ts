import { PERSONA_LINES } from '../../../telephony/simulated/callee-behaviours';
import { lineText, synthesizeSpokenLine } from '../../../speech-synthesis/spoken-line';
import type { PcmAudio } from '../../../speech-synthesis/wav';
import { DEFAULT_DTW_OPTIONS, dtwDistance, type DtwOptions } from './dtw';
import { extractFeatures, FEATURE_RATE, type FeatureSequence } from './features';
import { resampleLinear } from './resample';

/**
 * The emulator's "speech recognition": NOT a speech recogniser. It only knows a closed PHRASE BANK
 * and recognises an upload by ACOUSTIC MATCHING against espeak-ng renderings of those phrases
 * (MFCC-like features at 8 kHz + length-normalised banded DTW). The transcript therefore depends on
 * the audio alone: a broken codec, a clipped phrase, noise or silence do not come out as the right
 * text. Phrases spoken by anything other than espeak-ng's Russian voice will mostly give ''.
 */

/** Phrases the emulator can recognise besides every line of the simulated callee personas. */
export const EXTRA_BANK_PHRASES: readonly string[] = [
  'Да.',
  'Нет.',
  'Да, конечно.',
  'Кто это?',
  'Что?',
  'Повторите, пожалуйста.',
  'Не слышу вас.',
  'Хорошо.',
  'Спасибо.',
  'До свидания.',
];

/** Persona lines first (in persona order), then the extras; duplicates (same words) dropped. */
export const DEFAULT_PHRASE_BANK: readonly string[] = uniquePhrases([...Object.values(PERSONA_LINES).flat(), ...EXTRA_BANK_PHRASES]);

/**
 * Largest DTW distance accepted as a match, chosen from the margins that
 * test/openai/speech-recognition.test.ts prints: correct matches after an 8 kHz mu-law round trip
 * <= ~1.2; with silence padding + -60 dBFS hiss, a 16 kHz upload, or the voice at 150-200 wpm /
 * pitch 40-60 <= ~3.5; the nearest OTHER bank phrase >= ~5.8; wrong codecs >= ~6.2; noise and
 * tones >= ~6.6.
 */
export const DEFAULT_MATCH_THRESHOLD = 4.5;
/** Audio with fewer voiced frames (10 ms) than this is treated as silence. */
const MIN_VOICED_FRAMES = 8;

export function normalizePhrase(text: string): string {
  return text
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

function uniquePhrases(phrases: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const phrase of phrases) {
    const key = normalizePhrase(phrase);
    if (key === '' || seen.has(key)) continue;
    seen.add(key);
    out.push(phrase.trim());
  }
  return out;
}

export interface RecognizerOptions {
  /** The phrase bank; default DEFAULT_PHRASE_BANK. */
  phrases?: readonly string[];
  threshold?: number;
  dtw?: Partial<DtwOptions>;
  /** espeak-ng voice of the templates; default 'ru'. */
  voice?: string;
}

export interface PhraseScore {
  text: string;
  distance: number;
}

export interface Recognition {
  /** The recognised phrase, or '' (silence, noise, or nothing close enough). */
  text: string;
  reason: 'matched' | 'silence' | 'no_match';
  /**
   * Nearest bank phrase and the nearest one with other words (absent for silence). A distance of
   * Infinity means "lengths too different, or further than twice the threshold".
   */
  best?: PhraseScore;
  second?: PhraseScore;
  threshold: number;
  /** Feature extraction + matching time. */
  elapsedMs: number;
}

interface Template {
  text: string;
  features: FeatureSequence;
}

/** Feature templates by voice + phrase, shared by all recognisers (the audio is cached by espeak.ts too). */
const templateCache = new Map<string, Promise<FeatureSequence>>();

/** Converts any audio to the feature rate (8 kHz, like phone audio) and extracts its features. */
export function featuresOf(audio: PcmAudio): FeatureSequence {
  return extractFeatures(resampleLinear(audio.samples, audio.sampleRate, FEATURE_RATE));
}

function templateFor(text: string, voice: string): Promise<FeatureSequence> {
  const key = `${voice}\u0000${text}`;
  let pending = templateCache.get(key);
  if (!pending) {
    pending = synthesizeSpokenLine(text, { voice }).then(featuresOf);
    templateCache.set(key, pending);
    pending.catch(() => templateCache.delete(key));
  }
  return pending;
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class PhraseRecognizer {
  private constructor(
    private readonly templates: readonly Template[],
    readonly threshold: number,
    private readonly dtw: DtwOptions,
  ) {}

  /** Synthesises (or takes from the cache) every bank phrase; the first call takes about a second. */
  static async create(options: RecognizerOptions = {}): Promise<PhraseRecognizer> {
    const phrases = uniquePhrases(options.phrases ?? DEFAULT_PHRASE_BANK);
    const voice = options.voice ?? 'ru';
    const features = await mapLimited(phrases, 4, (text) => templateFor(text, voice));
    // A line with a pause is voiced with it, and recognised as its plain text.
    const templates = phrases.map((text, i) => ({ text: lineText(text), features: features[i]! }));
    return new PhraseRecognizer(templates, options.threshold ?? DEFAULT_MATCH_THRESHOLD, { ...DEFAULT_DTW_OPTIONS, ...options.dtw });
  }

  get phrases(): string[] {
    return this.templates.map((t) => t.text);
  }

  /** Every bank phrase with its full distance to the audio, nearest first (diagnostics; slower than recognize). */
  score(audio: PcmAudio): PhraseScore[] {
    return this.scoreFeatures(featuresOf(audio), Infinity);
  }

  private scoreFeatures(features: FeatureSequence, abandonAbove: number): PhraseScore[] {
    return this.templates
      .map((t) => ({ text: t.text, distance: dtwDistance(features, t.features, this.dtw, abandonAbove) }))
      .sort((a, b) => a.distance - b.distance);
  }

  recognize(audio: PcmAudio): Recognition {
    const started = performance.now();
    const features = featuresOf(audio);
    const elapsed = () => performance.now() - started;
    if (features.voicedFrames < MIN_VOICED_FRAMES) {
      return { text: '', reason: 'silence', threshold: this.threshold, elapsedMs: elapsed() };
    }
    // Distances beyond twice the threshold are not worked out in full (reported as Infinity).
    const scores = this.scoreFeatures(features, 2 * this.threshold);
    const best = scores[0];
    const bestKey = best ? normalizePhrase(best.text) : '';
    const second = scores.find((s) => normalizePhrase(s.text) !== bestKey);
    const matched = best !== undefined && best.distance <= this.threshold;
    return {
      text: matched ? best.text : '',
      reason: matched ? 'matched' : 'no_match',
      ...(best ? { best } : {}),
      ...(second ? { second } : {}),
      threshold: this.threshold,
      elapsedMs: elapsed(),
    };
  }
}

const defaultRecognizers = new Map<string, Promise<PhraseRecognizer>>();

/** A recogniser for the default bank plus `extraPhrases`, built once per distinct bank. */
export function getPhraseRecognizer(extraPhrases: readonly string[] = [], threshold?: number): Promise<PhraseRecognizer> {
  const phrases = uniquePhrases([...DEFAULT_PHRASE_BANK, ...extraPhrases]);
  const key = JSON.stringify([phrases, threshold ?? null]);
  let pending = defaultRecognizers.get(key);
  if (!pending) {
    pending = PhraseRecognizer.create({ phrases, ...(threshold !== undefined ? { threshold } : {}) });
    defaultRecognizers.set(key, pending);
    pending.catch(() => defaultRecognizers.delete(key));
  }
  return pending;
}
