/**
 * The VoiceOperator implementations through the VoiceOperator conformance suite (conformance.ts),
 * against the local emulator: the cascade (OpenAI STT -> reply model -> TTS) in both ways it voices a
 * reply, the cascade as configured by default (realtime speech) with streaming recognition, and the
 * realtime operator (a speech-to-speech Realtime model).
 */
import { CascadeVoiceOperator } from '../../src/speech-providers/cascade-voice-operator';
import { OpenAIRealtimeVoiceOperator } from '../../src/speech-providers/openai/realtime/realtime-voice-operator';
import { describeVoiceOperatorConformance, useConformanceEmulator, type VoiceOperatorEnvironment, type VoiceOperatorUnderTest } from './conformance';
import { openAIClient, openAIRealtimeSpeechToText, openAIRealtimeTextToSpeech, openAIReplyModel, openAISpeechToText, openAITextToSpeech } from './openai-providers';

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

/** The default cascade: replies read by a Realtime model, and recognition while the callee talks. */
describeVoiceOperatorConformance('CascadeVoiceOperator (OpenAI, realtime speech, streaming recognition)', emulator, (env) => {
  const client = openAIClient(env);
  const replyModel = openAIReplyModel(env, client);
  const operator = new CascadeVoiceOperator({
    stt: openAISpeechToText(env, client),
    streamingStt: openAIRealtimeSpeechToText(env, client),
    replyModel,
    tts: openAIRealtimeTextToSpeech(env, client),
    replySpeech: 'streamed',
  });
  return { operator, replyModel, replySpeech: 'streamed' };
});

/** DIALOG_MODE=realtime: its words must be what the same dialog gets from the chat model (the emulator answers both by the same rules). */
describeVoiceOperatorConformance('OpenAIRealtimeVoiceOperator', emulator, (env) => {
  const client = openAIClient(env);
  const operator = new OpenAIRealtimeVoiceOperator({
    client,
    model: 'gpt-realtime-2.1-mini',
    voice: 'marin',
    systemPrompt: env.systemPrompt,
    transcriptionModel: 'gpt-live-transcribe',
    timeoutMs: env.timeoutMs,
    fallbackStt: openAISpeechToText(env, client),
    tlsCa: env.tlsCa,
  });
  return { operator, replyModel: openAIReplyModel(env, client), replySpeech: 'whole' };
});
