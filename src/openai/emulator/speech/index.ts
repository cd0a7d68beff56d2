export {
  createSpeechRoutes,
  SPEECH_PATH,
  TRANSCRIPTIONS_PATH,
  EMULATED_TTS_SAMPLE_RATE,
  TTS_VOICES,
  type SpeechRouteOptions,
  type SpeechRouteLatency,
} from './routes';
export {
  PhraseRecognizer,
  getPhraseRecognizer,
  featuresOf,
  normalizePhrase,
  DEFAULT_PHRASE_BANK,
  EXTRA_BANK_PHRASES,
  DEFAULT_MATCH_THRESHOLD,
  type Recognition,
  type RecognizerOptions,
  type PhraseScore,
} from './recognizer';
export { resampleLinear } from './resample';
export { parseMultipart, multipartBoundary, MultipartError, type MultipartPart } from './multipart';
