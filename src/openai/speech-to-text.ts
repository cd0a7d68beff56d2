import type OpenAI from 'openai';
import { toFile } from 'openai';
import { requestOptions } from './client';

/**
 * Speech-to-text of one callee utterance (spec: STT step of the dialog loop) through
 * `audio.transcriptions.create`. Works with whisper-1 and gpt-4o(-mini)-transcribe (json response).
 * Empty or noise-only results, including the phrases Whisper-family models are known to invent on
 * silence or noise ("Продолжение следует...", subtitle credits), come back as empty text.
 */

export interface TranscribeRequest {
  /** e.g. 'gpt-4o-mini-transcribe' or 'whisper-1'. */
  model: string;
  /** A complete WAV file (any sample rate; 8 kHz phone audio is fine). */
  wav: Buffer;
  language: 'ru';
  /** Context for the model, e.g. the operator's last line or product names. */
  prompt?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  maxRetries?: number;
}

export interface Transcript {
  /** What the callee said, trimmed; '' when nothing meaningful was recognised. */
  text: string;
  /** The model's text before filtering (for logs: shows a discarded hallucination). */
  rawText: string;
}

/**
 * Whole transcripts that are artefacts, not speech (compared after normalisation: lower case,
 * ё -> е, punctuation removed). Whisper-family models produce these on silence, noise or music,
 * because their training data had them as YouTube subtitle credits.
 */
export const KNOWN_HALLUCINATIONS: readonly string[] = [
  'продолжение следует',
  'спасибо за просмотр',
  'спасибо за внимание',
  'благодарю за внимание',
  'подписывайтесь на канал',
  'ставьте лайки',
  'до новых встреч',
  'музыка',
  'аплодисменты',
  'смех',
  'тишина',
  'шум',
];

/** Fragments that mark a transcript as an artefact wherever they appear (subtitle credits). */
const HALLUCINATION_FRAGMENTS: readonly RegExp[] = [
  /субтитр/, // "Субтитры сделал DimaTorzok", "Редактор субтитров А.Синецкая", "Субтитры создавал ..."
  /dimatorzok/,
  /корректор [а-яa-z]/, // "Корректор А.Кулакова"
  /amara org/,
];

function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * Whether a transcript holds something the callee said: false for '', punctuation or symbols only,
 * a bracketed annotation ("[музыка]", "(смех)"), and known hallucinations.
 */
export function isMeaningfulTranscript(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed === '') return false;
  if (/^[[(*♪].*[\])*♪]$/su.test(trimmed)) return false;
  const normalized = normalize(trimmed);
  if (normalized === '') return false;
  if (KNOWN_HALLUCINATIONS.includes(normalized)) return false;
  return !HALLUCINATION_FRAGMENTS.some((pattern) => pattern.test(normalized));
}

/**
 * The language hint in the form the model takes: the current transcription models
 * (`gpt-transcribe`, `gpt-live-transcribe`) take `languages: ["ru"]` and refuse `language`; the
 * older ones (`whisper-1`, `gpt-4o(-mini)-transcribe`) take `language: "ru"`.
 */
export function transcriptionLanguage(model: string, language: string): { languages: string[] } | { language: string } {
  return /^gpt-(live-)?transcribe(\b|-|$)/.test(model) ? { languages: [language] } : { language };
}

export async function transcribeUtterance(client: OpenAI, request: TranscribeRequest): Promise<Transcript> {
  if (request.wav.length === 0) throw new Error('transcribeUtterance: the WAV buffer is empty');
  const prompt = request.prompt?.trim();
  const transcription = await client.audio.transcriptions.create(
    {
      file: await toFile(request.wav, 'utterance.wav', { type: 'audio/wav' }),
      model: request.model,
      ...transcriptionLanguage(request.model, request.language),
      response_format: 'json',
      ...(prompt ? { prompt } : {}),
    },
    requestOptions(request),
  );
  const rawText = (typeof transcription.text === 'string' ? transcription.text : '').trim();
  return { text: isMeaningfulTranscript(rawText) ? rawText : '', rawText };
}
