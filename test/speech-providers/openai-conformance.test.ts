/**
 * The OpenAI implementations of the speech-provider interfaces through the shared conformance suite
 * (conformance.ts), with the real openai SDK over HTTP against the local emulator.
 */
import {
  describeActivityFailureConformance,
  describeCallClassifierConformance,
  describeReplyModelConformance,
  describeSpeechToTextConformance,
  describeTextToSpeechConformance,
  useConformanceEmulator,
} from './conformance';
import { openAICallClassifier, openAIRealtimeSpeechToText, openAIRealtimeTextToSpeech, openAIReplyModel, openAISpeechToText, openAITextToSpeech } from './openai-providers';

const emulator = useConformanceEmulator();

describeSpeechToTextConformance('OpenAISpeechToText', emulator, (env) => openAISpeechToText(env));
describeReplyModelConformance('OpenAIReplyModel', emulator, (env) => openAIReplyModel(env));
describeTextToSpeechConformance('OpenAITextToSpeech', emulator, (env) => openAITextToSpeech(env));
describeTextToSpeechConformance('OpenAIRealtimeTextToSpeech', emulator, (env) => openAIRealtimeTextToSpeech(env));
describeSpeechToTextConformance('OpenAIRealtimeSpeechToText', emulator, (env) => openAIRealtimeSpeechToText(env));
describeCallClassifierConformance('OpenAICallClassifier', emulator, (env) => openAICallClassifier(env));
describeActivityFailureConformance();
