export {
  startOpenAIEmulator,
  CHAT_COMPLETIONS_PATH,
  EMULATOR_HEADER,
  EMULATOR_HEADER_VALUE,
  type OpenAIEmulator,
  type OpenAIEmulatorOptions,
  type EmulatorFault,
  type EmulatorRequestRecord,
  type EmulatorRoute,
  type EmulatorRouteContext,
} from './server';
export { REALTIME_PATH, type RealtimeFault, type RealtimeDropOn, type RealtimeEventRecord } from './realtime';
export { emulateOperatorReply } from './chat-rules';
export { classifyUtterance, emulateClassification } from './classification-rules';
export {
  createSpeechRoutes,
  SPEECH_PATH,
  TRANSCRIPTIONS_PATH,
  EMULATED_TTS_SAMPLE_RATE,
  getPhraseRecognizer,
  DEFAULT_PHRASE_BANK,
  type SpeechRouteOptions,
  type SpeechRouteLatency,
  type Recognition,
} from './speech';
