export {
  synthesizeWithEspeak,
  clearEspeakCache,
  espeakCacheStats,
  EspeakError,
  ESPEAK_SAMPLE_RATE,
  ESPEAK_DEFAULT_RATE,
  ESPEAK_DEFAULT_PITCH,
  type EspeakOptions,
  type EspeakAudio,
} from './espeak';
export { parseWav, wavHeader, isWav, WavFormatError, type PcmAudio } from './wav';
export { synthesizeSpokenLine, lineText, PAUSE_MARK, PAUSE_MS } from './spoken-line';
