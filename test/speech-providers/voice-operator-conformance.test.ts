/**
 * CascadeVoiceOperator (OpenAI STT -> OpenAI reply model -> OpenAI TTS) through the VoiceOperator
 * conformance suite (conformance.ts), in both ways it voices a reply, against the local emulator.
 */
import { CascadeVoiceOperator } from '../../src/speech-providers/cascade-voice-operator';
import { describeVoiceOperatorConformance, useConformanceEmulator, type VoiceOperatorEnvironment, type VoiceOperatorUnderTest } from './conformance';
import { openAIClient, openAIReplyModel, openAISpeechToText, openAITextToSpeech } from './openai-providers';

const emulator = useConformanceEmulator();

/** As the service builds it (create-gateway.ts): the three OpenAI providers on one client. */
function cascade(env: VoiceOperatorEnvironment, replySpeech: 'streamed' | 'whole'): VoiceOperatorUnderTest {
  const client = openAIClient(env);
  const replyModel = openAIReplyModel(env, client);
  const operator = new CascadeVoiceOperator({ stt: openAISpeechToText(env, client), replyModel, tts: openAITextToSpeech(env, client), replySpeech });
  return { operator, replyModel, replySpeech };
}

describeVoiceOperatorConformance('CascadeVoiceOperator (OpenAI, streamed)', emulator, (env) => cascade(env, 'streamed'));
describeVoiceOperatorConformance('CascadeVoiceOperator (OpenAI, whole)', emulator, (env) => cascade(env, 'whole'));
