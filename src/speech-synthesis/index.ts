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
export { parseWav, encodeWav, wavHeader, int16ToBytes, isWav, muLawToLinear, aLawToLinear, WavFormatError, type PcmAudio } from './wav';
